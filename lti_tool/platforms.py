"""Adding, listing and removing platform registrations (used by the CLI and console)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lti_tool.models import Deployment, DeploymentStatus, Registration


class PlatformError(ValueError):
    """A registration request that cannot be carried out, with a message for the admin."""


def _check_url(name: str, value: str) -> None:
    if not value.startswith(("https://", "http://")):
        raise PlatformError(f"{name} must be an http(s) URL, got {value!r}")


def add_platform(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    deployment_ids: Iterable[str] = (),
    name: str = "",
    auth_audience: str | None = None,
    product_family: str = "",
    auto_approve_deployments: bool = False,
    granted_scopes: list[str] | None = None,
) -> Registration:
    """Register (issuer, client_id), or add deployments to an existing registration."""
    for label, value in (
        ("auth login URL", auth_login_url),
        ("auth token URL", auth_token_url),
        ("key set URL", key_set_url),
    ):
        _check_url(label, value)
    if not issuer.strip() or not client_id.strip():
        raise PlatformError("issuer and client_id are required")
    registration = session.scalar(
        select(Registration).where(Registration.issuer == issuer, Registration.client_id == client_id)
    )
    if registration is None:
        registration = Registration(
            issuer=issuer,
            client_id=client_id,
            name=name or issuer,
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            auth_audience=auth_audience or None,
            key_set_url=key_set_url,
            product_family=product_family,
            auto_approve_deployments=auto_approve_deployments,
            granted_scopes=granted_scopes,
        )
        session.add(registration)
    else:
        registration.auth_login_url = auth_login_url
        registration.auth_token_url = auth_token_url
        registration.key_set_url = key_set_url
        registration.auth_audience = auth_audience or registration.auth_audience
    known = {d.deployment_id for d in registration.deployments}
    for deployment_id in deployment_ids:
        if deployment_id and deployment_id not in known:
            registration.deployments.append(
                Deployment(deployment_id=deployment_id, status=DeploymentStatus.ACTIVE)
            )
            known.add(deployment_id)
    session.flush()
    return registration


def list_platforms(session: Session) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .options(selectinload(Registration.deployments))
            .order_by(Registration.id)
        )
    )


def remove_platform(session: Session, issuer: str, client_id: str) -> None:
    registration = session.scalar(
        select(Registration).where(Registration.issuer == issuer, Registration.client_id == client_id)
    )
    if registration is None:
        raise PlatformError(f"no registration for {issuer} client_id={client_id}")
    session.delete(registration)
