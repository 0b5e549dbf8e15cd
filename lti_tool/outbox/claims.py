"""Claiming jobs with a lease: the one "due" rule and the one claim of every queue.

A job is due when it waits and its ``next_attempt_at`` has come, or when it was taken under
a lease that ran out (its sender crashed). One UPDATE … RETURNING takes a batch: on
PostgreSQL the candidates are picked with ``FOR UPDATE SKIP LOCKED``, so senders on several
hosts never take the same row; on SQLite the conditional UPDATE is atomic because SQLite
has one writer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased


@dataclass(frozen=True)
class LeasedTable:
    """A table whose rows are jobs: ``status``, ``next_attempt_at``, ``lease_until`` and
    ``attempts`` columns, and optionally ``claimed_by`` (who holds the lease)."""

    model: Any
    # The status of a job waiting for its turn.
    waiting: Any
    # The status while leased; None keeps the status and leases by ``lease_until`` alone.
    taken: Any | None = None
    # Whether the table records the holder (then outcomes are written only by the holder).
    has_holder: bool = False
    # Whether taking a job counts as a try (otherwise the sender counts when it records).
    count_on_claim: bool = False

    def due(self, row: Any, now: datetime) -> ColumnElement[bool]:
        waiting_and_ripe = and_(row.status == self.waiting, row.next_attempt_at <= now)
        if self.taken is None:
            return and_(waiting_and_ripe, or_(row.lease_until.is_(None), row.lease_until < now))
        return or_(waiting_and_ripe, and_(row.status == self.taken, row.lease_until < now))

    def claim(
        self,
        session: Session,
        now: datetime,
        lease: timedelta,
        *,
        limit: int,
        holder: str | None = None,
        ids: Collection[int] | None = None,
        where: Callable[[Any], Iterable[ColumnElement[bool]]] = lambda _candidate: (),
        values: Mapping[str, Any] | None = None,
    ) -> list[int]:
        """Lease up to ``limit`` due jobs (of ``ids`` when given) and return their ids.

        ``where`` adds a queue's own conditions on the candidate row (e.g. one score at a
        time per learner and line item); ``values`` sets more columns on the taken rows."""
        model = self.model
        candidate = aliased(model, name="candidate")
        candidates = select(candidate.id).where(self.due(candidate, now), *where(candidate))
        if ids is not None:
            candidates = candidates.where(candidate.id.in_(list(ids)))
        candidates = candidates.order_by(candidate.next_attempt_at, candidate.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True, of=candidate)
        taken: dict[str, Any] = {"lease_until": now + lease, **(values or {})}
        if self.taken is not None:
            taken["status"] = self.taken
        if self.has_holder:
            taken["claimed_by"] = holder
        if self.count_on_claim:
            taken["attempts"] = model.attempts + 1
        statement = (
            update(model)
            .where(model.id.in_(candidates.scalar_subquery()), self.due(model, now))
            .values(**taken)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(session.scalars(statement).all())

    def counts(self, session: Session) -> dict[str, int]:
        """Jobs per status, every status of the table's status type listed."""
        counts = {status.value: 0 for status in type(self.waiting)}
        for status, count in session.execute(
            select(self.model.status, func.count()).group_by(self.model.status)
        ):
            counts[status.value] = int(count)
        return counts

    def take_one(self, session: Session, job_id: int, now: datetime, lease: timedelta) -> bool:
        """Lease one job if it is due and nobody holds it."""
        return bool(self.claim(session, now, lease, limit=1, ids=[job_id]))

    def finish(self, session: Session, job_id: int, holder: str | None, **values: Any) -> bool:
        """Write a job's outcome, if this sender still holds it; returns whether it did."""
        model = self.model
        conditions = [model.id == job_id]
        if self.taken is not None:
            conditions.append(model.status == self.taken)
        if self.has_holder:
            conditions.append(model.claimed_by == holder)
            values = {"claimed_by": None, **values}
        result = session.execute(
            update(model)
            .where(*conditions)
            .values(lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
