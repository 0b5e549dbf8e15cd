"""Launch state kept in the database so any worker can finish what another began.

The OIDC login states already used (LTI 1.3 Security Framework §5.1.1), validated launches,
the platform key-set cache, and a log of refused launches for the admin console.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, created_at, intpk
from lti_tool.models.identity import Context, ResourceLink, User
from lti_tool.models.platform import Deployment, Registration


class UsedLoginState(Base):
    """An OIDC login state a launch used: each state is good exactly once. The state itself
    is signed and carried by the browser (``lti_tool.launch.storage``); a row is kept until
    the state has expired, when it would be refused anyway."""

    __tablename__ = "used_login_states"

    state_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Launch(Base):
    """A validated launch; pages after it are addressed by a signed token naming its id."""

    __tablename__ = "launches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    deployment_pk: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    context_pk: Mapped[int | None] = mapped_column(
        ForeignKey("contexts.id", ondelete="SET NULL"), default=None
    )
    resource_link_pk: Mapped[int | None] = mapped_column(
        ForeignKey("resource_links.id", ondelete="SET NULL"), default=None
    )
    message_type: Mapped[str] = mapped_column(String(64))
    # learner | instructor | administrator | not_enrolled (protocol.classify_roles).
    role: Mapped[str] = mapped_column(String(32))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    claims: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What the tool ignored in this launch and why (e.g. a service URL on another site),
    # shown to operators in the console.
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    registration: Mapped[Registration] = relationship()
    deployment: Mapped[Deployment] = relationship()
    user: Mapped[User] = relationship()
    context: Mapped[Context | None] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()


class PlatformKeySet(Base):
    """A platform's JWKS as last fetched, shared by every worker."""

    __tablename__ = "platform_key_sets"

    key_set_url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    jwks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LaunchFailure(Base):
    """A refused launch, for the admin console. Holds no learner data beyond the issuer."""

    __tablename__ = "launch_failures"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(1024), default="")
    client_id: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]


class LtiStorageEntry(Base):
    """pylti1p3's launch data storage port, kept in the database (any worker can read it)."""

    __tablename__ = "lti_storage"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
