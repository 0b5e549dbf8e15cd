"""A learner's progress through one version of an activity, as a plain immutable snapshot.

The web layer stores these facts (with SQLAlchemy) and rebuilds a ``Progress`` per request;
``progression.py`` reads it to decide what may happen next and returns a new ``Progress`` for
each transition. All timestamps are timezone-aware UTC. The snapshot names the activity
version (content hash) it belongs to, because a reloaded activity is a new version and a
learner who started on the old one keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lti_tool.course.scoring import Score, best_score


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class PosttestAttempt:
    attempt_id: str
    submitted_at: datetime
    score: Score


@dataclass(frozen=True)
class Progress:
    activity_version: str  # Activity.content_hash
    disclosures_acknowledged_at: datetime | None = None
    pretest_taken_at: datetime | None = None
    pretest_score: Score | None = None
    pretest_skipped_at: datetime | None = None
    sections_viewed: frozenset[str] = frozenset()
    last_viewed_section: str | None = None
    posttest_attempts: tuple[PosttestAttempt, ...] = ()
    evaluation_completed_at: datetime | None = None
    credit_claimed_at: datetime | None = None

    @property
    def pretest_decided(self) -> bool:
        return self.pretest_taken_at is not None or self.pretest_skipped_at is not None

    @property
    def attempts_used(self) -> int:
        return len(self.posttest_attempts)

    @property
    def best_posttest_score(self) -> Score | None:
        return best_score(attempt.score for attempt in self.posttest_attempts)

    def attempt(self, attempt_id: str) -> PosttestAttempt | None:
        return next((a for a in self.posttest_attempts if a.attempt_id == attempt_id), None)
