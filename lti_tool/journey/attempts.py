"""Pre-test and post-test attempts: opened when shown, drafted while answered, scored once.

An attempt is opened (and its question order fixed, from the domain's shuffle seeded by the
attempt's public id) the first time its page is shown; reloading shows the same attempt in
the same order, and a retake is a new attempt whose id is drawn so that its order differs
from the previous one. Answers are saved as a draft on each change. On submit the answers
are stored and the server scores the stored answers with the domain's scoring; the score is
written with a conditional UPDATE, so a second submit of the same attempt (double click,
back button, two tabs) changes nothing and shows the same result.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from sqlalchemy import update
from sqlalchemy.orm import Session

from lti_tool import course
from lti_tool.course import QuestionBank, Step, choice_orders, question_order
from lti_tool.journey import events
from lti_tool.journey.answers import chosen_answers, draft_answers
from lti_tool.journey.state import POSTTEST, Journey
from lti_tool.models import Attempt
from lti_tool.outcomes import tallies

# Enough draws that two questions (half of the ids give the other order) practically never
# repeat an order; with one question there is only one order to show.
_ORDER_DRAWS = 32


def bank_of(journey: Journey, kind: str) -> QuestionBank:
    bank = journey.activity.posttest if kind == POSTTEST else journey.activity.pretest
    assert bank is not None  # the domain refuses the pre-test step when there is none
    return bank


def _public_id(bank: QuestionBank, previous_order: list[str] | None) -> str:
    public_id = secrets.token_urlsafe(18)
    for _ in range(_ORDER_DRAWS):
        if previous_order is None or list(question_order(bank, public_id)) != previous_order:
            break
        public_id = secrets.token_urlsafe(18)
    return public_id


def open_attempt(session: Session, journey: Journey, kind: str) -> Attempt:
    """The learner's open attempt of ``kind``, or a new one if the step allows it."""
    step = Step.POSTTEST if kind == POSTTEST else Step.PRETEST
    course.require_entry(step, journey.activity, journey.progress, journey.now)
    existing = journey.open_attempt(kind)
    if existing is not None:
        return existing
    bank = bank_of(journey, kind)
    previous = journey.attempts(kind)
    public_id = _public_id(bank, list(previous[-1].question_order) if previous else None)
    attempt = Attempt(
        public_id=public_id,
        participation=journey.participation,
        activity_version_id=journey.version.id,
        kind=kind,
        number=len(previous) + 1,
        question_order=list(question_order(bank, public_id)),
        choice_order=choice_orders(bank, public_id),
        answers={},
        opened_at=journey.now,
    )
    session.add(attempt)
    session.flush()
    if kind == POSTTEST:
        events.record(
            session,
            journey.participation,
            events.POSTTEST_OPENED,
            at=journey.now,
            attempt=public_id,
            number=attempt.number,
        )
    return attempt


def save_draft(journey: Journey, attempt: Attempt, form: Mapping[str, str]) -> bool:
    """Keep the answers chosen so far; False once the attempt was submitted."""
    if attempt.submitted_at is not None:
        return False
    questions = bank_of(journey, attempt.kind).questions
    attempt.answers = {**attempt.answers, **draft_answers(questions, form)}
    return True


def unanswered(attempt: Attempt, answers: Mapping[str, str]) -> list[str]:
    return [question_id for question_id in attempt.question_order if not answers.get(question_id)]


def submit_attempt(
    session: Session, journey: Journey, attempt: Attempt, form: Mapping[str, str]
) -> list[str]:
    """Record and score ``attempt`` once. Returns the ids of unanswered post-test questions
    (nothing is scored then; the answers given are kept as the draft)."""
    if attempt.submitted_at is not None:
        return []
    bank = bank_of(journey, attempt.kind)
    answers = {**attempt.answers, **chosen_answers(bank.questions, form)}
    if attempt.kind == POSTTEST:
        missing = unanswered(attempt, answers)
        if missing:
            save_draft(journey, attempt, form)
            return missing
        progress = course.submit_posttest(
            journey.activity, journey.progress, attempt.public_id, answers, journey.now
        )
        recorded = progress.attempt(attempt.public_id)
        assert recorded is not None
        score = recorded.score
        passed: bool | None = score.passes(journey.activity.meta.passing_percent)
    else:
        progress = course.submit_pretest(journey.activity, journey.progress, answers, journey.now)
        assert progress.pretest_score is not None
        score, passed = progress.pretest_score, None
    result = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(
            answers=answers,
            correct=score.correct,
            total=score.total,
            passed=passed,
            submitted_at=journey.now,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(attempt)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return []  # another request recorded this attempt first
    if attempt.kind == POSTTEST:
        events.posttest_submitted(session, journey.participation, attempt)
        tallies.record_posttest(session, journey.participation, journey.activity, attempt)
    else:
        events.record(
            session,
            journey.participation,
            events.PRETEST_TAKEN,
            at=journey.now,
            attempt=attempt.public_id,
            correct=score.correct,
            total=score.total,
        )
    return []
