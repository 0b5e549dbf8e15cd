"""What every flavour provides: the shape of an LMS as the sandbox imitates it.

Each flavour is a separate LTI 1.3 platform (LTI 1.3 Core §3 "Platform/tool relationship")
with its own issuer, client ids, deployment ids and JWKS URL, mounted under its own path.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lti_tool.sandbox.models import Course, LaunchHint, LineItem, Person, ToolRegistration
    from lti_tool.sandbox.settings import SandboxSettings


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
    # First numbers handed out, so URLs look lived-in (Canvas line_items/31, Moodle lineitems/7).
    first_line_item_id: int
    first_resource_link_id: int
    first_type_id: int
    # LTI Client Side postMessages the course page acts on, besides storage and close.
    frame_messages: tuple[str, ...] = ("lti.frameResize",)
    # The tool frame takes the window's height and long pages scroll inside it.
    frame_fills_window: bool = False

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
