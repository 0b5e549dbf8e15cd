"""The audit trail of a journey, and the three moments other packages act on.

Accreditors ask providers to show, for six years, what each learner did and when: every step
appends an ``AuditEvent`` (never updated). ``posttest_submitted``, ``journey_completed`` and
``placement_joined`` are the hooks for the rest of the tool: the grades package adds its score
outbox write to them, so keep each one function with this signature and call them exactly
once per fact.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from lti_tool.course import display_percent
from lti_tool.db import utcnow
from lti_tool.models import Attempt, AuditEvent, Participation, ResourceLink

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
    from lti_tool.grades.outbox import enqueue_for_posttest

    enqueue_for_posttest(session, participation, attempt)


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
    from lti_tool.grades.outbox import enqueue_completion

    enqueue_completion(session, participation)


def placement_joined(session: Session, participation: Participation, link: ResourceLink) -> None:
    """The learner launched the activity through a placement for the first time (after
    starting it through another): that placement's column gets their current state."""
    from lti_tool.grades.outbox import enqueue_for_new_placement

    enqueue_for_new_placement(session, participation, link)
