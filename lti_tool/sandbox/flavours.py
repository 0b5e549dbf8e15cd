"""The two LMSs the sandbox imitates, Canvas and Moodle: everything that differs between them.

Each flavour is a separate LTI 1.3 platform (LTI 1.3 Core §3 "Platform/tool relationship") with
its own issuer, client ids, deployment ids and JWKS URL, mounted under ``/canvas`` or
``/moodle``. URL shapes, identifiers, roles and claims follow what the real products send;
every quirk is commented here, where it is produced.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import uuid
from typing import TYPE_CHECKING, Any

from lti_tool.sandbox import vocab

if TYPE_CHECKING:
    from lti_tool.sandbox.models import Course, LaunchHint, LineItem, Person, ToolRegistration
    from lti_tool.sandbox.settings import SandboxSettings

# Canvas deployment ids end with the root account's lti_context_id.
CANVAS_ROOT_ACCOUNT_CONTEXT_ID = "8865aa05b4b79b64a91a86042e43af5ea8ae79eb"
# Namespace for the sandbox's deterministic UUIDs (Canvas user and resource link ids).
SANDBOX_NAMESPACE = uuid.UUID("6f1d7a1e-3c6b-4f53-9d1e-5b0c2a7e8c41")


def insert_path_segment(url: str, segment: str) -> str:
    """``.../lineitem?type_id=1`` + ``scores`` -> ``.../lineitem/scores?type_id=1``."""
    path, sep, query = url.partition("?")
    return f"{path.rstrip('/')}/{segment}{sep}{query}"


class Flavour:
    """Common shape; subclasses fill in the LMS-specific parts."""

    name: str
    label: str
    product_family_code: str
    version: str
    context_type: str
    # The first numbers the LMS hands out, so URLs look like the brief's examples.
    first_line_item_id: int
    first_resource_link_id: int
    first_type_id: int

    def issuer(self, root: str, settings: SandboxSettings) -> str:
        raise NotImplementedError

    # Platform endpoints ---------------------------------------------------------------
    def auth_login_url(self, root: str) -> str:
        raise NotImplementedError

    def token_url(self, root: str) -> str:
        raise NotImplementedError

    def jwks_url(self, root: str) -> str:
        raise NotImplementedError

    def registration_endpoint(self, root: str) -> str:
        raise NotImplementedError

    def openid_configuration_url(self, root: str) -> str:
        return f"{root}/.well-known/openid-configuration"

    # Service endpoints ----------------------------------------------------------------
    def line_items_url(self, root: str, course: Course, registration: ToolRegistration) -> str:
        raise NotImplementedError

    def line_item_url(
        self, root: str, course: Course, line_item: LineItem, registration: ToolRegistration
    ) -> str:
        raise NotImplementedError

    def result_url(self, line_item_url: str, result_id: int, person: Person) -> str:
        raise NotImplementedError

    def memberships_url(self, root: str, course: Course, registration: ToolRegistration) -> str:
        raise NotImplementedError

    def deep_link_return_url(
        self, root: str, course: Course, registration: ToolRegistration
    ) -> str:
        raise NotImplementedError

    def return_url(self, root: str, course: Course, hint: LaunchHint) -> str:
        raise NotImplementedError

    # Identifiers ------------------------------------------------------------------------
    def new_client_id(self, registrations_so_far: int) -> str:
        raise NotImplementedError

    def deployment_id(self, type_id: int) -> str:
        raise NotImplementedError

    def new_resource_link_id(self, registration: ToolRegistration, lms_id: int) -> str:
        raise NotImplementedError

    def context_id(self, course_lms_id: int) -> str:
        raise NotImplementedError

    def sub(self, person_lms_id: int) -> str:
        raise NotImplementedError

    # Launch content ---------------------------------------------------------------------
    def roles(self, role: str) -> list[str]:
        raise NotImplementedError

    def login_initiation_extras(self, registration: ToolRegistration) -> dict[str, str]:
        return {}

    def identity_claims(self, person: Person, settings: SandboxSettings) -> dict[str, Any]:
        return {
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
        }

    def flavour_claims(self, hint: LaunchHint, root: str) -> dict[str, Any]:
        return {}

    def legacy_user_id(self, person: Person) -> str | None:
        """The user's LTI 1.1 user_id, for LMSs that migrated from LTI 1.1."""
        return None

    def substitution_variables(self, hint: LaunchHint) -> dict[str, str]:
        return {}

    def tool_platform(self, root: str) -> dict[str, str]:
        raise NotImplementedError

    def platform_configuration(self) -> dict[str, Any]:
        raise NotImplementedError


class CanvasFlavour(Flavour):
    name = "canvas"
    label = "Canvas"
    product_family_code = "canvas"
    version = "cloud"
    context_type = vocab.CONTEXT_COURSE_OFFERING
    first_line_item_id = 31
    first_resource_link_id = 12
    first_type_id = 42

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


