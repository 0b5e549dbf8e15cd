"""Scoring with exact fractions, display rounding, best score and per-attempt order."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from lti_tool.course import (
    InvalidAnswer,
    QuestionBank,
    Score,
    UnknownQuestion,
    best_score,
    choice_order,
    choice_orders,
    display_percent,
    is_passing,
    ordered_questions,
    question_order,
    review_answers,
    score_answers,
)


def bank_of(count: int) -> QuestionBank:
    return QuestionBank.model_validate(
        {
            "questions": [
                {
                    "id": f"q-{n:02d}",
                    "objective": 1,
                    "stem": f"Question {n}",
                    "choices": {"a": "A", "b": "B", "c": "C", "d": "D"},
                    "correct": "c",
                }
                for n in range(1, count + 1)
            ]
        }
    )


def answers(bank: QuestionBank, right: int) -> dict[str, str]:
    """The first ``right`` questions answered correctly, the rest wrongly."""
    return {q.id: ("c" if i < right else "a") for i, q in enumerate(bank.questions)}


def test_seven_of_ten_passes_seventy_percent_exactly():
    bank = bank_of(10)
    score = score_answers(bank, answers(bank, 7))
    assert score == Score(7, 10) and score.passes(70)
    assert score.percent == Decimal(70)


def test_two_of_three_fails_seventy_percent_and_displays_67():
    bank = bank_of(3)
    score = score_answers(bank, answers(bank, 2))
    assert not score.passes(70)
    assert score.percent == Decimal(67)


def test_just_below_the_threshold_fails_even_when_display_rounds_up_to_it():
    # 23/33 = 69.70 %: shown as 70 after half-up rounding, yet it is below 70 %.
    assert display_percent(Fraction(23, 33)) == Decimal(70)
    assert not is_passing(Fraction(23, 33), 70)
    assert not is_passing(Fraction(139, 200), 70)  # 69.5 %
    assert is_passing(Fraction(140, 200), 70)


def test_display_rounds_half_up():
    assert display_percent(Fraction(1, 8)) == Decimal(13)  # 12.5 → 13
    assert display_percent(Fraction(1, 3)) == Decimal(33)
    assert display_percent(Fraction(0)) == Decimal(0)
    assert display_percent(Fraction(1)) == Decimal(100)


def test_unanswered_questions_count_as_wrong(mini):
    score = score_answers(mini.posttest, {"mini-post-01": "a", "mini-post-02": ""})
    assert (score.correct, score.total) == (1, 3)
    assert score_answers(mini.posttest, {}) == Score(0, 3)


def test_an_answer_that_is_not_a_choice_is_refused(mini):
    with pytest.raises(InvalidAnswer):
        score_answers(mini.posttest, {"mini-post-01": "z"})
    with pytest.raises(UnknownQuestion):
        score_answers(mini.posttest, {"mini-post-99": "a"})


def test_review_marks_each_answer_for_the_results_page(mini):
    reviews = review_answers(mini.posttest, {"mini-post-01": "a", "mini-post-02": "a"})
    assert [(r.question.id, r.chosen, r.is_correct) for r in reviews] == [
        ("mini-post-01", "a", True),
        ("mini-post-02", "a", False),
        ("mini-post-03", None, False),
    ]
    assert reviews[1].question.rationale is not None


def test_the_best_score_across_attempts_wins_and_ties_keep_the_first():
    first, best, tie = Score(1, 3), Score(3, 4), Score(6, 8)
    assert best_score([first, best, tie]) is best
    assert best_score([]) is None


def test_an_impossible_score_cannot_be_built():
    with pytest.raises(ValueError):
        Score(4, 3)
    with pytest.raises(ValueError):
        Score(0, 0)


def test_reloading_an_attempt_shows_the_same_question_order():
    bank = bank_of(12)
    assert question_order(bank, "attempt-7f3a") == question_order(bank, "attempt-7f3a")


def test_a_retake_shows_a_new_question_order():
    bank = bank_of(12)
    orders = {question_order(bank, f"attempt-{n}") for n in range(5)}
    assert len(orders) == 5
    assert all(sorted(order) == sorted(bank.question_ids) for order in orders)


def test_the_order_does_not_depend_on_the_interpreter():
    # Pinned: sha256-based keys, not Python's random module.
    assert question_order(bank_of(4), "attempt-1") == ("q-03", "q-01", "q-04", "q-02")


def test_ordered_questions_keep_their_choices_in_place(mini):
    questions = ordered_questions(mini.posttest, "attempt-1")
    assert {q.id for q in questions} == set(mini.posttest.question_ids)
    assert all(q.choice_keys[:4] == ("a", "b", "c", "d") for q in questions)


def first_is_right(pinned: tuple[str, ...] = ()) -> QuestionBank:
    """Ten questions written as some sources list them: the right answer always first."""
    return QuestionBank.model_validate(
        {
            "questions": [
                {
                    "id": f"q-{n:02d}",
                    "objective": 1,
                    "stem": f"Question {n}",
                    "choices": {"a": "Right", "b": "B", "c": "C", "d": "D", "e": "None of these"},
                    "correct": "a",
                    "pinned": list(pinned),
                }
                for n in range(1, 11)
            ]
        }
    )


def test_an_answer_key_written_all_a_is_shuffled_for_each_attempt():
    bank = first_is_right()
    positions = [
        order.index("a")
        for n in range(20)
        for order in map(tuple, choice_orders(bank, f"attempt-{n}").values())
    ]
    # 200 shown questions: the right answer lands in every one of the five positions, and
    # in the first one about a fifth of the time, not always.
    assert set(positions) == {0, 1, 2, 3, 4}
    assert positions.count(0) < len(positions) / 2


def test_choice_order_is_the_same_on_reload_and_new_on_a_retake():
    question = first_is_right().questions[0]
    assert choice_order(question, "attempt-1") == choice_order(question, "attempt-1")
    retakes = {choice_order(question, f"attempt-{n}") for n in range(10)}
    assert len(retakes) > 1
    assert all(sorted(order) == ["a", "b", "c", "d", "e"] for order in retakes)


def test_pinned_choices_keep_the_authors_position():
    bank = first_is_right(pinned=("e",))
    orders = [tuple(o) for n in range(20) for o in choice_orders(bank, f"attempt-{n}").values()]
    assert all(order[4] == "e" for order in orders)
    assert {order.index("a") for order in orders} == {0, 1, 2, 3}


def test_a_pinned_key_that_is_not_a_choice_is_refused():
    with pytest.raises(ValueError, match="pinned 'f': not one of the choice keys"):
        first_is_right(pinned=("f",))
