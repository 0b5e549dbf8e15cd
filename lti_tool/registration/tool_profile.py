"""What the tool tells a platform about itself: its URLs, services, claims and placements.

One description serves every way of registering: the Dynamic Registration client metadata
(LTI DR 1.0 §3.5 https://www.imsglobal.org/spec/lti-dr/v1p0#tool-configuration), the
Canvas developer-key JSON and the manual setup page, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lti_tool import protocol
from lti_tool.config import Settings

TOOL_NAME = "CME Activities"
TOOL_DESCRIPTION = (
    "Accredited continuing medical education activities: content, pre- and post-tests, "
    "evaluation and credit certificates, with scores sent to the gradebook."
)
# Claims the tool reads from launches: names and email go on certificates.
TOOL_CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email", "locale")
# Where instructors add an activity through Deep Linking, per LMS. Canvas: a module item
# (link_selection) or a graded assignment (assignment_selection); Moodle: the activity chooser.
DEEP_LINKING_PLACEMENTS = {
    "canvas": ("link_selection", "assignment_selection"),
    "moodle": ("ContentArea",),
}
# Canvas sends names and email only at the "public" privacy level; certificates need both.
CANVAS_PRIVACY_LEVEL = "public"
# Canvas custom fields, expanded at launch and kept with the launch so operators can match
# the tool's records with Canvas's own course and user ids.
CANVAS_CUSTOM_FIELDS = {
    "canvas_course_id": "$Canvas.course.id",
    "canvas_user_id": "$Canvas.user.id",
}
# Asked of every platform: the learner's time zone (IANA name), so pages show times in it.
# Canvas and Moodle both expand $Person.address.timezone; a platform that does not leaves
# the text as is, and the tool falls back to the provider's zone (LTI_TOOL_TIMEZONE).
LEARNER_CUSTOM_FIELDS = {"timezone": "$Person.address.timezone"}
# Lets Canvas recognise this tool across developer keys and deployments.
CANVAS_TOOL_ID = "cme-activities"


@dataclass(frozen=True)
class ToolProfile:
    base_url: str
    name: str = TOOL_NAME
    description: str = TOOL_DESCRIPTION

    @classmethod
    def of(cls, settings: Settings) -> ToolProfile:
        return cls(base_url=settings.base_url.rstrip("/"))

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def login_url(self) -> str:
        return self.base_url + "/lti/login"

    @property
    def launch_url(self) -> str:
        return self.base_url + "/lti/launch"

    @property
    def deep_linking_url(self) -> str:
        # One launch endpoint takes both message types; the message type decides the page.
        return self.launch_url

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        return (self.launch_url,)

    @property
    def jwks_url(self) -> str:
        return self.base_url + "/.well-known/jwks.json"

    @property
    def registration_url(self) -> str:
        return self.base_url + "/lti/register"

    @property
    def canvas_json_url(self) -> str:
        return self.base_url + "/lti/config/canvas.json"

    @property
    def setup_url(self) -> str:
        return self.base_url + "/lti/setup"

    @property
    def logo_url(self) -> str:
        return self.base_url + "/lti/logo.svg"

    @property
    def scopes(self) -> tuple[str, ...]:
        return protocol.TOOL_SCOPES


def deep_linking_placements(product_family: str, supported: list[str] | None) -> list[str]:
    """The placements to ask for: ours for this LMS, limited to what it says it supports."""
    wanted = DEEP_LINKING_PLACEMENTS.get(product_family, ())
    if supported is None:
        return list(wanted)
    return [placement for placement in wanted if placement in supported]


def client_metadata(
    profile: ToolProfile,
    *,
    product_family: str,
    scopes: list[str],
    deep_linking_placements: list[str] | None,
) -> dict[str, Any]:
    """The Dynamic Registration request body (OpenID Connect Dynamic Client Registration
    with the LTI tool configuration), DR 1.0 §3.5.1."""
    deep_linking: dict[str, Any] = {
        "type": protocol.MESSAGE_DEEP_LINKING,
        "target_link_uri": profile.deep_linking_url,
        "label": f"Add a {profile.name} activity",
        "icon_uri": profile.logo_url,
    }
    if deep_linking_placements:
        deep_linking["placements"] = deep_linking_placements
    configuration: dict[str, Any] = {
        "domain": profile.domain,
        "description": profile.description,
        "target_link_uri": profile.launch_url,
        "claims": list(TOOL_CLAIMS),
        "messages": [
            {
                "type": protocol.MESSAGE_RESOURCE_LINK,
                "target_link_uri": profile.launch_url,
                "label": profile.name,
                "icon_uri": profile.logo_url,
            },
            deep_linking,
        ],
    }
    if product_family == "canvas":
        # Canvas defaults a dynamically registered tool to "anonymous" (no names, no email).
        configuration[protocol.CANVAS_PRIVACY_LEVEL] = CANVAS_PRIVACY_LEVEL
        configuration[protocol.CANVAS_TOOL_ID] = CANVAS_TOOL_ID
        configuration["custom_parameters"] = dict(CANVAS_CUSTOM_FIELDS)
    configuration["custom_parameters"] = {
        **configuration.get("custom_parameters", {}),
        **LEARNER_CUSTOM_FIELDS,
    }
    return {
        "application_type": protocol.OIDC_APPLICATION_TYPE,
        "response_types": [protocol.OIDC_RESPONSE_TYPE],
        "grant_types": list(protocol.OIDC_GRANT_TYPES),
        "initiate_login_uri": profile.login_url,
        "redirect_uris": list(profile.redirect_uris),
        "client_name": profile.name,
        "client_uri": profile.base_url,
        "logo_uri": profile.logo_url,
        "jwks_uri": profile.jwks_url,
        "token_endpoint_auth_method": protocol.OIDC_TOKEN_AUTH_METHOD,
        "scope": " ".join(scopes),
        protocol.LTI_TOOL_CONFIGURATION: configuration,
    }


def canvas_developer_key(profile: ToolProfile) -> dict[str, Any]:
    """Canvas's LTI 1.3 developer-key JSON (paste it, or give Canvas its URL).

    Fields per https://canvas.instructure.com/doc/api/file.lti_dev_key_config.html :
    the key points Canvas at the tool's JWKS URL (``public_jwk_url``), so rotating the
    tool's keys needs no change in Canvas.
    """
    placements = [
        {
            "placement": placement,
            "message_type": protocol.MESSAGE_DEEP_LINKING,
            "target_link_uri": profile.deep_linking_url,
            "text": label,
            "icon_url": profile.logo_url,
            "selection_width": 900,
            "selection_height": 700,
        }
        for placement, label in (
            ("link_selection", f"{profile.name}: add to a module"),
            ("assignment_selection", f"{profile.name}: graded assignment"),
        )
    ]
    return {
        "title": profile.name,
        "description": profile.description,
        "oidc_initiation_url": profile.login_url,
        "target_link_uri": profile.launch_url,
        "public_jwk_url": profile.jwks_url,
        "scopes": list(profile.scopes),
        "extensions": [
            {
                "platform": protocol.CANVAS_PLATFORM,
                "domain": profile.domain,
                "tool_id": CANVAS_TOOL_ID,
                "privacy_level": CANVAS_PRIVACY_LEVEL,
                "settings": {
                    "text": profile.name,
                    "icon_url": profile.logo_url,
                    "placements": placements,
                },
            }
        ],
        "custom_fields": {**CANVAS_CUSTOM_FIELDS, **LEARNER_CUSTOM_FIELDS},
    }


@dataclass(frozen=True)
class SetupValue:
    label: str
    value: str
    hint: str = ""


def manual_setup_values(profile: ToolProfile) -> list[SetupValue]:
    """What an LMS administrator types into a manual LTI 1.3 registration."""
    return [
        SetupValue("Tool name", profile.name),
        SetupValue("Tool URL / target link URI", profile.launch_url, "Moodle: Tool URL."),
        SetupValue(
            "LTI version", "LTI 1.3", "Moodle: LTI version; Blackboard and D2L: LTI Advantage."
        ),
        SetupValue("OpenID Connect login initiation URL", profile.login_url),
        SetupValue(
            "Redirection URI(s)",
            "\n".join(profile.redirect_uris),
            "Moodle: Redirection URI(s); Canvas: Redirect URIs.",
        ),
        SetupValue(
            "Public keyset URL (JWKS)",
            profile.jwks_url,
            "Moodle: Public key type = Keyset URL. Never paste a single key: the tool "
            "rotates its keys.",
        ),
        SetupValue(
            "Deep Linking (content-item message)",
            profile.deep_linking_url,
            "Turn Deep Linking on; instructors then pick activities from a list.",
        ),
        SetupValue(
            "Services",
            "Assignment and Grade Services: use this service for grade sync and column "
            "management. Names and Role Provisioning: use this service to retrieve members.",
            "Scopes: " + ", ".join(profile.scopes),
        ),
        SetupValue(
            "Privacy",
            "Share launcher's name and email with the tool: Always.",
            "Certificates carry the learner's name and are sent by email.",
        ),
        SetupValue("Dynamic Registration URL", profile.registration_url),
        SetupValue("Canvas configuration URL", profile.canvas_json_url),
    ]
