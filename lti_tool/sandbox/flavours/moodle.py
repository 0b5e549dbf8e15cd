"""The Moodle flavour: URLs, identifiers, roles and claims the way Moodle (mod_lti) sends them.

Reference: Moodle's own implementation, moodle/moodle mod/lti/ (services, openid-registration.php).
Every Moodle quirk the sandbox imitates is commented where it is produced.
"""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from lti_tool.sandbox import vocab
from lti_tool.sandbox.flavours.base import Flavour, insert_path_segment

if TYPE_CHECKING:
    from lti_tool.sandbox.models import Course, LaunchHint, LineItem, Person, ToolRegistration
    from lti_tool.sandbox.settings import SandboxSettings


class MoodleFlavour(Flavour):
    name = "moodle"
    label = "Moodle"
    product_family_code = "moodle"
    version = "4.5"
    context_type = vocab.CONTEXT_COURSE_SECTION
    first_line_item_id = 7
    first_resource_link_id = 1
    first_type_id = 1
    # Moodle 5.1 ignores lti.frameResize (and lti.scrollToTop): it sizes the frame to the
    # window, and long pages scroll inside it (seen on a real Moodle 5.1+, issue 13).
    frame_messages = ()
    frame_fills_window = True

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
            # Moodle has no observer enrolment; a role without mod/lti:manage is a Learner.
            "observer": [vocab.ROLE_LEARNER],
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
