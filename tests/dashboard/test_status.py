"""The one rule that says where a learner stands (no database, no HTTP)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from lti_tool.course.status import LearnerProgress, LearnerStatus, learner_status
from lti_tool.course.status import best_recorded as best_score


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        (None, LearnerStatus.NOT_STARTED),
        (LearnerProgress(), LearnerStatus.IN_PROGRESS),
        (LearnerProgress(posttests_submitted=2), LearnerStatus.POSTTEST_FAILED),
        (LearnerProgress(posttests_submitted=2, posttest_passed=True), LearnerStatus.PASSED),
        (
            LearnerProgress(posttests_submitted=1, posttest_passed=True, evaluation_done=True),
            LearnerStatus.EVALUATION_DONE,
        ),
        (
            LearnerProgress(
                posttests_submitted=1,
                posttest_passed=True,
                evaluation_done=True,
                certificate_issued=True,
            ),
            LearnerStatus.CERTIFICATE_ISSUED,
        ),
    ],
)
def test_status_follows_the_furthest_step_reached(
    progress: LearnerProgress | None, expected: LearnerStatus
) -> None:
    assert learner_status(progress) is expected


def test_a_passed_retake_counts_as_passed_even_after_a_failed_attempt() -> None:
    progress = LearnerProgress(posttests_submitted=3, posttest_passed=True)
    assert learner_status(progress) is LearnerStatus.PASSED


def test_best_score_is_exact_and_ignores_unscored_attempts() -> None:
    assert best_score([(2, 3), (5, 7), (None, 3), (1, 0)]) == Fraction(5, 7)
    assert best_score([]) is None
    assert best_score([(None, None)]) is None
