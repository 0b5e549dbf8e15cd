"""Platform registrations and their deployments: add, edit, approve, disable, delete.

Used by the command line, the admin console and Dynamic Registration. A registration is
one (issuer, client_id) (LTI 1.3 Core §3.1.3); a deployment is one install of the tool in
that platform (§3.1.4). Deleting a platform that learners have used takes its launches,
course links and unsent grades with it, so it needs an explicit confirmation; disabling
keeps everything and only stops launches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import Session, selectinload

from lti_tool.db import utcnow
from lti_tool.models import (
    Context,
    Deployment,
    DeploymentStatus,
    Launch,
    Participation,
    Registration,
    ResourceLink,
)
from lti_tool.models.admin import ApprovalState, RegistrationEvent, RegistrationRecord
from lti_tool.models.grades import OutboxStatus, ScoreOutbox


class PlatformError(ValueError):
    """A registration request that cannot be carried out, with a message for the admin."""


class DuplicatePlatform(PlatformError):
    """The (issuer, client_id) is registered already."""


class PlatformInUse(PlatformError):
    """Learners have used the platform (or deployment); removing it needs confirmation."""

    def __init__(self, message: str, usage: PlatformUsage) -> None:
        super().__init__(message)
        self.usage = usage


def _check_url(name: str, value: str) -> None:
    if not value.startswith(("https://", "http://")):
        raise PlatformError(f"{name} must be an http(s) URL, got {value!r}")


def _check_endpoints(
    issuer: str, client_id: str, auth_login_url: str, auth_token_url: str, key_set_url: str
) -> None:
    for label, value in (
        ("auth login URL", auth_login_url),
        ("auth token URL", auth_token_url),
        ("key set URL", key_set_url),
    ):
        _check_url(label, value)
    if not issuer.strip() or not client_id.strip():
        raise PlatformError("issuer and client_id are required")


def find_platform(session: Session, issuer: str, client_id: str) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id
        )
    )


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
    _check_endpoints(issuer, client_id, auth_login_url, auth_token_url, key_set_url)
    registration = find_platform(session, issuer, client_id)
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


def create_platform(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    source: str,
    name: str = "",
    deployment_ids: Iterable[str] = (),
    auth_audience: str | None = None,
    product_family: str = "",
    auto_approve_deployments: bool = False,
    granted_scopes: list[str] | None = None,
    pending_reason: str | None = None,
    openid_configuration_url: str | None = None,
    platform_version: str = "",
    requested_scopes: list[str] | None = None,
    details: dict[str, Any] | None = None,
) -> Registration:
    """A new registration, refused if (issuer, client_id) exists. With ``pending_reason``
    it stays inactive until an operator approves it."""
    issuer, client_id = issuer.strip(), client_id.strip()
    _check_endpoints(issuer, client_id, auth_login_url, auth_token_url, key_set_url)
    existing = find_platform(session, issuer, client_id)
    if existing is not None:
        raise DuplicatePlatform(
            f"{existing.name or issuer} (issuer {issuer}, client ID {client_id}) is already "
            f"registered, since {existing.created_at:%Y-%m-%d}. Nothing was changed; edit the "
            "existing registration instead."
        )
    registration = Registration(
        issuer=issuer,
        client_id=client_id,
        name=(name or issuer).strip()[:255],
        auth_login_url=auth_login_url.strip(),
        auth_token_url=auth_token_url.strip(),
        auth_audience=(auth_audience or "").strip() or None,
        key_set_url=key_set_url.strip(),
        product_family=product_family,
        active=pending_reason is None,
        auto_approve_deployments=auto_approve_deployments,
        granted_scopes=granted_scopes,
    )
    for deployment_id in dict.fromkeys(d.strip() for d in deployment_ids if d.strip()):
        registration.deployments.append(
            Deployment(deployment_id=deployment_id, status=DeploymentStatus.ACTIVE)
        )
    session.add(registration)
    session.flush()
    session.add(
        RegistrationRecord(
            registration_id=registration.id,
            source=source,
            approval=ApprovalState.PENDING if pending_reason else ApprovalState.APPROVED,
            approval_reason=(pending_reason or "")[:1024],
            openid_configuration_url=openid_configuration_url,
            platform_version=platform_version[:64],
            requested_scopes=list(requested_scopes or []),
            details=dict(details or {}),
        )
    )
    record_event(
        session,
        registration,
        "registered" if pending_reason is None else "registered_pending",
        actor=source,
        details={"reason": pending_reason} if pending_reason else {},
    )
    session.flush()
    return registration


def record_event(
    session: Session,
    registration: Registration,
    event: str,
    *,
    actor: str,
    details: dict[str, Any] | None = None,
) -> RegistrationEvent:
    """Append one line to the registration's history (kept if the registration is deleted)."""
    row = RegistrationEvent(
        registration_id=registration.id,
        issuer=registration.issuer,
        client_id=registration.client_id,
        event=event,
        actor=actor[:150],
        details=dict(details or {}),
    )
    session.add(row)
    return row


