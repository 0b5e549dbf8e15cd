"""Platform registrations and their deployments (LTI 1.3 Core §3.1.3, §3.1.4).

A registration is one (issuer, client_id): Canvas Cloud uses one issuer for many
client_ids, so the issuer alone is never a key. A registration has many deployments;
a deployment first seen at launch is ``pending`` until approved unless the operator
trusts the registration to approve its own (course copies create many).
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, created_at, intpk, str255, url


class DeploymentStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    DISABLED = "disabled"


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[intpk]
    issuer: Mapped[str] = mapped_column(String(1024))
    client_id: Mapped[str255]
    name: Mapped[str255] = mapped_column(default="")
    auth_login_url: Mapped[url]
    auth_token_url: Mapped[url]
    # Some platforms want a different `aud` in the client assertion than the token URL.
    auth_audience: Mapped[str | None] = mapped_column(String(2048), default=None)
    key_set_url: Mapped[url]
    # "canvas", "moodle", … from the platform's configuration; quirks key off it.
    product_family: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(default=True)
    auto_approve_deployments: Mapped[bool] = mapped_column(default=False)
    # Scopes the platform actually granted (Dynamic Registration); None = not known.
    granted_scopes: Mapped[list[Any] | None] = mapped_column(default=None)
    created_at: Mapped[created_at]

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    def __repr__(self) -> str:
        return f"<Registration {self.issuer} client_id={self.client_id}>"


class Deployment(Base):
    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    deployment_id: Mapped[str255]
    status: Mapped[DeploymentStatus] = mapped_column(
        Enum(DeploymentStatus, native_enum=False, length=16), default=DeploymentStatus.ACTIVE
    )
    created_at: Mapped[created_at]

    registration: Mapped[Registration] = relationship(back_populates="deployments")
