"""Scoring of pre- and post-tests from stored answers, and per-attempt question order.

Scores are computed on the server from the stored answers (question id → choice key), as
exact fractions. Passing compares the fraction with ``passing_percent / 100`` exactly, so
7/10 passes a 70 % threshold and 2/3 (66.67 %) does not; the whole-number percent is for
display only. An unanswered question counts as wrong.

Question order is shuffled per attempt and derived from the attempt id alone, so reloading
an attempt shows the same order and a retake (a new attempt id) shows a new one. Each
question's position key is sha256(attempt id, question id), which does not depend on
Python's ``random`` implementation and so stays stable across interpreter versions.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from lti_tool.course.errors import InvalidAnswer, UnknownQuestion
from lti_tool.course.questions import Question, QuestionBank


@dataclass(frozen=True)
class Score:
    correct: int
    total: int

    def __post_init__(self) -> None:
        if self.total <= 0 or not 0 <= self.correct <= self.total:
            raise ValueError(f"impossible score {self.correct}/{self.total}")

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.correct, self.total)

    @property
    def percent(self) -> Decimal:
        """Whole percent, half-up, for display only; never compare this with the threshold."""
        return display_percent(self.fraction)

    def passes(self, passing_percent: int) -> bool:
        return is_passing(self.fraction, passing_percent)


@dataclass(frozen=True)
class AnswerReview:
    """One question of a submitted attempt, for the results page (with its rationale)."""

    question: Question
    chosen: str | None
    is_correct: bool


def display_percent(fraction: Fraction) -> Decimal:
    """``fraction`` as a whole percent rounded half-up (2/3 → 67, 139/200 → 70)."""
    return Decimal(math.floor(fraction * 100 + Fraction(1, 2)))


def is_passing(fraction: Fraction, passing_percent: int) -> bool:
    return fraction >= Fraction(passing_percent, 100)


def _chosen(question: Question, answers: Mapping[str, str | None]) -> str | None:
    chosen = answers.get(question.id)
    if chosen is None or chosen == "":
        return None
    if chosen not in question.choice_keys:
        raise InvalidAnswer(
            question.id, f"{chosen!r} is not one of {', '.join(question.choice_keys)}"
        )
    return chosen


def _check_known(bank: QuestionBank, answers: Mapping[str, str | None]) -> None:
    known = set(bank.question_ids)
    for question_id in answers:
        if question_id not in known:
            raise UnknownQuestion(question_id)


def review_answers(
    bank: QuestionBank, answers: Mapping[str, str | None]
) -> tuple[AnswerReview, ...]:
    """Each question with the learner's choice; raises ``InvalidAnswer`` for foreign answers."""
    _check_known(bank, answers)
    reviews = []
    for question in bank.questions:
        chosen = _chosen(question, answers)
        reviews.append(AnswerReview(question, chosen, chosen == question.correct))
    return tuple(reviews)


def score_answers(bank: QuestionBank, answers: Mapping[str, str | None]) -> Score:
    """Correct answers over all questions in the bank (unanswered = wrong)."""
    reviews = review_answers(bank, answers)
    return Score(sum(review.is_correct for review in reviews), len(reviews))


def best_score(scores: Iterable[Score]) -> Score | None:
    """The highest score (the earliest one on a tie); ``None`` when there is none."""
    best: Score | None = None
    for score in scores:
        if best is None or score.fraction > best.fraction:
            best = score
    return best


def _position_key(attempt_id: str, question_id: str) -> bytes:
    return hashlib.sha256(f"{attempt_id}\x00{question_id}".encode()).digest()


def question_order(bank: QuestionBank, attempt_id: str) -> tuple[str, ...]:
    """The question ids in the order this attempt shows them."""
    if not attempt_id:
        raise ValueError("an attempt id is needed to order questions")
    return tuple(sorted(bank.question_ids, key=lambda qid: _position_key(attempt_id, qid)))


def choice_order(question: Question, attempt_id: str) -> tuple[str, ...]:
    """The choice keys in the order this attempt shows them: shuffled, so an author whose
    source lists the right answer first does not make every key "A", with pinned choices
    ("None of the above") kept at the author's position."""
    if not attempt_id:
        raise ValueError("an attempt id is needed to order choices")
    movable = sorted(
        (key for key in question.choice_keys if key not in question.pinned),
        key=lambda key: _position_key(attempt_id, f"{question.id}\x00{key}"),
    )
    shuffled = iter(movable)
    return tuple(key if key in question.pinned else next(shuffled) for key in question.choice_keys)


def choice_orders(bank: QuestionBank, attempt_id: str) -> dict[str, list[str]]:
    """Every question's shown choice order for an attempt (stored with the attempt)."""
    return {question.id: list(choice_order(question, attempt_id)) for question in bank.questions}


def ordered_questions(bank: QuestionBank, attempt_id: str) -> tuple[Question, ...]:
    by_id = {question.id: question for question in bank.questions}
    return tuple(by_id[qid] for qid in question_order(bank, attempt_id))
