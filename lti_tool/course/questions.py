"""Question banks: the models of ``pretest.yaml`` and ``posttest.yaml``.

Both files share one format (docs/activity-format.md, "Question bank"): single-best-answer
items with 4 or 5 choices keyed ``a``..``e`` in order, exactly one correct, each tied to a
learning objective. Objective indexes and unique ids are checked across the folder in
``checks.py``; scoring lives in ``scoring.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from lti_tool.course.schema import Identifier, Model, Text

CHOICE_KEYS = ("a", "b", "c", "d", "e")
MIN_CHOICES = 4


class Choice(Model):
    key: str
    text: Text


def choices_from_mapping(value: Any) -> Any:
    """``{a: "...", b: "..."}`` → ``[{key: a, text: ...}, ...]``, keeping the author's order."""
    if isinstance(value, Mapping):
        return [{"key": key, "text": text} for key, text in value.items()]
    return value


class Question(Model):
    id: Identifier
    objective: int = Field(ge=1)
    stem: Text
    choices: tuple[Choice, ...]
    correct: str
    rationale: Text | None = None
    # Choices that keep the author's position when the others are shuffled for each attempt
    # ("None of the above", "All of the above", "Both A and B"): keys, e.g. ``[e]``.
    pinned: tuple[str, ...] = ()
    # Pre-test only: the post-test question this one repeats, so the outcomes report can
    # compare each learner's answer before and after (knowledge change).
    same_as: Identifier | None = None

    @field_validator("choices", mode="before")
    @classmethod
    def _choices_mapping(cls, value: Any) -> Any:
        return choices_from_mapping(value)

    @field_validator("choices")
    @classmethod
    def _keys_a_to_e_in_order(cls, value: tuple[Choice, ...]) -> tuple[Choice, ...]:
        keys = tuple(choice.key for choice in value)
        if not MIN_CHOICES <= len(keys) <= len(CHOICE_KEYS):
            raise ValueError(f"expected {MIN_CHOICES} or {len(CHOICE_KEYS)} choices")
        if keys != CHOICE_KEYS[: len(keys)]:
            raise ValueError(f"choice keys must be {', '.join(CHOICE_KEYS[: len(keys)])} in order")
        return value

    @field_validator("correct")
    @classmethod
    def _correct_is_a_choice(cls, value: str, info: ValidationInfo) -> str:
        choices = info.data.get("choices")
        if choices is not None and value not in {choice.key for choice in choices}:
            raise ValueError(f"{value!r} is not one of the choice keys")
        return value

    @field_validator("pinned")
    @classmethod
    def _pinned_are_choices(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        choices = info.data.get("choices")
        keys = {choice.key for choice in choices} if choices is not None else set()
        unknown = [key for key in value if key not in keys]
        if choices is not None and unknown:
            raise ValueError(f"pinned {', '.join(map(repr, unknown))}: not one of the choice keys")
        return value

    @property
    def choice_keys(self) -> tuple[str, ...]:
        return tuple(choice.key for choice in self.choices)

    def choice_text(self, key: str) -> str:
        return next(choice.text for choice in self.choices if choice.key == key)

    def choices_in(self, order: Sequence[str]) -> tuple[Choice, ...]:
        """The choices in an attempt's shown order (the author's order when none is stored)."""
        by_key = {choice.key: choice for choice in self.choices}
        if sorted(order) != sorted(by_key):
            return self.choices
        return tuple(by_key[key] for key in order)


class QuestionBank(Model):
    questions: tuple[Question, ...] = Field(min_length=1)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)