def registration_history(session: Session, registration: Registration) -> list[RegistrationEvent]:
    return list(
        session.scalars(
            select(RegistrationEvent)
            .where(RegistrationEvent.registration_id == registration.id)
            .order_by(RegistrationEvent.id.desc())
        )
    )


def list_platforms(session: Session) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .options(selectinload(Registration.deployments))
            .order_by(Registration.id)
        )
    )


def get_platform(session: Session, registration_id: int) -> Registration:
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise PlatformError(f"There is no platform #{registration_id}; it may have been deleted.")
    return registration


def registration_record(session: Session, registration: Registration) -> RegistrationRecord | None:
    return session.scalar(
        select(RegistrationRecord).where(RegistrationRecord.registration_id == registration.id)
    )


def is_pending_approval(session: Session, registration: Registration) -> bool:
    record = registration_record(session, registration)
    return record is not None and record.approval is ApprovalState.PENDING


def update_platform(
    session: Session,
    registration: Registration,
    *,
    name: str,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    auth_audience: str | None,
    auto_approve_deployments: bool,
) -> Registration:
    issuer, client_id = issuer.strip(), client_id.strip()
    _check_endpoints(issuer, client_id, auth_login_url, auth_token_url, key_set_url)
    other = find_platform(session, issuer, client_id)
    if other is not None and other.id != registration.id:
        raise DuplicatePlatform(
            f"Another registration (#{other.id}, {other.name}) already has issuer {issuer} and "
            f"client ID {client_id}."
        )
    registration.name = (name or issuer).strip()[:255]
    registration.issuer = issuer
    registration.client_id = client_id
    registration.auth_login_url = auth_login_url.strip()
    registration.auth_token_url = auth_token_url.strip()
    registration.key_set_url = key_set_url.strip()
    registration.auth_audience = (auth_audience or "").strip() or None
    registration.auto_approve_deployments = auto_approve_deployments
    session.flush()
    return registration


def approval_state(session: Session, registration: Registration) -> str:
    """active, pending (waiting for an operator), rejected or disabled."""
    record = registration_record(session, registration)
    if record is not None and record.approval is ApprovalState.PENDING:
        return "pending"
    if record is not None and record.approval is ApprovalState.REJECTED:
        return "rejected"
    return "active" if registration.active else "disabled"


# The fields of a held re-registration (RegistrationRecord.proposed_update) and how they
# land on the registration once an operator approves it.
TRUST_FIELDS = ("auth_login_url", "auth_token_url", "key_set_url")


