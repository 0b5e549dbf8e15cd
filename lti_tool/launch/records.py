"""Recording a validated launch: the deployment, user, course, resource link and launch.

Runs only after every check passed, inside the request's transaction, so a refused
launch writes no user, course, link or launch.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool import protocol
from lti_tool.db import find_or_create, utcnow
from lti_tool.launch.errors import DeploymentPending, UnknownDeployment
from lti_tool.models import (
    Context,
    Deployment,
    DeploymentStatus,
    Launch,
    Registration,
    ResourceLink,
    User,
)
from lti_tool.outbound import is_service_url, service_origins

log = logging.getLogger(__name__)


def resolve_deployment(
    session: Session, registration: Registration, deployment_id: str
) -> Deployment:
    """The active deployment, or a refusal. A first-seen deployment is recorded: approved at
    once where the operator trusts the registration, otherwise pending until approved."""
    deployment = session.scalar(
        select(Deployment).where(
            Deployment.registration_id == registration.id,
            Deployment.deployment_id == deployment_id,
        )
    )
    if deployment is None:
        if not registration.auto_approve_deployments:
            raise UnknownDeployment(f"deployment {deployment_id!r} is not registered")
        deployment = Deployment(
            registration_id=registration.id,
            deployment_id=deployment_id,
            status=DeploymentStatus.ACTIVE,
        )
        session.add(deployment)
        session.flush()
    if deployment.status is DeploymentStatus.PENDING:
        raise DeploymentPending(f"deployment {deployment_id!r} awaits approval")
    if deployment.status is not DeploymentStatus.ACTIVE:
        raise UnknownDeployment(f"deployment {deployment_id!r} is disabled")
    return deployment


def record_pending_deployment(
    session: Session, registration: Registration, deployment_id: str
) -> None:
    """Remember an unknown deployment so an operator can approve it from the console."""
    exists = session.scalar(
        select(Deployment.id).where(
            Deployment.registration_id == registration.id,
            Deployment.deployment_id == deployment_id,
        )
    )
    if exists is None:
        session.add(
            Deployment(
                registration_id=registration.id,
                deployment_id=deployment_id,
                status=DeploymentStatus.PENDING,
            )
        )


def _upsert_user(session: Session, issuer: str, claims: dict[str, Any]) -> User:
    user = find_or_create(session, User, issuer=issuer, sub=str(claims["sub"]))
    # Name and email are optional claims (Canvas omits email under some privacy settings);
    # keep what we had rather than blanking it.
    for field in ("name", "given_name", "family_name", "email"):
        value = claims.get(field)
        if isinstance(value, str) and value.strip():
            setattr(user, field, value.strip()[: 255 if field != "email" else 320])
    return user


def _upsert_context(session: Session, registration: Registration, claim: Any) -> Context | None:
    if not isinstance(claim, dict) or not claim.get("id"):
        return None  # a launch without a course (e.g. from a user's own space) is allowed
    context = find_or_create(
        session, Context, registration_id=registration.id, context_id=str(claim["id"])
    )
    context.label = str(claim.get("label") or "")[:255]
    context.title = str(claim.get("title") or "")[:1024]
    return context


def _service_url(
    registration: Registration, value: Any, claim: str, warnings: list[str]
) -> str | None:
    """A service URL from a launch claim, kept only on the registration's own origins.

    Another origin is ignored and noted for the operator: a platform's launch (or a
    platform registered through a trick) must not make the tool send scores or its access
    tokens to a third party.
    """
    if not isinstance(value, str) or not value:
        return None
    origins = service_origins(
        registration.issuer, registration.auth_token_url, registration.key_set_url
    )
    if is_service_url(value, origins):
        return value
    warnings.append(
        f"Ignored the {claim} URL {value[:300]}: it is not on the platform's own site "
        f"({', '.join(sorted(origins))}), so no score or roster call goes there."
    )
    return None


def _upsert_resource_link(
    session: Session,
    registration: Registration,
    context: Context | None,
    claims: dict[str, Any],
    warnings: list[str],
) -> ResourceLink | None:
    claim = claims.get(protocol.CLAIM_RESOURCE_LINK)
    if not isinstance(claim, dict) or not claim.get("id"):
        return None
    link = find_or_create(
        session, ResourceLink, registration_id=registration.id, resource_link_id=str(claim["id"])
    )
    link.context = context
    link.title = str(claim.get("title") or "")[:1024]
    custom = claims.get(protocol.CLAIM_CUSTOM)
    chosen = custom.get("activity") if isinstance(custom, dict) else None
    if isinstance(chosen, str) and chosen and not link.activity_slug:
        # Placed by Deep Linking: the content item named its activity in a custom parameter.
        link.activity_slug = chosen
    ags = claims.get(protocol.CLAIM_AGS_ENDPOINT)
    if isinstance(ags, dict):
        lineitem = _service_url(registration, ags.get("lineitem"), "AGS lineitem", warnings)
        lineitems = _service_url(registration, ags.get("lineitems"), "AGS lineitems", warnings)
        link.lineitem_url = lineitem or link.lineitem_url
        link.lineitems_url = lineitems or link.lineitems_url
        link.ags_scopes = [s for s in ags.get("scope", []) if isinstance(s, str)]
    nrps = claims.get(protocol.CLAIM_NRPS)
    if isinstance(nrps, dict):
        memberships = _service_url(
            registration, nrps.get("context_memberships_url"), "NRPS memberships", warnings
        )
        link.nrps_url = memberships or link.nrps_url
    return link


def record_launch(
    session: Session,
    registration: Registration,
    deployment: Deployment,
    claims: dict[str, Any],
    ttl_seconds: int,
) -> Launch:
    # One flush at the end: each lookup would otherwise flush the rows changed before it.
    with session.no_autoflush:
        user = _upsert_user(session, registration.issuer, claims)
        context = _upsert_context(session, registration, claims.get(protocol.CLAIM_CONTEXT))
        warnings: list[str] = []
        link = _upsert_resource_link(session, registration, context, claims, warnings)
    for warning in warnings:
        log.warning("launch from %s: %s", registration.issuer, warning)
    roles = [r for r in claims.get(protocol.CLAIM_ROLES, []) if isinstance(r, str)]
    now = utcnow()
    launch = Launch(
        id=uuid.uuid4().hex,
        registration=registration,
        deployment=deployment,
        user=user,
        context=context,
        resource_link=link,
        message_type=claims[protocol.CLAIM_MESSAGE_TYPE],
        role=protocol.classify_roles(roles),
        roles=roles,
        claims=claims,
        warnings=warnings,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_seconds),
    )
    session.add(launch)
    session.flush()
    return launch
