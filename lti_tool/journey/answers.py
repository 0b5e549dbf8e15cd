"""Answers as they arrive from the journey's forms, and the messages shown next to fields.

Form field names are the question ids of the activity (``[a-z0-9-]+``), which cannot clash
with ``csrf_token``. Only ids of the form's own questions are read; anything else in the
request is ignored. Drafts keep only values that fit, so saving a draft never fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from lti_tool.course import (
    EvaluationIncomplete,
    EvaluationItem,
    EvaluationKind,
    InvalidAnswer,
    Question,
    check_evaluation_answers,
)

# A draft is a convenience; a text answer longer than this is cut rather than refused.
DRAFT_TEXT_LIMIT = 10_000

MISSING_CHOICE = "Choose an answer to this question."
MISSING_TEXT = "Write an answer to this question."
NOT_A_CHOICE = "Choose one of the answers listed."


def chosen_answers(questions: Iterable[Question], form: Mapping[str, str]) -> dict[str, str]:
    """The choice keys submitted for ``questions`` (blank ones left out, not checked)."""
    answers = {}
    for question in questions:
        value = (form.get(question.id) or "").strip()
        if value:
            answers[question.id] = value
    return answers


def draft_answers(questions: Iterable[Question], form: Mapping[str, str]) -> dict[str, str]:
    """Like ``chosen_answers`` but keeping only keys that are choices of their question."""
    questions = list(questions)
    chosen = chosen_answers(questions, form)
    return {q.id: chosen[q.id] for q in questions if chosen.get(q.id) in q.choice_keys}


def evaluation_answers(items: Sequence[EvaluationItem], form: Mapping[str, str]) -> dict[str, str]:
    """The evaluation's answers as submitted (text kept as written, within the draft limit)."""
    answers = {}
    for item in items:
        value = form.get(item.id)
        if value is None:
            continue
        answers[item.id] = value[:DRAFT_TEXT_LIMIT] if item.kind is EvaluationKind.TEXT else value
    return answers


def _invalid_message(item: EvaluationItem) -> str:
    if item.kind is EvaluationKind.TEXT and item.max_length is not None:
        return f"Please shorten your answer to {item.max_length} characters or fewer."
    return NOT_A_CHOICE


def evaluation_errors(
    items: Sequence[EvaluationItem], answers: Mapping[str, str]
) -> dict[str, str]:
    """A message per question id for every answer the domain refuses, or ``{}``.

    The domain reports one unfitting answer at a time, so an unfitting answer is set aside
    and the rest checked again, until only the list of missing required answers is left.
    """
    by_id = {item.id: item for item in items}
    errors: dict[str, str] = {}
    remaining = dict(answers)
    for _ in range(len(items) + 1):
        try:
            check_evaluation_answers(items, remaining)
        except InvalidAnswer as exc:
            item = by_id.get(exc.question_id)
            errors[exc.question_id] = _invalid_message(item) if item else NOT_A_CHOICE
            remaining.pop(exc.question_id, None)
            continue
        except EvaluationIncomplete as exc:
            for question_id in exc.missing:
                item = by_id[question_id]
                missing = MISSING_TEXT if item.kind is EvaluationKind.TEXT else MISSING_CHOICE
                errors.setdefault(question_id, missing)
        break
    return errors