def apply_update(
    session: Session, registration: Registration, update: dict[str, Any]
) -> dict[str, list[Any]]:
    """Write a re-registration onto the registration; returns what changed (old, new).

    Deployments are only ever added: the ones the LMS already launched from stay, with
    their launches, links and grades.
    """
    changes: dict[str, list[Any]] = {}
    for name in TRUST_FIELDS:
        value = update.get(name)
        if isinstance(value, str) and value and value != getattr(registration, name):
            changes[name] = [getattr(registration, name), value]
            setattr(registration, name, value)
    if "granted_scopes" in update and update["granted_scopes"] != registration.granted_scopes:
        changes["granted_scopes"] = [registration.granted_scopes, update["granted_scopes"]]
        registration.granted_scopes = update["granted_scopes"]
    if update.get("product_family") and update["product_family"] != registration.product_family:
        changes["product_family"] = [registration.product_family, update["product_family"]]
        registration.product_family = update["product_family"]
    known = {d.deployment_id for d in registration.deployments}
    for deployment_id in update.get("deployment_ids") or []:
        if deployment_id and deployment_id not in known:
            registration.deployments.append(
                Deployment(deployment_id=deployment_id, status=DeploymentStatus.ACTIVE)
            )
            known.add(deployment_id)
            changes.setdefault("deployments_added", [None, []])[1].append(deployment_id)
    record = registration_record(session, registration)
    if record is not None:
        if update.get("requested_scopes") is not None:
            record.requested_scopes = list(update["requested_scopes"])
        if update.get("platform_version"):
            record.platform_version = str(update["platform_version"])[:64]
        # A new dict: SQLAlchemy does not see changes inside a JSON value.
        record.details = {**record.details, **(update.get("details") or {})}
    session.flush()
    return changes


def approve_platform(session: Session, registration: Registration, operator: str) -> None:
    """Let a platform waiting for approval go live, or apply its held re-registration."""
    record = registration_record(session, registration)
    if record is not None and record.proposed_update is not None:
        changes = apply_update(session, registration, record.proposed_update)
        record.proposed_update = None
        record.decided_by, record.decided_at = operator, utcnow()
        record_event(session, registration, "update_approved", actor=operator, details=changes)
        session.flush()
        return
    if record is not None:
        record.approval = ApprovalState.APPROVED
        record.decided_by, record.decided_at = operator, utcnow()
    registration.active = True
    record_event(session, registration, "approved", actor=operator)
    session.flush()


def reject_platform(session: Session, registration: Registration, operator: str) -> None:
    """Refuse a pending platform (kept, inactive, on record) or discard its held update."""
    record = registration_record(session, registration)
    if record is not None and record.proposed_update is not None:
        record.proposed_update = None
        record.decided_by, record.decided_at = operator, utcnow()
        record_event(session, registration, "update_rejected", actor=operator)
        session.flush()
        return
    if record is None or record.approval is not ApprovalState.PENDING:
        raise PlatformError(
            f"{registration.name} is not waiting for approval; disable it to stop its launches."
        )
    record.approval = ApprovalState.REJECTED
    record.decided_by, record.decided_at = operator, utcnow()
    registration.active = False
    record_event(session, registration, "rejected", actor=operator)
    session.flush()


def set_platform_active(
    session: Session, registration: Registration, active: bool, operator: str
) -> None:
    """Disable (launches refused, everything kept) or enable a platform."""
    if active and approval_state(session, registration) in ("pending", "rejected"):
        # Enabling a platform no operator approved is approving it.
        approve_platform(session, registration, operator)
        return
    registration.active = active
    record_event(session, registration, "enabled" if active else "disabled", actor=operator)
    session.flush()


@dataclass(frozen=True)
class PlatformUsage:
    learners: int
    launches: int
    courses: int
    resource_links: int
    unsent_grades: int

    @property
    def in_use(self) -> bool:
        return bool(self.learners or self.launches or self.unsent_grades)


