"""LTI 1.3 and LTI Advantage names: claim URIs, role URIs, scopes and media types.

The one place these strings live (standard library only). Specs:
LTI 1.3 Core https://www.imsglobal.org/spec/lti/v1p3/ ,
AGS 2.0 https://www.imsglobal.org/spec/lti-ags/v2p0/ ,
NRPS 2.0 https://www.imsglobal.org/spec/lti-nrps/v2p0/ ,
Deep Linking 2.0 https://www.imsglobal.org/spec/lti-dl/v2p0/ .
"""

from __future__ import annotations

from collections.abc import Iterable

LTI_VERSION = "1.3.0"

_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
CLAIM_MESSAGE_TYPE = _CLAIM + "message_type"
CLAIM_VERSION = _CLAIM + "version"
CLAIM_DEPLOYMENT_ID = _CLAIM + "deployment_id"
CLAIM_TARGET_LINK_URI = _CLAIM + "target_link_uri"
CLAIM_RESOURCE_LINK = _CLAIM + "resource_link"
CLAIM_ROLES = _CLAIM + "roles"
CLAIM_CONTEXT = _CLAIM + "context"
CLAIM_CUSTOM = _CLAIM + "custom"
CLAIM_TOOL_PLATFORM = _CLAIM + "tool_platform"
CLAIM_LAUNCH_PRESENTATION = _CLAIM + "launch_presentation"
CLAIM_LIS = _CLAIM + "lis"
CLAIM_AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CLAIM_DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
CLAIM_DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
CLAIM_DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
CLAIM_DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
CLAIM_DL_ERRORMSG = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"

MESSAGE_RESOURCE_LINK = "LtiResourceLinkRequest"
MESSAGE_DEEP_LINKING = "LtiDeepLinkingRequest"
MESSAGE_DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
LAUNCH_MESSAGE_TYPES = frozenset({MESSAGE_RESOURCE_LINK, MESSAGE_DEEP_LINKING})
# Deep Linking 2.0 §3.1: the content item type of an LTI resource link.
CONTENT_ITEM_RESOURCE_LINK = "ltiResourceLink"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_SCOPES = (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_SCORE,
    SCOPE_RESULT_READONLY,
    SCOPE_NRPS,
)

MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEDIA_RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
MEDIA_MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
# NRPS 2.0 §2.2 member status; a member without one is Active.
MEMBER_STATUS_ACTIVE = "Active"
MEMBER_STATUS_INACTIVE = "Inactive"
MEMBER_STATUS_DELETED = "Deleted"

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_SCORE, SCOPE_RESULT_READONLY)

# LTI Dynamic Registration 1.0 https://www.imsglobal.org/spec/lti-dr/v1p0
# §3.4 the platform's OpenID configuration carries this object; §3.5 so does the tool's
# client registration; §4 the tool's page ends the flow with the close postMessage.
LTI_PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
LTI_TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
LTI_CLOSE_MESSAGE = "org.imsglobal.lti.close"
OIDC_APPLICATION_TYPE = "web"
OIDC_GRANT_TYPES = ("implicit", "client_credentials")
OIDC_RESPONSE_TYPE = "id_token"
OIDC_TOKEN_AUTH_METHOD = "private_key_jwt"  # noqa: S105 (a method name, not a secret)
OIDC_SIGNING_ALG = "RS256"

