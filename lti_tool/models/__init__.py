"""Typed SQLAlchemy 2.0 models. Importing this package registers every table on ``Base``.

Keys and ids. Every table's primary key is ``id`` (ours, an integer). A column that refers
to another of our rows is ``<thing>_id``: ``user_id``, ``registration_id``,
``participation_id``. Where LTI has an id of its own for the same thing (``deployment_id``,
``context_id``, ``resource_link_id``, ``client_id``: strings the platform chose, stored as
they came), the column holding OUR key for it is ``<thing>_pk`` instead: ``deployment_pk``,
``context_pk``, ``resource_link_pk``. So ``resource_link_id`` is always the platform's
string and ``resource_link_pk`` always our integer; never compare one with the other.
Ids shown to learners or put in URLs are separate random strings (``public_id``, numbers).
"""

from lti_tool.db import Base
from lti_tool.models.admin import (
    LoginAttempt,
    Operator,
    RegistrationEvent,
    RegistrationInvitation,
    RegistrationPolicy,
    RegistrationRecord,
)
from lti_tool.models.certificates import (
    Certificate,
    CertificateMail,
    CpeMonitorReport,
    LearnerProfile,
)
from lti_tool.models.course import (
    ActivitySignOff,
    ActivityVersion,
    Attempt,
    AttemptKind,
    AuditEvent,
    EvaluationResponse,
    Participation,
    ParticipationPlacement,
)
from lti_tool.models.followup import FollowUpRequest, FollowUpStatus
from lti_tool.models.grades import GradeLineItem, PlatformAccessToken, ScoreOutbox
from lti_tool.models.identity import Context, ResourceLink, User
from lti_tool.models.launch import (
    Launch,
    LaunchFailure,
    LtiStorageEntry,
    PlatformKeySet,
    UsedLoginState,
)
from lti_tool.models.limits import RateCounter
from lti_tool.models.outcomes import EvaluationTally, KnowledgePairTally
from lti_tool.models.platform import Deployment, DeploymentStatus, Registration

__all__ = [
    "FollowUpRequest",
    "FollowUpStatus",
    "AttemptKind",
    "ActivitySignOff",
    "ActivityVersion",
    "Attempt",
    "AuditEvent",
    "Base",
    "Certificate",
    "CertificateMail",
    "Context",
    "CpeMonitorReport",
    "Deployment",
    "DeploymentStatus",
    "EvaluationResponse",
    "EvaluationTally",
    "GradeLineItem",
    "KnowledgePairTally",
    "Launch",
    "LaunchFailure",
    "LearnerProfile",
    "LoginAttempt",
    "UsedLoginState",
    "LtiStorageEntry",
    "Operator",
    "Participation",
    "ParticipationPlacement",
    "RateCounter",
    "PlatformAccessToken",
    "PlatformKeySet",
    "Registration",
    "RegistrationEvent",
    "RegistrationInvitation",
    "RegistrationPolicy",
    "RegistrationRecord",
    "ResourceLink",
    "ScoreOutbox",
    "User",
]
