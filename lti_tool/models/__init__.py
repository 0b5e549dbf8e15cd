"""Typed SQLAlchemy 2.0 models. Importing this package registers every table on ``Base``."""

from lti_tool.db import Base
from lti_tool.models.admin import LoginAttempt, Operator, RegistrationPolicy, RegistrationRecord  # noqa: F401
from lti_tool.models.course import (
    ActivityVersion,
    Attempt,
    AuditEvent,
    EvaluationResponse,
    Participation,
)
from lti_tool.models.grades import GradeLineItem, PlatformAccessToken, ScoreOutbox  # noqa: F401
from lti_tool.models.identity import Context, ResourceLink, User
from lti_tool.models.launch import (
    Launch,
    LaunchFailure,
    LoginState,
    LtiStorageEntry,
    PlatformKeySet,
)
from lti_tool.models.platform import Deployment, DeploymentStatus, Registration

__all__ = [
    "ActivityVersion",
    "Attempt",
    "AuditEvent",
    "EvaluationResponse",
    "Participation",
    "Base",
    "Context",
    "Deployment",
    "DeploymentStatus",
    "Launch",
    "LaunchFailure",
    "LoginState",
    "LtiStorageEntry",
    "PlatformKeySet",
    "Registration",
    "ResourceLink",
    "User",
]
