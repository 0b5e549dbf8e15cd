"""Typed SQLAlchemy 2.0 models. Importing this package registers every table on ``Base``."""

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
from lti_tool.models.grades import GradeLineItem, PlatformAccessToken, ScoreOutbox
from lti_tool.models.identity import Context, ResourceLink, User
from lti_tool.models.launch import (
    Launch,
    LaunchFailure,
    LoginState,
    LtiStorageEntry,
    PlatformKeySet,
)
from lti_tool.models.limits import RateCounter
from lti_tool.models.platform import Deployment, DeploymentStatus, Registration

__all__ = [
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
    "GradeLineItem",
    "Launch",
    "LaunchFailure",
    "LearnerProfile",
    "LoginAttempt",
    "LoginState",
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