class MoodleFlavour(Flavour):
    name = "moodle"
    label = "Moodle"
    product_family_code = "moodle"
    version = "4.5"
    context_type = vocab.CONTEXT_COURSE_SECTION
    first_line_item_id = 7
    first_resource_link_id = 1
    first_type_id = 1

    def issuer(self, root: str, settings: SandboxSettings) -> str:
        # Moodle's issuer is its wwwroot.
        return root

    def auth_login_url(self, root: str) -> str:
        return f"{root}/mod/lti/auth.php"

    def token_url(self, root: str) -> str:
        return f"{root}/mod/lti/token.php"

    def jwks_url(self, root: str) -> str:
        return f"{root}/mod/lti/certs.php"

    def registration_endpoint(self, root: str) -> str:
        return f"{root}/mod/lti/openid-registration.php"

    def line_items_url(self, root: str, course: Course, registration: ToolRegistration) -> str:
        # Moodle: service URLs carry the tool type in a query string; tools must add
        # path segments (/scores, /results) BEFORE the `?`.
        return (
            f"{root}/mod/lti/services.php/{course.lms_id}/lineitems?type_id={registration.type_id}"
        )

    def line_item_url(
        self, root: str, course: Course, line_item: LineItem, registration: ToolRegistration
    ) -> str:
        return (
            f"{root}/mod/lti/services.php/{course.lms_id}/lineitems/{line_item.lms_id}"
            f"/lineitem?type_id={registration.type_id}"
        )

    def result_url(self, line_item_url: str, result_id: int, person: Person) -> str:
        return insert_path_segment(line_item_url, "results") + f"&user_id={person.lms_id}"

    def memberships_url(self, root: str, course: Course, registration: ToolRegistration) -> str:
        # Moodle: mixed-case path segment; the path is case-sensitive.
        return (
            f"{root}/mod/lti/services.php/CourseSection/{course.lms_id}"
            f"/bindings/{registration.type_id}/memberships"
        )

    def deep_link_return_url(
        self, root: str, course: Course, registration: ToolRegistration
    ) -> str:
        return (
            f"{root}/mod/lti/contentitem_return.php?course={course.lms_id}"
            f"&id={registration.type_id}&sesskey=sandbox"
        )

    def return_url(self, root: str, course: Course, hint: LaunchHint) -> str:
        instance = hint.resource_link.lms_id if hint.resource_link else 0
        return (
            f"{root}/mod/lti/return.php?course={course.lms_id}&launch_container=3"
            f"&instanceid={instance}&sesskey=sandbox"
        )

    def new_client_id(self, registrations_so_far: int) -> str:
        # Moodle: random_string(15).
        alphabet = string.ascii_letters + string.digits
        return "".join(secrets.choice(alphabet) for _ in range(15))

    def deployment_id(self, type_id: int) -> str:
        # Moodle: the deployment id is the tool type id ("1", "2", ...).
        return str(type_id)

    def new_resource_link_id(self, registration: ToolRegistration, lms_id: int) -> str:
        # Moodle: the resource link id is the activity instance id.
        return str(lms_id)

    def context_id(self, course_lms_id: int) -> str:
        return str(course_lms_id)

    def sub(self, person_lms_id: int) -> str:
        # Moodle: `sub` is the numeric user id, as a string.
        return str(person_lms_id)

    def roles(self, role: str) -> list[str]:
        # Moodle sends membership roles only, plus Administrator roles for site admins.
        return {
            "learner": [vocab.ROLE_LEARNER],
            "instructor": [vocab.ROLE_INSTRUCTOR],
            "ta": [vocab.ROLE_INSTRUCTOR],
            "admin": [
                vocab.ROLE_INSTITUTION_ADMINISTRATOR,
                vocab.ROLE_INSTRUCTOR,
                vocab.ROLE_SYSTEM_ADMINISTRATOR,
            ],
        }[role]

    def flavour_claims(self, hint: LaunchHint, root: str) -> dict[str, Any]:
        return {
            vocab.CLAIM_EXT: {"user_username": hint.person.username, "lms": "moodle-2"},
            vocab.CLAIM_LIS: {
                "person_sourcedid": "",
                "course_section_sourcedid": "",
            },
        }

    def tool_platform(self, root: str) -> dict[str, str]:
        return {
            "product_family_code": self.product_family_code,
            "version": "2024100700",
            "guid": "localhost",
            "name": "Sandbox Moodle",
            "description": "Sandbox Moodle",
        }

    def platform_configuration(self) -> dict[str, Any]:
        return {
            "product_family_code": self.product_family_code,
            "version": self.version,
            "messages_supported": [
                {"type": vocab.RESOURCE_LINK_REQUEST},
                {"type": vocab.DEEP_LINKING_REQUEST, "placements": ["ContentArea"]},
            ],
            "variables": [
                "Context.id",
                "Context.title",
                "ResourceLink.id",
                "ResourceLink.title",
                "User.id",
                "User.username",
                "Person.name.full",
                "Person.email.primary",
            ],
        }


FLAVOURS: dict[str, Flavour] = {"canvas": CanvasFlavour(), "moodle": MoodleFlavour()}


def flavour_named(name: str) -> Flavour:
    try:
        return FLAVOURS[name]
    except KeyError:
        raise ValueError(f"unknown flavour {name!r}; choose one of {sorted(FLAVOURS)}") from None
