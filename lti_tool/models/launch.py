"""Launch state kept in the database so any worker can finish what another began.

OIDC login state and nonce (LTI 1.3 Security Framework §5.1.1), validated launches,
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


class LoginState(Base):
    """One OIDC login: its state and nonce are good exactly once."""

    __tablename__ = "login_states"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), unique=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    # lti_deployment_id sent with the login; the id_token must carry the same one.
    login_deployment_id: Mapped[str | None] = mapped_column(String(255), default=None)
    target_link_uri: Mapped[str] = mapped_column(String(2048), default="")
    # Frame name for LTI client-side postMessage storage, when the platform offered one.
    storage_target: Mapped[str | None] = mapped_column(String(255), default=None)
    # The login parameters, so the "open in a new window" page can start the login again.
    login_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    consumed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


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
