"""The sandbox LMS's own tables: its courses, people, tool registrations and gradebook.

These live in the sandbox's own SQLite file on their own ``DeclarativeBase`` so that nothing
here can leak into the tool's schema or its Alembic history; ``create_all`` at start-up is
enough for a development platform.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, MetaData, String, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes; SQLite would otherwise hand back naive values."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class DecimalText(TypeDecorator[Decimal]):
    """Exact scores: stored as text because SQLite has no decimal type."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class SandboxBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        Decimal: DecimalText(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class ToolRegistration(SandboxBase):
    """A tool as the platform knows it (Canvas: developer key + deployment; Moodle: tool type)."""

    __tablename__ = "tool_registration"
    __table_args__ = (
        UniqueConstraint("flavour", "client_id"),
        UniqueConstraint("flavour", "deployment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flavour: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[str] = mapped_column(String(128))
    # Moodle's tool type id (also its deployment id and the `type_id` in service URLs);
    # Canvas's ContextExternalTool id (the number before the colon in its deployment id).
    type_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    initiate_login_uri: Mapped[str] = mapped_column(String(500))
    redirect_uris: Mapped[list[str]]
    jwks_uri: Mapped[str] = mapped_column(String(500))
    target_link_uri: Mapped[str] = mapped_column(String(500))
    deep_link_uri: Mapped[str | None] = mapped_column(String(500))
    scopes: Mapped[list[str]]
    custom_parameters: Mapped[dict[str, Any]]
    # The tool the sandbox was started for; platform_registration() describes it.
    is_primary: Mapped[bool] = mapped_column(default=False)
    created_via: Mapped[str] = mapped_column(String(16))  # "api" or "dynamic"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Course(SandboxBase):
    __tablename__ = "course"
    __table_args__ = (
        UniqueConstraint("flavour", "lms_id"),
        UniqueConstraint("flavour", "context_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flavour: Mapped[str] = mapped_column(String(16))
    # The LMS's own course number, as it appears in Canvas and Moodle URLs.
    lms_id: Mapped[int]
    # The LTI context id (Canvas: a SHA-1 hex digest; Moodle: the course number).
    context_id: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))

    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="course")


class Person(SandboxBase):
    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("flavour", "sub"),
        UniqueConstraint("flavour", "username"),
        UniqueConstraint("flavour", "lms_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flavour: Mapped[str] = mapped_column(String(16))
    lms_id: Mapped[int]
    # The LTI user id (Canvas: a UUID; Moodle: the user number).
    sub: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(default=False)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Enrollment(SandboxBase):
    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[str] = mapped_column(String(16))  # one of vocab.ROLE_NAMES
    status: Mapped[str] = mapped_column(String(16), default="Active")

    course: Mapped[Course] = relationship(back_populates="enrollments")
    person: Mapped[Person] = relationship()


class ResourceLink(SandboxBase):
    __tablename__ = "resource_link"
    __table_args__ = (
        UniqueConstraint("course_id", "resource_link_id"),
        UniqueConstraint("flavour", "lms_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flavour: Mapped[str] = mapped_column(String(16))
    # Canvas assignment id / Moodle activity instance id.
    lms_id: Mapped[int]
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("tool_registration.id"))
    resource_link_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(1000), default="")
    # None: launch the registration's target_link_uri.
    target_link_uri: Mapped[str | None] = mapped_column(String(500))
    custom: Mapped[dict[str, Any]]
    created_via: Mapped[str] = mapped_column(String(16))  # "seed" or "deep_link"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    registration: Mapped[ToolRegistration] = relationship()


class LineItem(SandboxBase):
    __tablename__ = "line_item"
    __table_args__ = (UniqueConstraint("flavour", "lms_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flavour: Mapped[str] = mapped_column(String(16))
    # The number in the line item URL (Canvas line_items/31, Moodle lineitems/7).
    lms_id: Mapped[int]
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("tool_registration.id"))
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_link.id"))
    label: Mapped[str] = mapped_column(String(200))
    score_maximum: Mapped[Decimal]
    resource_id: Mapped[str] = mapped_column(String(200), default="")
    tag: Mapped[str] = mapped_column(String(200), default="")
    start_date_time: Mapped[str | None] = mapped_column(String(40))
    end_date_time: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()


class Score(SandboxBase):
    """One score POSTed by the tool, kept verbatim: the gradebook history."""

    __tablename__ = "score"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("line_item.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    user_id: Mapped[str] = mapped_column(String(64))  # the userId as sent
    score_given: Mapped[Decimal | None]
    score_maximum: Mapped[Decimal | None]
    activity_progress: Mapped[str] = mapped_column(String(32))
    grading_progress: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(String(2000))
    timestamp: Mapped[str] = mapped_column(String(64))  # as sent
    timestamp_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[dict[str, Any]]

    line_item: Mapped[LineItem] = relationship()
    person: Mapped[Person] = relationship()


class AccessToken(SandboxBase):
    __tablename__ = "access_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("tool_registration.id"))
    scopes: Mapped[list[str]]
    expires_at: Mapped[datetime]

    registration: Mapped[ToolRegistration] = relationship()


class UsedAssertion(SandboxBase):
    """jti values of client assertions already exchanged: each may be used once."""

    __tablename__ = "used_assertion"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class LaunchHint(SandboxBase):
    """The launch an lti_message_hint stands for: opaque to the tool, tamper-proof."""

    __tablename__ = "launch_hint"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("tool_registration.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_link.id"))
    message_type: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    custom: Mapped[dict[str, Any]]
    # Deep linking only: the `data` value the tool must echo, and accept_multiple.
    deep_link_data: Mapped[str | None] = mapped_column(String(64), unique=True)
    accept_multiple: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    registration: Mapped[ToolRegistration] = relationship()
    course: Mapped[Course] = relationship()
    person: Mapped[Person] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()


class DeepLinkReturn(SandboxBase):
    """An LtiDeepLinkingResponse the tool posted back, accepted or refused."""

    __tablename__ = "deep_link_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("tool_registration.id"))
    launch_hint_id: Mapped[str | None] = mapped_column(ForeignKey("launch_hint.id"))
    nonce: Mapped[str | None] = mapped_column(String(200))
    accepted: Mapped[bool]
    error: Mapped[str | None] = mapped_column(String(1000))
    claims: Mapped[dict[str, Any]]
    # What the platform did with each content item, in order.
    placements: Mapped[list[str]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegistrationToken(SandboxBase):
    """A one-time Dynamic Registration token (valid one hour)."""

    __tablename__ = "registration_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    flavour: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("tool_registration.id"))
    # Moodle's "Update" (offered when a tool on the same host exists): the registration
    # POST made with this token changes this tool in place and answers with its client_id.
    updates_registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("tool_registration.id"), default=None
    )
