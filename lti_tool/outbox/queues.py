"""What the outbox needs of each queue it runs (scores, certificate mail, CPE Monitor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DeadLetter:
    """A job the outbox gave up on, as an operator sees it (no learner PII)."""

    queue: str
    id: int
    what: str
    attempts: int
    error: str
    at: datetime | None


class Queue(Protocol):
    """One kind of job. Its rows live in its own table (a score, a sealed message, a report:
    each with the columns :class:`~lti_tool.outbox.claims.LeasedTable` leases by) and its
    handler knows how to deliver one; the outbox runs every queue the same way."""

    # Short name used in commands and URLs, e.g. "scores".
    name: str
    # What the console calls it, e.g. "Scores to gradebooks".
    title: str

    def run_once(self) -> int:
        """Claim a batch of due jobs and deliver them; returns how many were handled."""
        ...

    def send_now(self, job_id: int) -> None:
        """Deliver one job now, if it is due and no other sender holds it."""
        ...

    def live(self) -> int:
        """Jobs still waiting or being delivered."""
        ...

    def counts(self, session: Session) -> dict[str, int]:
        """Jobs per status."""
        ...

    def dead_letters(self, session: Session, limit: int) -> list[DeadLetter]: ...

    def resend(self, session: Session, ids: list[int] | None) -> list[int]:
        """Queue dead letters again (``None``: all of them); returns the ids requeued."""
        ...

    def close(self) -> None: ...
