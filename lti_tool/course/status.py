"""Where a learner stands in an activity: the one rule, as a pure function.

Each status implies the ones before it: a learner whose certificate was issued passed the
post-test and completed the evaluation. The most advanced fact wins.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from lti_tool.course.scoring import Score, best_score


class LearnerStatus(enum.StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    POSTTEST_FAILED = "post-test failed"
    PASSED = "passed"
    EVALUATION_DONE = "evaluation done"
    CERTIFICATE_ISSUED = "certificate issued"


@dataclass(frozen=True)
class LearnerProgress:
    """The facts about one participation that the status is read from."""

    posttests_submitted: int = 0
    posttest_passed: bool = False
    evaluation_done: bool = False
    certificate_issued: bool = False


def learner_status(progress: LearnerProgress | None) -> LearnerStatus:
    """``None`` means the tool has no participation for the learner."""
    if progress is None:
        return LearnerStatus.NOT_STARTED
    if progress.certificate_issued:
        return LearnerStatus.CERTIFICATE_ISSUED
    if progress.evaluation_done:
        return LearnerStatus.EVALUATION_DONE
    if progress.posttest_passed:
        return LearnerStatus.PASSED
    if progress.posttests_submitted:
        return LearnerStatus.POSTTEST_FAILED
    return LearnerStatus.IN_PROGRESS


def best_recorded(scores: Iterable[tuple[int | None, int | None]]) -> Fraction | None:
    """The best of recorded (correct, total) pairs, exactly, by :func:`best_score` (the one
    rule); unscored attempts are skipped; ``None`` when there is none."""
    best = best_score(
        Score(correct, total) for correct, total in scores if correct is not None and total
    )
    return best.fraction if best is not None else None
