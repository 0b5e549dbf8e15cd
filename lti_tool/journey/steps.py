"""Recording the overview, pre-test skip, content and evaluation steps of a journey.

Each function asks the domain state machine (``lti_tool.course.progression``) whether the step
may happen, which raises the domain's typed error if not, then writes the rows and appends
the audit event. Facts recorded once (the acknowledgement, the skip, the evaluation) are
set with a conditional UPDATE, so a double click or two tabs record them exactly once.

Time on content: the seconds between one section view and the next, each interval capped
at ``READING_CAP``, so a tab left open overnight adds half an hour, not a night.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from lti_tool import course
from lti_tool.course import Step
from lti_tool.journey import events
from lti_tool.journey.answers import evaluation_errors
from lti_tool.journey.state import Journey
from lti_tool.models import AuditEvent, EvaluationResponse, Participation
from lti_tool.outcomes import tallies

READING_CAP = timedelta(minutes=30)


def _set_once(
    session: Session,
    participation: Participation,
    column: InstrumentedAttribute[Any],
    value: datetime,
) -> bool:
    """Set a not-yet-set timestamp of ``participation``; False if another request did."""
    result = session.execute(
        update(Participation)
        .where(Participation.id == participation.id, column.is_(None))
        .values({column.key: value})
        .execution_options(synchronize_session=False)
    )
    session.refresh(participation)
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def acknowledge_disclosures(session: Session, journey: Journey) -> None:
    progress = course.acknowledge_disclosures(journey.activity, journey.progress, journey.now)
    moment = progress.disclosures_acknowledged_at
    assert moment is not None
    participation = journey.participation
    if _set_once(session, participation, Participation.disclosures_acknowledged_at, moment):
        events.record(
            session,
            participation,
            events.DISCLOSURES_ACKNOWLEDGED,
            at=moment,
            acknowledged_at=moment.isoformat(),
            activity_version=journey.version.content_hash,
        )


def skip_pretest(session: Session, journey: Journey) -> None:
    progress = course.skip_pretest(journey.activity, journey.progress, journey.now)
    moment = progress.pretest_skipped_at
    assert moment is not None
    participation = journey.participation
    if _set_once(session, participation, Participation.pretest_skipped_at, moment):
        events.record(session, participation, events.PRETEST_SKIPPED, at=moment)


def _last_section_view(session: Session, participation: Participation) -> datetime | None:
    return session.scalar(
        select(AuditEvent.at)
        .where(
            AuditEvent.participation_id == participation.id,
            AuditEvent.event == events.SECTION_VIEWED,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def view_section(session: Session, journey: Journey, section_id: str) -> int:
    """Record a view of ``section_id``; returns the seconds of reading time it added."""
    progress = course.view_section(journey.activity, journey.progress, section_id, journey.now)
    participation = journey.participation
    previous = _last_section_view(session, participation)
    seconds = 0
    if previous is not None:
        elapsed = min(max(journey.now - previous, timedelta(0)), READING_CAP)
        seconds = int(elapsed.total_seconds())
    participation.sections_viewed = [
        sid for sid in journey.activity.section_ids if sid in progress.sections_viewed
    ]
    participation.last_viewed_section = section_id
    participation.seconds_on_content = participation.seconds_on_content + seconds
    events.record(
        session,
        participation,
        events.SECTION_VIEWED,
        at=journey.now,
        section=section_id,
        seconds=seconds,
    )
    return seconds


def save_evaluation_draft(journey: Journey, answers: dict[str, str]) -> None:
    course.require_entry(Step.EVALUATION, journey.activity, journey.progress, journey.now)
    journey.participation.evaluation_draft = dict(answers)


def submit_evaluation(
    session: Session, journey: Journey, answers: dict[str, str]
) -> dict[str, str]:
    """Store the evaluation once; returns the messages per question when answers are
    missing or do not fit (the answers are then kept as the draft)."""
    participation = journey.participation
    if participation.evaluation_completed_at is not None:
        return {}
    course.require_entry(Step.EVALUATION, journey.activity, journey.progress, journey.now)
    errors = evaluation_errors(journey.activity.evaluation_items, answers)
    if errors:
        participation.evaluation_draft = dict(answers)
        return errors
    progress, normalized = course.complete_evaluation(
        journey.activity, journey.progress, answers, journey.now
    )
    moment = progress.evaluation_completed_at
    assert moment is not None
    if not _set_once(session, participation, Participation.evaluation_completed_at, moment):
        return {}
    session.add(
        EvaluationResponse(
            participation_id=participation.id,
            activity_version_id=journey.version.id,
            answers=normalized,
            submitted_at=moment,
        )
    )
    tallies.record_evaluation(session, participation, journey.activity, normalized)
    participation.evaluation_draft = {}
    events.record(
        session,
        participation,
        events.EVALUATION_SUBMITTED,
        at=moment,
        answered=len(normalized),
    )
    events.journey_completed(session, participation)
    return {}
