"""The Canvas flavour: URLs, identifiers, roles and claims the way Canvas sends them.

Reference: Canvas's own implementation, instructure/canvas-lms app/controllers/lti/ims/.
Every Canvas quirk the sandbox imitates is commented where it is produced.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from lti_tool.sandbox import vocab
from lti_tool.sandbox.flavours.base import SANDBOX_NAMESPACE, Flavour

if TYPE_CHECKING:
    from lti_tool.sandbox.models import Course, LaunchHint, LineItem, Person, ToolRegistration
    from lti_tool.sandbox.settings import SandboxSettings

# Canvas deployment ids end with the root account's lti_context_id.
CANVAS_ROOT_ACCOUNT_CONTEXT_ID = "8865aa05b4b79b64a91a86042e43af5ea8ae79eb"


class CanvasFlavour(Flavour):
    name = "canvas"
    label = "Canvas"
    product_family_code = "canvas"
    version = "cloud"
    context_type = vocab.CONTEXT_COURSE_OFFERING
    first_line_item_id = 31
    first_resource_link_id = 12
    first_type_id = 42
    # Canvas sizes its frame to the tool's page and scrolls to the frame's top on request.
    frame_messages = ("lti.frameResize", "lti.scrollToTop")

    def issuer(self, root: str, settings: SandboxSettings) -> str:
        # Canvas's issuer is a constant (https://canvas.instructure.com), never the host
        # the tool talks to; tools that derive URLs from iss break here.
        return settings.canvas_issuer

    def auth_login_url(self, root: str) -> str:
        # Canvas: tools are told sso.canvaslms.com/api/lti/authorize_redirect, which
        # redirects to the account's own /api/lti/authorize.
        return f"{root}/api/lti/authorize_redirect"

    def token_url(self, root: str) -> str:
        return f"{root}/login/oauth2/token"

    def jwks_url(self, root: str) -> str:
        return f"{root}/api/lti/security/jwks"

    def registration_endpoint(self, root: str) -> str:
        return f"{root}/api/lti/registrations"

    def line_items_url(self, root: str, course: Course, registration: ToolRegistration) -> str:
        return f"{root}/api/lti/courses/{course.lms_id}/line_items"

    def line_item_url(
        self, root: str, course: Course, line_item: LineItem, registration: ToolRegistration
    ) -> str:
        return f"{root}/api/lti/courses/{course.lms_id}/line_items/{line_item.lms_id}"

    def result_url(self, line_item_url: str, result_id: int, person: Person) -> str:
        return f"{line_item_url}/results/{result_id}"

    def memberships_url(self, root: str, course: Course, registration: ToolRegistration) -> str:
        return f"{root}/api/lti/courses/{course.lms_id}/names_and_roles"

    def deep_link_return_url(
        self, root: str, course: Course, registration: ToolRegistration
    ) -> str:
        return f"{root}/courses/{course.lms_id}/deep_linking_response"

    def return_url(self, root: str, course: Course, hint: LaunchHint) -> str:
        return f"{root}/courses/{course.lms_id}/external_content/success/external_tool_redirect"

    def new_client_id(self, registrations_so_far: int) -> str:
        # Canvas developer key ids: shard 1 * 10^13 + local id, e.g. 10000000000042.
        return str(10_000_000_000_042 + registrations_so_far)

    def deployment_id(self, type_id: int) -> str:
        # Canvas: "<ContextExternalTool id>:<context lti_context_id>".
        return f"{type_id}:{CANVAS_ROOT_ACCOUNT_CONTEXT_ID}"

    def new_resource_link_id(self, registration: ToolRegistration, lms_id: int) -> str:
        # Canvas resource link ids are UUIDs; deterministic so a reset gives the same ids.
        return str(uuid.uuid5(SANDBOX_NAMESPACE, f"canvas-link:{registration.client_id}:{lms_id}"))

    def context_id(self, course_lms_id: int) -> str:
        # Canvas context ids are SHA-1 hex digests (the course's lti_context_id).
        return hashlib.sha1(
            f"canvas-course-{course_lms_id}".encode(), usedforsecurity=False
        ).hexdigest()

    def sub(self, person_lms_id: int) -> str:
        # Canvas `sub` is the user's lti_id, a UUID (not the numeric Canvas user id).
        return str(uuid.uuid5(SANDBOX_NAMESPACE, f"canvas-user:{person_lms_id}"))

    def roles(self, role: str) -> list[str]:
        # Canvas sends institution (account) roles, membership roles and system roles.
        return {
            "learner": [vocab.ROLE_INSTITUTION_STUDENT, vocab.ROLE_LEARNER, vocab.ROLE_SYSTEM_USER],
            "instructor": [
                vocab.ROLE_INSTITUTION_INSTRUCTOR,
                vocab.ROLE_INSTRUCTOR,
                vocab.ROLE_SYSTEM_USER,
            ],
            "ta": [
                vocab.ROLE_INSTITUTION_INSTRUCTOR,
                vocab.ROLE_TEACHING_ASSISTANT,
                vocab.ROLE_SYSTEM_USER,
            ],
            "admin": [
                vocab.ROLE_INSTITUTION_ADMINISTRATOR,
                vocab.ROLE_SYSTEM_SYSADMIN,
                vocab.ROLE_SYSTEM_USER,
            ],
            # Canvas observers (a parent or advisor linked to a student) launch as Mentor.
            "observer": [vocab.ROLE_MENTOR, vocab.ROLE_SYSTEM_USER],
        }[role]

    def login_initiation_extras(self, registration: ToolRegistration) -> dict[str, str]:
        # Canvas adds these to the third-party login initiation (besides lti_deployment_id).
        return {
            "deployment_id": registration.deployment_id,
            "canvas_region": "not_configured",
            "canvas_environment": "prod",
        }

    def identity_claims(self, person: Person, settings: SandboxSettings) -> dict[str, Any]:
        # Canvas: what is sent depends on the developer key's privacy level; email is
        # often missing, so tools must not require it.
        level = settings.canvas_privacy_level
        if level == "anonymous":
            return {}
        claims = super().identity_claims(person, settings)
        if level != "public":
            del claims["email"]
        return claims

    def legacy_user_id(self, person: Person) -> str | None:
        return hashlib.sha1(
            f"canvas-legacy-{person.lms_id}".encode(), usedforsecurity=False
        ).hexdigest()

    def flavour_claims(self, hint: LaunchHint, root: str) -> dict[str, Any]:
        legacy_id = self.legacy_user_id(hint.person)
        return {
            vocab.CLAIM_CANVAS_PLACEMENT: "link_selection",
            vocab.CLAIM_LTI11_LEGACY_USER_ID: legacy_id,
            vocab.CLAIM_LTI1P1: {"user_id": legacy_id},
            vocab.CLAIM_LIS: {
                "person_sourcedid": f"SIS-{hint.person.lms_id}",
                "course_offering_sourcedid": f"SIS-COURSE-{hint.course.lms_id}",
            },
            "locale": "en",
            # Canvas puts an (empty) errors claim in every id_token.
            "errors": {"errors": {}},
        }

    def substitution_variables(self, hint: LaunchHint) -> dict[str, str]:
        variables = {
            "$Canvas.course.id": str(hint.course.lms_id),
            "$Canvas.user.id": str(hint.person.lms_id),
            "$Canvas.api.domain": "canvas.sandbox.test",
            "$Canvas.user.loginId": hint.person.username,
        }
        if hint.resource_link is not None:
            variables["$Canvas.assignment.id"] = str(hint.resource_link.lms_id)
        return variables

    def tool_platform(self, root: str) -> dict[str, str]:
        return {
            "guid": f"{CANVAS_ROOT_ACCOUNT_CONTEXT_ID}:canvas-lms",
            "name": "Sandbox Canvas",
            "version": self.version,
            "product_family_code": self.product_family_code,
        }

    def platform_configuration(self) -> dict[str, Any]:
        return {
            "product_family_code": self.product_family_code,
            "version": self.version,
            "messages_supported": [
                {
                    "type": vocab.RESOURCE_LINK_REQUEST,
                    "placements": ["course_navigation", "link_selection"],
                },
                {
                    "type": vocab.DEEP_LINKING_REQUEST,
                    "placements": ["assignment_selection", "link_selection"],
                },
            ],
            "variables": [
                "Canvas.course.id",
                "Canvas.user.id",
                "Canvas.api.domain",
                "Canvas.assignment.id",
                "Canvas.user.loginId",
                "Context.id",
                "ResourceLink.id",
                "User.id",
                "Person.name.full",
            ],
            "https://canvas.instructure.com/lti/account_name": "Sandbox Canvas",
        }
