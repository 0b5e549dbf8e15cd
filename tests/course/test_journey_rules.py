"""The learner journey: step order, locks, attempts, release and expiration boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lti_tool.course import (
    ActivityExpired,
    ActivityNotReleased,
    ActivityVersionMismatch,
    AttemptLimitReached,
    DisclosuresNotAcknowledged,
    EvaluationIncomplete,
    PosttestNotPassed,
    PretestUndecided,
    SectionsIncomplete,
    Step,
    StepLocked,
    UnavailableReason,
    UnknownSection,
    acknowledge_disclosures,
    can_enter,
    complete_evaluation,
    load_activity,
    next_step,
    record_credit_claim,
    require_entry,
    resume_section,
    skip_pretest,
    start_progress,
    submit_posttest,
    submit_pretest,
    view_section,
)

ALL_RIGHT = {"mini-post-01": "a", "mini-post-02": "b", "mini-post-03": "b"}
TWO_OF_THREE = {"mini-post-01": "a", "mini-post-02": "b", "mini-post-03": "a"}
EVALUATION = {
    "objective-met-1": 5,
    "objective-met-2": "4",
    "fair-balance": "yes",
    "intent-to-change": "not-sure",
}

# The mini activity: released 2026-01-01, expires 2027-12-31, provider zone America/New_York
# (UTC-5 in winter), so it opens at 05:00 UTC on 1 Jan 2026 and closes at 05:00 UTC on
# 1 Jan 2028.
OPENS = datetime(2026, 1, 1, 5, 0, tzinfo=UTC)
CLOSES = datetime(2028, 1, 1, 5, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def ready_for_posttest(activity, now):
    progress = acknowledge_disclosures(activity, start_progress(activity), now)
    if activity.pretest is not None:
        progress = skip_pretest(activity, progress, now)
    for section_id in activity.section_ids:
        progress = view_section(activity, progress, section_id, now)
    return progress


def ready_for_credit(activity, now):
    progress = submit_posttest(activity, ready_for_posttest(activity, now), "att-1", ALL_RIGHT, now)
    progress, _ = complete_evaluation(activity, progress, EVALUATION, now)
    return progress


# --- order of steps ---------------------------------------------------------------------------


def test_a_new_learner_starts_at_the_overview(mini, during):
    assert next_step(mini, start_progress(mini), during).step is Step.OVERVIEW


def test_content_stays_locked_until_disclosures_are_acknowledged(mini, during):
    progress = start_progress(mini)
    with pytest.raises(DisclosuresNotAcknowledged):
        view_section(mini, progress, "welcome", during)
    assert not can_enter(Step.PRETEST, mini, progress, during)


def test_acknowledging_twice_keeps_the_first_timestamp(mini, during):
    first = acknowledge_disclosures(mini, start_progress(mini), during)
    again = acknowledge_disclosures(mini, first, during + timedelta(days=1))
    assert again.disclosures_acknowledged_at == during


def test_the_pretest_must_be_taken_or_skipped_before_the_content(mini, during):
    progress = acknowledge_disclosures(mini, start_progress(mini), during)
    assert next_step(mini, progress, during).step is Step.PRETEST
    with pytest.raises(PretestUndecided):
        view_section(mini, progress, "welcome", during)
    skipped = skip_pretest(mini, progress, during)
    assert next_step(mini, skipped, during) == next_step(mini, skipped, during)
    assert next_step(mini, skipped, during).step is Step.CONTENT
    assert next_step(mini, skipped, during).section_id == "welcome"


def test_taking_the_pretest_records_its_score_and_closes_it(mini, during):
    progress = acknowledge_disclosures(mini, start_progress(mini), during)
    taken = submit_pretest(mini, progress, {"mini-pre-01": "b", "mini-pre-02": "a"}, during)
    assert taken.pretest_score is not None and (
        taken.pretest_score.correct,
        taken.pretest_score.total,
    ) == (1, 2)
    with pytest.raises(StepLocked):
        submit_pretest(mini, taken, {}, during)


def test_an_activity_without_a_pretest_goes_straight_to_the_content(activity_copy, during):
    (activity_copy / "pretest.yaml").unlink()
    activity = load_activity(activity_copy)
    progress = acknowledge_disclosures(activity, start_progress(activity), during)
    assert next_step(activity, progress, during).step is Step.CONTENT
    with pytest.raises(StepLocked, match="no pre-test"):
        skip_pretest(activity, progress, during)


def test_resume_at_the_first_unviewed_section_then_at_the_last_viewed(mini, during):
    progress = skip_pretest(
        mini, acknowledge_disclosures(mini, start_progress(mini), during), during
    )
    progress = view_section(mini, progress, "key-facts", during)
    assert resume_section(mini, progress) == "welcome"
    progress = view_section(mini, progress, "welcome", during)
    assert resume_section(mini, progress) == "welcome"
    progress = view_section(mini, progress, "key-facts", during)
    assert resume_section(mini, progress) == "key-facts"


def test_viewing_an_unknown_section_is_refused(mini, during):
    with pytest.raises(UnknownSection):
        view_section(mini, ready_for_posttest(mini, during), "nope", during)


# --- post-test --------------------------------------------------------------------------------


def test_the_posttest_unlocks_only_when_every_section_was_viewed(mini, during):
    progress = skip_pretest(
        mini, acknowledge_disclosures(mini, start_progress(mini), during), during
    )
    progress = view_section(mini, progress, "welcome", during)
    with pytest.raises(SectionsIncomplete) as locked:
        require_entry(Step.POSTTEST, mini, progress, during)
    assert locked.value.missing == ("key-facts",)
    progress = view_section(mini, progress, "key-facts", during)
    assert next_step(mini, progress, during).step is Step.POSTTEST


def test_two_of_three_fails_and_counts_as_an_attempt(mini, during):
    progress = submit_posttest(
        mini, ready_for_posttest(mini, during), "att-1", TWO_OF_THREE, during
    )
    assert progress.attempts_used == 1
    assert next_step(mini, progress, during).step is Step.POSTTEST
    with pytest.raises(PosttestNotPassed):
        require_entry(Step.EVALUATION, mini, progress, during)


def test_the_attempt_limit_locks_the_posttest_and_says_credit_is_unavailable(mini, during):
    progress = ready_for_posttest(mini, during)
    for n in range(3):
        progress = submit_posttest(mini, progress, f"att-{n}", TWO_OF_THREE, during)
    with pytest.raises(AttemptLimitReached) as locked:
        submit_posttest(mini, progress, "att-4", ALL_RIGHT, during)
    assert locked.value.limit == 3
    step = next_step(mini, progress, during)
    assert step.step is Step.CONTENT
    assert step.credit_unavailable is not None
    assert step.credit_unavailable.reason is UnavailableReason.ATTEMPTS_EXHAUSTED
    assert "all 3 post-test attempts" in step.credit_unavailable.message


def test_passing_on_the_last_allowed_attempt_opens_the_evaluation(mini, during):
    progress = ready_for_posttest(mini, during)
    progress = submit_posttest(mini, progress, "att-1", TWO_OF_THREE, during)
    progress = submit_posttest(mini, progress, "att-2", {}, during)
    progress = submit_posttest(mini, progress, "att-3", ALL_RIGHT, during)
    assert next_step(mini, progress, during).step is Step.EVALUATION
    assert progress.best_posttest_score is not None and progress.best_posttest_score.correct == 3


def test_resubmitting_the_same_attempt_does_not_use_another_attempt(mini, during):
    progress = submit_posttest(
        mini, ready_for_posttest(mini, during), "att-1", TWO_OF_THREE, during
    )
    again = submit_posttest(mini, progress, "att-1", ALL_RIGHT, during)
    assert again is progress and again.attempts_used == 1


def test_a_passed_posttest_cannot_be_retaken(mini, during):
    progress = submit_posttest(mini, ready_for_posttest(mini, during), "att-1", ALL_RIGHT, during)
    with pytest.raises(StepLocked, match="already passed"):
        submit_posttest(mini, progress, "att-2", ALL_RIGHT, during)


# --- evaluation and credit --------------------------------------------------------------------


def test_the_evaluation_is_required_before_credit(mini, during):
    progress = submit_posttest(mini, ready_for_posttest(mini, during), "att-1", ALL_RIGHT, during)
    with pytest.raises(EvaluationIncomplete):
        require_entry(Step.CREDIT, mini, progress, during)
    with pytest.raises(EvaluationIncomplete) as incomplete:
        complete_evaluation(mini, progress, {"objective-met-1": 5}, during)
    assert incomplete.value.missing == ("objective-met-2", "fair-balance", "intent-to-change")
    progress, answers = complete_evaluation(mini, progress, EVALUATION, during)
    assert answers["objective-met-2"] == 4
    assert next_step(mini, progress, during).step is Step.CREDIT


def test_claiming_credit_completes_the_journey(mini, during):
    progress = record_credit_claim(mini, ready_for_credit(mini, during), during)
    assert next_step(mini, progress, during).step is Step.COMPLETE
    with pytest.raises(StepLocked, match="already claimed"):
        record_credit_claim(mini, progress, during)


# --- release and expiration -------------------------------------------------------------------


def test_nothing_opens_before_the_release_date_in_the_provider_zone(mini):
    progress = start_progress(mini)
    with pytest.raises(ActivityNotReleased) as early:
        next_step(mini, progress, OPENS - SECOND)
    assert early.value.opens_at == OPENS
    assert not can_enter(Step.OVERVIEW, mini, progress, OPENS - SECOND)
    with pytest.raises(ActivityNotReleased):
        acknowledge_disclosures(mini, progress, OPENS - SECOND)
    assert next_step(mini, progress, OPENS).step is Step.OVERVIEW


def test_the_expiration_date_is_inclusive_to_the_end_of_that_day(mini, during):
    progress = ready_for_posttest(mini, during)
    assert can_enter(Step.POSTTEST, mini, progress, CLOSES - SECOND)
    with pytest.raises(ActivityExpired) as expired:
        submit_posttest(mini, progress, "att-1", ALL_RIGHT, CLOSES)
    assert expired.value.closed_at == CLOSES


def test_after_expiry_content_is_readable_but_credit_cannot_be_earned(mini, during):
    progress = skip_pretest(
        mini, acknowledge_disclosures(mini, start_progress(mini), during), during
    )
    progress = view_section(mini, progress, "welcome", CLOSES)
    step = next_step(mini, progress, CLOSES)
    assert (step.step, step.section_id) == (Step.CONTENT, "key-facts")
    assert step.credit_unavailable is not None
    assert step.credit_unavailable.reason is UnavailableReason.EXPIRED
    assert "expired on December 31, 2027" in step.credit_unavailable.message
    for locked in (Step.PRETEST, Step.POSTTEST, Step.EVALUATION, Step.CREDIT):
        assert not can_enter(locked, mini, progress, CLOSES)


def test_after_expiry_an_undecided_pretest_does_not_hold_the_content_back(mini):
    progress = acknowledge_disclosures(mini, start_progress(mini), CLOSES)
    assert view_section(mini, progress, "welcome", CLOSES).sections_viewed == {"welcome"}


def test_a_learner_who_finished_before_expiry_may_still_claim_after_it(mini, during):
    progress = ready_for_credit(mini, CLOSES - SECOND)
    assert next_step(mini, progress, CLOSES + timedelta(days=3)).step is Step.CREDIT
    late = replace(progress, evaluation_completed_at=CLOSES)
    assert not can_enter(Step.CREDIT, mini, late, CLOSES)


def test_dates_are_read_in_the_providers_time_zone(activity_copy, edit):
    edit(
        "activity.yaml",
        "  name: Example CME Provider\n",
        "  name: Example CME Provider\n  timezone: UTC\n",
    )
    activity = load_activity(activity_copy)
    midnight = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ActivityNotReleased):
        next_step(activity, start_progress(activity), midnight - SECOND)
    assert next_step(activity, start_progress(activity), midnight).step is Step.OVERVIEW


# --- inputs -----------------------------------------------------------------------------------


def test_naive_timestamps_are_refused(mini):
    with pytest.raises(ValueError, match="timezone-aware"):
        next_step(mini, start_progress(mini), datetime(2026, 6, 1, 12, 0))


def test_progress_from_another_version_is_refused(mini, during):
    stale = replace(start_progress(mini), activity_version="0" * 64)
    with pytest.raises(ActivityVersionMismatch):
        next_step(mini, stale, during)
