"""The LTI words the sandbox platform speaks: claim URIs, scopes, media types and roles.

One place per protocol (see STYLE.md). Sources:
- LTI 1.3 Core, §5 "LTI message general details": https://www.imsglobal.org/spec/lti/v1p3/#lti-message-general-details
- LTI Advantage AGS 2.0: https://www.imsglobal.org/spec/lti-ags/v2p0
- NRPS 2.0: https://www.imsglobal.org/spec/lti-nrps/v2p0
- Deep Linking 2.0: https://www.imsglobal.org/spec/lti-dl/v2p0
- Dynamic Registration 1.0: https://www.imsglobal.org/spec/lti-dr/v1p0
- LIS role vocabulary, LTI 1.3 Core Appendix A.2: https://www.imsglobal.org/spec/lti/v1p3/#role-vocabularies
"""

from __future__ import annotations

LTI = "https://purl.imsglobal.org/spec/lti/claim/"

CLAIM_MESSAGE_TYPE = LTI + "message_type"
CLAIM_VERSION = LTI + "version"
CLAIM_DEPLOYMENT_ID = LTI + "deployment_id"
CLAIM_TARGET_LINK_URI = LTI + "target_link_uri"
CLAIM_RESOURCE_LINK = LTI + "resource_link"
CLAIM_ROLES = LTI + "roles"
CLAIM_CONTEXT = LTI + "context"
CLAIM_TOOL_PLATFORM = LTI + "tool_platform"
CLAIM_LAUNCH_PRESENTATION = LTI + "launch_presentation"
CLAIM_CUSTOM = LTI + "custom"
CLAIM_LIS = LTI + "lis"
CLAIM_EXT = LTI + "ext"
CLAIM_LTI11_LEGACY_USER_ID = LTI + "lti11_legacy_user_id"
CLAIM_LTI1P1 = LTI + "lti1p1"
CLAIM_AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CLAIM_DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
CLAIM_DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
CLAIM_DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
CLAIM_DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
CLAIM_DL_ERRORMSG = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"
# Canvas only: where in Canvas the launch came from.
CLAIM_CANVAS_PLACEMENT = "https://www.instructure.com/placement"

LTI_VERSION = "1.3.0"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
ALL_SERVICE_SCOPES = (*AGS_SCOPES, SCOPE_NRPS)

MEDIA_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
MEDIA_MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

LTI_TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
LTI_PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
_INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
_SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"

ROLE_LEARNER = _MEMBERSHIP + "Learner"
ROLE_INSTRUCTOR = _MEMBERSHIP + "Instructor"
ROLE_MENTOR = _MEMBERSHIP + "Mentor"
ROLE_TEACHING_ASSISTANT = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
)
ROLE_INSTITUTION_STUDENT = _INSTITUTION + "Student"
ROLE_INSTITUTION_INSTRUCTOR = _INSTITUTION + "Instructor"
ROLE_INSTITUTION_ADMINISTRATOR = _INSTITUTION + "Administrator"
ROLE_SYSTEM_USER = _SYSTEM + "User"
ROLE_SYSTEM_ADMINISTRATOR = _SYSTEM + "Administrator"
ROLE_SYSTEM_SYSADMIN = _SYSTEM + "SysAdmin"

CONTEXT_COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
CONTEXT_COURSE_SECTION = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"

# The sandbox's own short names for the roles a launch can carry.
# "observer" is Canvas's observer enrolment (parents, advisors), sent as Mentor.
ROLE_NAMES = ("learner", "instructor", "ta", "admin", "observer")
