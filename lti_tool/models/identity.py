"""Who launched, from which course and which link (LTI 1.3 Core §5.3, §5.4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, created_at, intpk, str255, utcnow
from lti_tool.models.platform import Registration


class User(Base):
    """A person as one platform knows them: the natural key is (issuer, sub)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[intpk]
    issuer: Mapped[str] = mapped_column(String(1024))
    sub: Mapped[str255]
    name: Mapped[str] = mapped_column(String(255), default="")
    given_name: Mapped[str] = mapped_column(String(255), default="")
    family_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        full = " ".join(part for part in (self.given_name, self.family_name) if part)
        return self.name or full or "Learner"


class Context(Base):
    """A course (or group) in the platform."""

    __tablename__ = "contexts"
    __table_args__ = (UniqueConstraint("registration_id", "context_id"),)

    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    context_id: Mapped[str255]
    label: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[created_at]

    registration: Mapped[Registration] = relationship()


class ResourceLink(Base):
    """A placement of the tool in a course; it names the activity it delivers."""

    __tablename__ = "resource_links"
    __table_args__ = (UniqueConstraint("registration_id", "resource_link_id"),)

    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    context_pk: Mapped[int | None] = mapped_column(
        ForeignKey("contexts.id", ondelete="SET NULL"), default=None
    )
    resource_link_id: Mapped[str255]
    title: Mapped[str] = mapped_column(String(1024), default="")
    # Chosen by Deep Linking (custom parameter) or once by an instructor at first launch.
    activity_slug: Mapped[str | None] = mapped_column(String(128), default=None)
    # AGS endpoint claim as last sent by the platform (lineitem may be absent).
    lineitem_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    lineitems_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    ags_scopes: Mapped[list[Any]] = mapped_column(default=list)
    nrps_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[created_at]

    context: Mapped[Context | None] = relationship()