# Canvas extensions (https://canvas.instructure.com/doc/api/file.registration.html and
# file.lti_dev_key_config.html): developer-key JSON and Dynamic Registration fields.
CANVAS_PLATFORM = "canvas.instructure.com"
CANVAS_PRIVACY_LEVEL = "https://canvas.instructure.com/lti/privacy_level"
CANVAS_TOOL_ID = "https://canvas.instructure.com/lti/tool_id"
CANVAS_ACCOUNT_NAME = "https://canvas.instructure.com/lti/account_name"
CANVAS_REGISTRATION_CONFIG_URL = "https://canvas.instructure.com/lti/registration_config_url"
CANVAS_PRIVACY_LEVELS = ("anonymous", "name_only", "email_only", "public")
# Instructure-hosted Canvas signs every school's launches with one issuer per environment
# and one key set per environment, whatever host the school's Canvas answers on.
CANVAS_CLOUD_ISSUERS = {
    "https://canvas.instructure.com": "sso.canvaslms.com",
    "https://canvas.beta.instructure.com": "sso.beta.canvaslms.com",
    "https://canvas.test.instructure.com": "sso.test.canvaslms.com",
}

# AGS 2.0 §3.4.2 score fields: activityProgress and gradingProgress values.
ACTIVITY_PROGRESS_SUBMITTED = "Submitted"
ACTIVITY_PROGRESS_COMPLETED = "Completed"
GRADING_PROGRESS_FULLY_GRADED = "FullyGraded"
# AGS 2.0 §3.2.5 line item container filter.
LINEITEMS_FILTER_RESOURCE_ID = "resource_id"

# Role vocabularies (LTI 1.3 Core §A.2). Platforms send full URIs, the short
# context names ("Instructor"), or LIS v1 URNs; all are accepted.
_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
_INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
_SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
ROLE_LEARNER = _MEMBERSHIP + "Learner"
ROLE_INSTRUCTOR = _MEMBERSHIP + "Instructor"
ROLE_CONTENT_DEVELOPER = _MEMBERSHIP + "ContentDeveloper"
ROLE_ADMINISTRATOR = _INSTITUTION + "Administrator"

LEARNER, INSTRUCTOR, ADMINISTRATOR = "learner", "instructor", "administrator"

_ADMIN_NAMES = {"Administrator", "SysAdmin"}
_INSTRUCTOR_NAMES = {"Instructor", "ContentDeveloper", "TeachingAssistant", "Mentor", "Faculty"}


def _role_name(role: str) -> tuple[str, str]:
    """Split a role into (vocabulary, name): 'membership', 'Instructor' …"""
    role = role.strip()
    if "#" in role:
        vocab, name = role.rsplit("#", 1)
        kind = vocab.rsplit("/", 1)[-1] if "/" in vocab else vocab
        # Sub-roles ("…/membership/Instructor#TeachingAssistant") keep the parent's kind.
        if "/membership/" in vocab:
            kind = "membership"
        elif "/institution/" in vocab:
            kind = "institution"
        elif "/system/" in vocab:
            kind = "system"
        return kind, name
    if role.startswith("urn:lti:"):  # LIS v1 URNs: urn:lti:role:ims/lis/Instructor
        kind = (
            "system"
            if ":sysrole:" in role
            else "institution"
            if ":instrole:" in role
            else "membership"
        )
        return kind, role.rsplit("/", 1)[-1]
    return "membership", role  # short context role names are allowed by Core §A.2.3.1


def classify_roles(roles: Iterable[str]) -> str:
    """learner, instructor or administrator, from whatever roles the platform sent.

    An institution or system administrator is an administrator; anyone teaching the
    course is an instructor; everyone else (no roles, unknown roles, guests) is a
    learner, which is the safe default for a CME tool.
    """
    parsed = [_role_name(role) for role in roles if isinstance(role, str) and role.strip()]
    if any(name in _ADMIN_NAMES for _kind, name in parsed):
        return ADMINISTRATOR
    if any(kind == "membership" and name in _INSTRUCTOR_NAMES for kind, name in parsed):
        return INSTRUCTOR
    if any(kind == "institution" and name in {"Instructor", "Faculty"} for kind, name in parsed):
        # Moodle and Canvas also send the membership role; an institution-only Instructor
        # (seen on some D2L setups) still teaches.
        has_learner = any(kind == "membership" and name == "Learner" for kind, name in parsed)
        return LEARNER if has_learner else INSTRUCTOR
    return LEARNER
