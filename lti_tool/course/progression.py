"""The learner journey through an activity, as an explicit state machine over ``Progress``.

Steps, in order (the seed activity's "Instructions" and the ACCME/ACPE requirements):

1. ``overview``   learning objectives, accreditation, disclosures; the learner acknowledges the
                  disclosures (ACCME: disclosure must reach learners before they engage).
2. ``pretest``    optional baseline; taken or explicitly skipped, before any content.
3. ``content``    sections, in any order and over several sessions; resume at the first
                  unviewed section, or the last viewed one when all have been seen.
4. ``posttest``   unlocked once every section was viewed; at most ``posttest_attempt_limit``
                  attempts; passing needs ``passing_percent``.
5. ``evaluation`` required before credit (ACPE: "complete the course evaluation").
6. ``credit``     hand-over to ``credit.claim_credit``; ``complete`` once credit is claimed.

Release and expiration are enforced here (see ``window.py``): before release nothing opens;
after expiration the overview and content can still be read, but the pre-test, post-test and
evaluation are closed and credit can be claimed only by a learner who completed the
evaluation before the activity expired. ``next_step`` says what to show, with a
``CreditUnavailable`` result when credit can no longer be earned; transitions check the same
rules and raise the typed errors of ``errors.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from lti_tool.course.activity import Activity
from lti_tool.course.dates import long_date
from lti_tool.course.errors import (
    ActivityExpired,
    ActivityNotReleased,
    ActivityVersionMismatch,
    AttemptLimitReached,
    DisclosuresNotAcknowledged,
    EvaluationIncomplete,
    JourneyError,
    PosttestNotPassed,
    PretestUndecided,
    SectionsIncomplete,
    StepLocked,
    UnknownSection,
)
from lti_tool.course.evaluation import check_evaluation_answers
from lti_tool.course.progress import PosttestAttempt, Progress, as_utc
from lti_tool.course.scoring import score_answers
from lti_tool.course.window import activity_window


class Step(StrEnum):
    OVERVIEW = "overview"
    PRETEST = "pretest"
    CONTENT = "content"
    POSTTEST = "posttest"
    EVALUATION = "evaluation"
    CREDIT = "credit"
    COMPLETE = "complete"


class UnavailableReason(StrEnum):
    EXPIRED = "expired"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"


@dataclass(frozen=True)
class CreditUnavailable:
    """Credit can no longer be earned in this journey; ``message`` is plain learner language."""

    reason: UnavailableReason
    message: str
    closed_at: datetime | None = None


@dataclass(frozen=True)
class NextStep:
    step: Step
    section_id: str | None = None  # where to resume when ``step`` is ``content``
    credit_unavailable: CreditUnavailable | None = None


def start_progress(activity: Activity) -> Progress:
    return Progress(activity_version=activity.content_hash)


# --- reading the state ------------------------------------------------------------------------


def missing_sections(activity: Activity, progress: Progress) -> tuple[str, ...]:
    return tuple(sid for sid in activity.section_ids if sid not in progress.sections_viewed)


def resume_section(activity: Activity, progress: Progress) -> str:
    """The first unviewed section; once all were viewed, the last one viewed."""
    missing = missing_sections(activity, progress)
    if missing:
        return missing[0]
    return progress.last_viewed_section or activity.section_ids[0]


def posttest_passed(activity: Activity, progress: Progress) -> bool:
    best = progress.best_posttest_score
    return best is not None and best.passes(activity.meta.passing_percent)


def _completed_before_close(activity: Activity, progress: Progress) -> bool:
    done = progress.evaluation_completed_at
    return done is not None and as_utc(done) < activity_window(activity.meta).closes_at


def credit_unavailable(
    activity: Activity, progress: Progress, now: datetime
) -> CreditUnavailable | None:
    """Why credit can no longer be earned, or ``None`` while it still can."""
    window = activity_window(activity.meta)
    if window.is_expired(as_utc(now)) and not _completed_before_close(activity, progress):
        expired_on = activity.meta.expiration_date
        return CreditUnavailable(
            UnavailableReason.EXPIRED,
            f"This activity expired on {long_date(expired_on)}. "
            "You can still read the content, but credit and certificates can no longer be earned.",
            window.closes_at,
        )
    limit = activity.meta.posttest_attempt_limit
    if progress.attempts_used >= limit and not posttest_passed(activity, progress):
        return CreditUnavailable(
            UnavailableReason.ATTEMPTS_EXHAUSTED,
            f"You have used all {limit} post-test attempts without reaching the passing score "
            f"of {activity.meta.passing_percent}%. You can still review the content, but credit "
            "cannot be earned for this activity.",
        )
    return None


def _check_version(activity: Activity, progress: Progress) -> None:
    if progress.activity_version != activity.content_hash:
        raise ActivityVersionMismatch(progress.activity_version, activity.content_hash)


def entry_problem(
    step: Step, activity: Activity, progress: Progress, now: datetime
) -> JourneyError | None:
    """The error that entering ``step`` now would raise, or ``None`` if it may be entered.

    Raises ``ActivityVersionMismatch`` (rather than returning it) when ``progress`` belongs to
    another version: that is a wiring mistake, not something to show a learner.
    """
    _check_version(activity, progress)
    now = as_utc(now)
    window = activity_window(activity.meta)
    if not window.is_released(now):
        return ActivityNotReleased(window.opens_at)
    if step is Step.OVERVIEW:
        return None
    if step is Step.COMPLETE:
        claimed = progress.credit_claimed_at is not None
        return None if claimed else StepLocked(step, "credit has not been claimed")
    expired = window.is_expired(now)
    if expired and step in (Step.PRETEST, Step.POSTTEST, Step.EVALUATION):
        return ActivityExpired(window.closes_at)
    if expired and step is Step.CREDIT and not _completed_before_close(activity, progress):
        return ActivityExpired(window.closes_at)
    if progress.disclosures_acknowledged_at is None:
        return DisclosuresNotAcknowledged(step)
    if step is Step.PRETEST:
        if activity.pretest is None:
            return StepLocked(step, "this activity has no pre-test")
        if progress.pretest_decided or progress.sections_viewed:
            return StepLocked(step, "the pre-test is only offered before the content")
        return None
    pretest_pending = (
        activity.pretest is not None
        and not progress.pretest_decided
        and not progress.sections_viewed
    )
    if step is Step.CONTENT:
        # After expiry the pre-test is closed, so it cannot hold the content back.
        return PretestUndecided(step) if pretest_pending and not expired else None
    if pretest_pending:
        return PretestUndecided(step)
    missing = missing_sections(activity, progress)
    if missing:
        return SectionsIncomplete(step, missing)
    passed = posttest_passed(activity, progress)
    limit = activity.meta.posttest_attempt_limit
    if step is Step.POSTTEST:
        if passed:
            return StepLocked(step, "the post-test was already passed")
        return AttemptLimitReached(step, limit) if progress.attempts_used >= limit else None
    if not passed:
        return PosttestNotPassed(step)
    if step is Step.EVALUATION:
        if progress.evaluation_completed_at is not None:
            return StepLocked(step, "the evaluation was already submitted")
        return None
    if progress.evaluation_completed_at is None:
        return EvaluationIncomplete(step)
    if progress.credit_claimed_at is not None:
        return StepLocked(step, "credit was already claimed")
    return None


def can_enter(step: Step, activity: Activity, progress: Progress, now: datetime) -> bool:
    return entry_problem(step, activity, progress, now) is None


def require_entry(step: Step, activity: Activity, progress: Progress, now: datetime) -> None:
    problem = entry_problem(step, activity, progress, now)
    if problem is not None:
        raise problem


def next_step(activity: Activity, progress: Progress, now: datetime) -> NextStep:
    """Where the learner should be now. Raises ``ActivityNotReleased`` before release."""
    _check_version(activity, progress)
    window = activity_window(activity.meta)
    if not window.is_released(as_utc(now)):
        raise ActivityNotReleased(window.opens_at)
    if progress.credit_claimed_at is not None:
        return NextStep(Step.COMPLETE)
    unavailable = credit_unavailable(activity, progress, now)
    if progress.disclosures_acknowledged_at is None:
        return NextStep(Step.OVERVIEW, credit_unavailable=unavailable)
    resume = resume_section(activity, progress)
    if unavailable is not None:
        return NextStep(Step.CONTENT, resume, unavailable)
    if (
        activity.pretest is not None
        and not progress.pretest_decided
        and not progress.sections_viewed
    ):
        return NextStep(Step.PRETEST)
    if missing_sections(activity, progress):
        return NextStep(Step.CONTENT, resume)
    if not posttest_passed(activity, progress):
        return NextStep(Step.POSTTEST)
    if progress.evaluation_completed_at is None:
        return NextStep(Step.EVALUATION)
    return NextStep(Step.CREDIT)


# --- transitions ------------------------------------------------------------------------------


def acknowledge_disclosures(activity: Activity, progress: Progress, now: datetime) -> Progress:
    """Record the acknowledgement; acknowledging again keeps the first timestamp."""
    require_entry(Step.OVERVIEW, activity, progress, now)
    if progress.disclosures_acknowledged_at is not None:
        return progress
    return replace(progress, disclosures_acknowledged_at=as_utc(now))


def skip_pretest(activity: Activity, progress: Progress, now: datetime) -> Progress:
    require_entry(Step.PRETEST, activity, progress, now)
    return replace(progress, pretest_skipped_at=as_utc(now))


def submit_pretest(
    activity: Activity, progress: Progress, answers: Mapping[str, str | None], now: datetime
) -> Progress:
    require_entry(Step.PRETEST, activity, progress, now)
    assert activity.pretest is not None  # entry_problem refuses activities without one
    score = score_answers(activity.pretest, answers)
    return replace(progress, pretest_taken_at=as_utc(now), pretest_score=score)


def view_section(
    activity: Activity, progress: Progress, section_id: str, now: datetime
) -> Progress:
    if activity.section(section_id) is None:
        raise UnknownSection(section_id)
    require_entry(Step.CONTENT, activity, progress, now)
    return replace(
        progress,
        sections_viewed=progress.sections_viewed | {section_id},
        last_viewed_section=section_id,
    )


def submit_posttest(
    activity: Activity,
    progress: Progress,
    attempt_id: str,
    answers: Mapping[str, str | None],
    now: datetime,
) -> Progress:
    """Score and record one attempt. Re-submitting the same attempt id changes nothing, so a
    double click or a retried request cannot use up a second attempt."""
    if progress.attempt(attempt_id) is not None:
        return progress
    require_entry(Step.POSTTEST, activity, progress, now)
    attempt = PosttestAttempt(attempt_id, as_utc(now), score_answers(activity.posttest, answers))
    return replace(progress, posttest_attempts=(*progress.posttest_attempts, attempt))


def complete_evaluation(
    activity: Activity, progress: Progress, answers: Mapping[str, object], now: datetime
) -> tuple[Progress, dict[str, int | str]]:
    """Check the answers (raising ``EvaluationIncomplete``/``InvalidAnswer``) and record
    completion; returns the new progress and the normalized answers to store."""
    require_entry(Step.EVALUATION, activity, progress, now)
    normalized = check_evaluation_answers(activity.evaluation_items, answers)
    return replace(progress, evaluation_completed_at=as_utc(now)), normalized


def record_credit_claim(activity: Activity, progress: Progress, now: datetime) -> Progress:
    """Mark credit as claimed, after ``credit.claim_credit`` accepted the claim."""
    require_entry(Step.CREDIT, activity, progress, now)
    return replace(progress, credit_claimed_at=as_utc(now))