def platform_usage(session: Session, registration: Registration) -> PlatformUsage:
    launched = select(Launch.user_id).where(Launch.registration_id == registration.id)
    participated = (
        select(Participation.user_id)
        .join(ResourceLink, Participation.resource_link_pk == ResourceLink.id)
        .where(ResourceLink.registration_id == registration.id)
    )
    people = union(launched, participated).subquery()

    def count(query: Select[Any]) -> int:
        return int(session.scalar(query) or 0)

    return PlatformUsage(
        learners=count(select(func.count()).select_from(people)),
        launches=count(
            select(func.count())
            .select_from(Launch)
            .where(Launch.registration_id == registration.id)
        ),
        courses=count(
            select(func.count())
            .select_from(Context)
            .where(Context.registration_id == registration.id)
        ),
        resource_links=count(
            select(func.count())
            .select_from(ResourceLink)
            .where(ResourceLink.registration_id == registration.id)
        ),
        unsent_grades=count(
            select(func.count())
            .select_from(ScoreOutbox)
            .where(
                ScoreOutbox.registration_id == registration.id,
                ScoreOutbox.status.in_(
                    (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.DEAD)
                ),
            )
        ),
    )


def deletion_consequences(usage: PlatformUsage) -> list[str]:
    """What deleting a platform does, in the words shown before the operator confirms."""
    return [
        f"{usage.launches} launch record(s) end: learners still working in the tool from this "
        "LMS lose their page and must launch again, which will fail until the LMS is "
        "registered again.",
        f"{usage.resource_links} course link(s) in {usage.courses} course(s) forget which "
        "activity they show and where their grades go.",
        f"{usage.unsent_grades} grade(s) not yet delivered to the LMS are dropped.",
        f"{usage.learners} learner(s) keep their participation records, attempts and "
        "certificates: accreditation records are never deleted with a platform.",
    ]


def delete_platform(session: Session, registration: Registration, *, confirm: bool = False) -> None:
    """Delete a registration; refused without ``confirm`` once learners have used it."""
    usage = platform_usage(session, registration)
    if usage.in_use and not confirm:
        raise PlatformInUse(
            f"{registration.name} has {usage.learners} learner(s), {usage.launches} launch(es) "
            f"and {usage.unsent_grades} grade(s) not yet delivered. Deleting it "
            "cannot be undone; disable it instead to stop launches and keep everything, or "
            "confirm the deletion.",
            usage,
        )
    session.delete(registration)
    session.flush()


def remove_platform(session: Session, issuer: str, client_id: str, *, force: bool = False) -> None:
    registration = find_platform(session, issuer, client_id)
    if registration is None:
        raise PlatformError(f"no registration for {issuer} client_id={client_id}")
    delete_platform(session, registration, confirm=force)


# -- deployments ----------------------------------------------------------------------------
def get_deployment(session: Session, deployment_pk: int) -> Deployment:
    deployment = session.get(Deployment, deployment_pk)
    if deployment is None:
        raise PlatformError(f"There is no deployment #{deployment_pk}; it may have been deleted.")
    return deployment


def add_deployment(
    session: Session,
    registration: Registration,
    deployment_id: str,
    status: DeploymentStatus = DeploymentStatus.ACTIVE,
) -> Deployment:
    deployment_id = deployment_id.strip()
    if not deployment_id:
        raise PlatformError("A deployment ID is required.")
    if len(deployment_id) > 255:
        raise PlatformError("A deployment ID has at most 255 characters (LTI 1.3 Core §5.3.3).")
    if any(d.deployment_id == deployment_id for d in registration.deployments):
        raise PlatformError(f"Deployment {deployment_id!r} is already registered for this LMS.")
    deployment = Deployment(deployment_id=deployment_id, status=status)
    registration.deployments.append(deployment)
    session.flush()
    return deployment


def set_deployment_status(
    session: Session, deployment: Deployment, status: DeploymentStatus
) -> None:
    deployment.status = status
    session.flush()


def delete_deployment(session: Session, deployment: Deployment, *, confirm: bool = False) -> None:
    launches = int(
        session.scalar(
            select(func.count()).select_from(Launch).where(Launch.deployment_pk == deployment.id)
        )
        or 0
    )
    if launches and not confirm:
        raise PlatformInUse(
            f"Deployment {deployment.deployment_id!r} has {launches} launch(es). Deleting it ends "
            "them; disable it instead to stop new launches and keep the records.",
            PlatformUsage(
                learners=0, launches=launches, courses=0, resource_links=0, unsent_grades=0
            ),
        )
    session.delete(deployment)
    session.flush()
