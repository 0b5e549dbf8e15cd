"""The operator console's state: operators, login attempts, and what operators decided
about registrations.

Operators are people who run the tool (not LMS users: no LTI role reaches the console).
Login attempts live in the database so every worker counts the same failures. A
``RegistrationRecord`` says how a registration came to be (Dynamic Registration, the
console, the command line) and whether an operator approved it; LTI Dynamic Registration
1.0 https://www.imsglobal.org/spec/lti-dr/v1p0 lets anyone holding a platform's one-time
token register, so an operator may hold new platforms until approved.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, created_at, intpk, str255
from lti_tool.models.platform import Registration


class Operator(Base):
    """A person allowed into the console; created with ``lti-tool admin create``."""

    __tablename__ = "operators"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(150), unique=True)
    # argon2id hash (argon2-cffi's PasswordHasher); never the password itself.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped when the password changes or the operator is disabled: sessions carry the
    # epoch they began in, so older sessions end on their next request.
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class LoginAttempt(Base):
    """One console sign-in attempt, kept long enough to throttle guessing."""

    __tablename__ = "operator_login_attempts"
    __table_args__ = (
        Index("ix_operator_login_attempts_username_at", "username", "at"),
        Index("ix_operator_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[intpk]
    # As typed (lower-cased), whether or not such an operator exists.
    username: Mapped[str] = mapped_column(String(150))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[created_at]


class ApprovalState(enum.StrEnum):
    APPROVED = "approved"
    PENDING = "pending"  # registered by Dynamic Registration, waiting for an operator
    REJECTED = "rejected"  # an operator refused it; kept (inactive) so the refusal is on record


class RegistrationRecord(Base):
    """How a registration was made and whether an operator approved it (one per registration)."""

    __tablename__ = "registration_records"

    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    # "dynamic" (LTI Dynamic Registration), "console" or "cli".
    source: Mapped[str] = mapped_column(String(16))
    approval: Mapped[ApprovalState] = mapped_column(
        Enum(ApprovalState, native_enum=False, length=16), default=ApprovalState.APPROVED
    )
    # Why an operator must look at it (e.g. an issuer the tool could not verify).
    approval_reason: Mapped[str] = mapped_column(String(1024), default="")
    decided_by: Mapped[str | None] = mapped_column(String(150), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    openid_configuration_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    platform_version: Mapped[str] = mapped_column(String(64), default="")
    # Scopes the tool asked for; Registration.granted_scopes holds what was granted.
    requested_scopes: Mapped[list[Any]] = mapped_column(default=list)
    # Anything else worth showing the operator: placements registered, Canvas's
    # registration_config_url, the deployment Moodle returned.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A re-registration of a live platform that changes its keys or endpoints: held here,
    # unapplied, until an operator approves it (the live values keep serving launches).
    proposed_update: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[created_at]

    registration: Mapped[Registration] = relationship()


class RegistrationEvent(Base):
    """Append-only history of a registration: registered, re-registered, approved, rejected.

    Kept when the registration is deleted (the issuer and client ID are copied), so an
    operator can still see who changed what and when.
    """

    __tablename__ = "registration_events"
    __table_args__ = (Index("ix_registration_events_registration_id", "registration_id", "id"),)

    id: Mapped[intpk]
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), default=None
    )
    issuer: Mapped[str] = mapped_column(String(1024))
    client_id: Mapped[str255]
    # "registered", "updated", "update_held", "approved", "rejected", ...
    event: Mapped[str] = mapped_column(String(32))
    # An operator's username, or "dynamic registration" / "command line".
    actor: Mapped[str] = mapped_column(String(150))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[created_at]


class RegistrationInvitation(Base):
    """A one-time Dynamic Registration URL an operator hands to one LMS administrator.

    Only the SHA-256 of the secret is stored: the URL is shown once, when it is made. It
    stands for the operator's approval in advance, so it is single use and expires.
    """

    __tablename__ = "registration_invitations"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Who the operator meant it for ("St Mary's Moodle"), shown in the console.
    note: Mapped[str255] = mapped_column(default="")
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), default=None
    )


class RegistrationPolicy(Base):
    """The operator's rules for platforms registering themselves (a single row, id 1)."""

    __tablename__ = "registration_policy"

    id: Mapped[intpk]
    # Hold every dynamically registered platform until an operator approves it.
    require_approval: Mapped[bool] = mapped_column(default=False)
    # New dynamic registrations approve the deployments they launch from by themselves
    # (Canvas course copies and course-level installs make many).
    trust_new_deployments: Mapped[bool] = mapped_column(default=False)
    updated_by: Mapped[str255] = mapped_column(default="")
    updated_at: Mapped[created_at]
