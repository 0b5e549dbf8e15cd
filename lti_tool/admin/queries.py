"""Read-only lists the console shows: platforms with their state, launches, failures, grades."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from lti_tool.grades.outbox import list_dead_letters
from lti_tool.models import Launch, LaunchFailure, Registration
from lti_tool.models.admin import ApprovalState, RegistrationRecord
from lti_tool.models.grades import OutboxStatus, ScoreOutbox


@dataclass(frozen=True)
class PlatformRow:
    registration: Registration
    record: RegistrationRecord | None

    @property
    def state(self) -> str:
        """live, pending (waiting for an operator), rejected or disabled."""
        if self.record is not None and self.record.approval is ApprovalState.PENDING:
            return "pending"
        if self.record is not None and self.record.approval is ApprovalState.REJECTED:
            return "rejected"
        return "live" if self.registration.active else "disabled"

    @property
    def update_pending(self) -> bool:
        """A re-registration changing keys or endpoints waits for an operator."""
        return self.record is not None and self.record.proposed_update is not None

    @property
    def source(self) -> str:
        return self.record.source if self.record else "cli"


def platform_rows(session: Session) -> list[PlatformRow]:
    rows = session.execute(
        select(Registration, RegistrationRecord)
        .outerjoin(RegistrationRecord, RegistrationRecord.registration_id == Registration.id)
        .options(selectinload(Registration.deployments))
        .order_by(Registration.id)
    ).all()
    return [PlatformRow(registration, record) for registration, record in rows]


def recent_launches(
    session: Session, *, registration_id: int | None = None, limit: int = 50
) -> Sequence[Launch]:
    query = select(Launch).options(
        joinedload(Launch.user), joinedload(Launch.registration), joinedload(Launch.context)
    )
    if registration_id is not None:
        query = query.where(Launch.registration_id == registration_id)
    return session.scalars(query.order_by(Launch.created_at.desc()).limit(limit)).all()


def recent_failures(
    session: Session, *, registration: Registration | None = None, limit: int = 50
) -> Sequence[LaunchFailure]:
    query = select(LaunchFailure)
    if registration is not None:
        query = query.where(LaunchFailure.issuer == registration.issuer)
    return session.scalars(query.order_by(LaunchFailure.id.desc()).limit(limit)).all()


def undelivered_scores(session: Session, limit: int = 100) -> Sequence[ScoreOutbox]:
    """Scores still on their way, the ones that failed at least once first."""
    return session.scalars(
        select(ScoreOutbox)
        .options(joinedload(ScoreOutbox.registration), joinedload(ScoreOutbox.user))
        .where(ScoreOutbox.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
        .order_by(ScoreOutbox.attempts.desc(), ScoreOutbox.id)
        .limit(limit)
    ).all()


def dead_scores(session: Session, limit: int = 200) -> list[ScoreOutbox]:
    return list_dead_letters(session, limit=limit)
