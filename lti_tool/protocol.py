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

# Role vocabularies (LTI 1.3 Core §A.2 https://www.imsglobal.org/spec/lti/v1p3/#role-vocabularies).
# Platforms send full URIs, short context role names ("Instructor", §A.2.3: allowed for
# context roles only) or LIS v1 URNs (LTI 1.1 migrations); all are read.
_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
_MEMBERSHIP_SUB = "http://purl.imsglobal.org/vocab/lis/v2/membership/"  # + Parent#Sub
_INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
_SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
_LTI_SYSTEM = "http://purl.imsglobal.org/vocab/lti/system/person#"  # TestUser (§A.2.1)
ROLE_LEARNER = _MEMBERSHIP + "Learner"
ROLE_INSTRUCTOR = _MEMBERSHIP + "Instructor"
ROLE_CONTENT_DEVELOPER = _MEMBERSHIP + "ContentDeveloper"
ROLE_MENTOR = _MEMBERSHIP + "Mentor"
ROLE_ADMINISTRATOR = _INSTITUTION + "Administrator"

# What a launch may do, from its roles. Staff (instructor or administrator) see the
# dashboard, place activities and resend grades; learners take the activity; anyone else
# (observers, guests, unknown roles, no role) gets a page saying the activity is for
# enrolled learners.
LEARNER, INSTRUCTOR, ADMINISTRATOR = "learner", "instructor", "administrator"
NOT_ENROLLED = "not_enrolled"
STAFF = frozenset({INSTRUCTOR, ADMINISTRATOR})

# §A.2.3 context (membership) roles, by parent role. A sub-role
# (…/membership/Instructor#TeachingAssistant) has its parent's standing: every Instructor
# sub-role (TeachingAssistant, Grader, Lecturer, PrimaryInstructor, …) is staff, every
# Learner sub-role (GuestLearner, NonCreditLearner, ExternalLearner, …) is a learner.
CONTEXT_ROLES = {
    "Administrator": INSTRUCTOR,  # the course's own administrator (Support, Developer, …)
    "ContentDeveloper": INSTRUCTOR,  # writes the course (ContentExpert, Librarian, …)
    "Instructor": INSTRUCTOR,
    # Not in the v2 vocabulary, but sent as a context role: LIS v1 (LTI 1.1 URNs,
    # urn:lti:role:ims/lis/TeachingAssistant) and Canvas's short names keep it.
    "TeachingAssistant": INSTRUCTOR,
    "Learner": LEARNER,
    # Canvas sends Mentor for observers (parents, advisors): they must not see classmates'
    # data or take the activity as the learner they observe. Every Mentor sub-role
    # (Advisor, Auditor, Reviewer, Tutor, …) likewise.
    "Mentor": NOT_ENROLLED,
    "Manager": NOT_ENROLLED,
    "Member": NOT_ENROLLED,
    "Officer": NOT_ENROLLED,
}
# §A.2.2 institution roles and §A.2.1 system roles: only administrators of the LMS (Canvas
# account admins, Moodle site admins) count; they open tools to check them. An institution
# Instructor, Faculty or Student is nobody in *this* course without a context role.
INSTITUTION_ROLES = {"Administrator": ADMINISTRATOR}
SYSTEM_ROLES = {"Administrator": ADMINISTRATOR, "SysAdmin": ADMINISTRATOR}

_PRECEDENCE = (ADMINISTRATOR, INSTRUCTOR, LEARNER)


def _role_standing(role: str) -> str:
    """One role's standing; anything not in the tables above is NOT_ENROLLED."""
    role = role.strip()
    if role.startswith(_MEMBERSHIP):
        return CONTEXT_ROLES.get(role.removeprefix(_MEMBERSHIP), NOT_ENROLLED)
    if role.startswith(_MEMBERSHIP_SUB):
        parent, _hash, _sub = role.removeprefix(_MEMBERSHIP_SUB).partition("#")
        return CONTEXT_ROLES.get(parent, NOT_ENROLLED)
    if role.startswith(_INSTITUTION):
        return INSTITUTION_ROLES.get(role.removeprefix(_INSTITUTION), NOT_ENROLLED)
    if role.startswith((_SYSTEM, _LTI_SYSTEM)):
        return SYSTEM_ROLES.get(role.rsplit("#", 1)[-1], NOT_ENROLLED)
    if role.startswith("urn:lti:"):  # LIS v1: urn:lti:role:ims/lis/Instructor/TeachingAssistant
        path = role.split(":ims/lis/", 1)[-1].split("/")
        if role.startswith("urn:lti:role:"):
            return CONTEXT_ROLES.get(path[0], NOT_ENROLLED)
        if role.startswith("urn:lti:instrole:"):
            return INSTITUTION_ROLES.get(path[0], NOT_ENROLLED)
        if role.startswith("urn:lti:sysrole:"):
            return SYSTEM_ROLES.get(path[0], NOT_ENROLLED)
        return NOT_ENROLLED
    if ":" in role or "/" in role or "#" in role:
        return NOT_ENROLLED  # another vocabulary (http://example.edu/roles#Instructor)
    return CONTEXT_ROLES.get(role, NOT_ENROLLED)  # a short context role name, §A.2.3


def classify_roles(roles: Iterable[str]) -> str:
    """learner, instructor, administrator or not_enrolled, from the roles the platform sent.

    The highest standing among the roles wins (a teacher who is also enrolled is staff);
    no role, or only roles outside the tables, is not_enrolled.
    """
    found = {_role_standing(role) for role in roles if isinstance(role, str) and role.strip()}
    for standing in _PRECEDENCE:
        if standing in found:
            return standing
    return NOT_ENROLLED
