"""The audit trail of a journey, and the domain events the rest of the tool acts on.

Accreditors ask providers to show, for six years, what each learner did and when: every step
appends an ``AuditEvent`` (never updated). Three facts are also published as domain events
(``lti_tool.events``): :class:`PosttestScored`, :class:`ActivityCompleted` and
:class:`PlacementJoined`. The journey does not know who listens (the grades package queues a
score for each, subscribed in ``build_services``); each is published exactly once per fact,
with the learner's best post-test score as the domain computes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from lti_tool.course import display_percent
from lti_tool.course.status import best_recorded
from lti_tool.db import utcnow
from lti_tool.events import publish
from lti_tool.models import Attempt, AttemptKind, AuditEvent, Participation, ResourceLink

DISCLOSURES_ACKNOWLEDGED = "disclosures_acknowledged"
PRETEST_TAKEN = "pretest_taken"
PRETEST_SKIPPED = "pretest_skipped"
SECTION_VIEWED = "section_viewed"
PRINTABLE_DOWNLOADED = "printable_downloaded"
POSTTEST_OPENED = "posttest_opened"
POSTTEST_SUBMITTED = "posttest_submitted"
EVALUATION_SUBMITTED = "evaluation_submitted"
JOURNEY_COMPLETED = "journey_completed"
ACTIVITY_CHOSEN = "activity_chosen"


def record(
    session: Session,
    participation: Participation,
    event: str,
    at: datetime | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one audit event for ``participation``'s learner."""
    row = AuditEvent(
        at=at or utcnow(),
        user_id=participation.user_id,
        participation_id=participation.id,
        event=event,
        details=details,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class PosttestScored:
    participation: Participation
    attempt: Attempt
    best: Fraction  # the learner's best post-test score, this attempt included


@dataclass(frozen=True)
class ActivityCompleted:
    participation: Participation
    best: Fraction | None


@dataclass(frozen=True)
class PlacementJoined:
    """The learner launched the activity through a placement for the first time, after
    starting it through another."""

    participation: Participation
    link: ResourceLink
    best: Fraction | None


def best_posttest(
    participation: Participation, just_submitted: Attempt | None = None
) -> Fraction | None:
    """The learner's best submitted post-test score, by the domain's rule."""
    attempts = list(participation.attempts)
    if just_submitted is not None and just_submitted not in attempts:
        attempts.append(just_submitted)
    return best_recorded(
        (attempt.correct, attempt.total)
        for attempt in attempts
        if attempt.kind == AttemptKind.POSTTEST and attempt.submitted_at is not None
    )


def posttest_submitted(session: Session, participation: Participation, attempt: Attempt) -> None:
    """A post-test attempt was scored and recorded (called once per attempt)."""
    assert attempt.correct is not None and attempt.total is not None
    record(
        session,
        participation,
        POSTTEST_SUBMITTED,
        at=attempt.submitted_at,
        attempt=attempt.public_id,
        number=attempt.number,
        correct=attempt.correct,
        total=attempt.total,
        percent=str(display_percent(Fraction(attempt.correct, attempt.total))),
        passed=bool(attempt.passed),
    )
    best = best_posttest(participation, attempt)
    assert best is not None
    publish(session, PosttestScored(participation, attempt, best))


def journey_completed(session: Session, participation: Participation) -> None:
    """The evaluation was submitted after a passed post-test: the activity is complete."""
    completed_at = participation.evaluation_completed_at
    record(
        session,
        participation,
        JOURNEY_COMPLETED,
        at=completed_at,
        completed_at=completed_at.isoformat() if completed_at else None,
    )
    publish(session, ActivityCompleted(participation, best_posttest(participation)))


def placement_joined(session: Session, participation: Participation, link: ResourceLink) -> None:
    """The learner launched the activity through a placement for the first time (after
    starting it through another)."""
    publish(session, PlacementJoined(participation, link, best_posttest(participation)))
