"""The activity evaluation: the format of ``evaluation.yaml`` and the checking of answers.

Accredited providers must evaluate whether an activity changed learners' competence or
performance and whether it was free of commercial bias (ACCME Criteria, Standards for
Integrity and Independence, Standard 1). The evaluation is required before credit.

Question kinds: ``likert`` (5-point scale, answers 1..5), ``yes_no`` (``yes``/``no``),
``choice`` (one key of ``choices``), ``text`` (free text). ``per_objective: true`` repeats a
question once per learning objective with ``{objective}`` in the prompt replaced by the
objective's text and ids ``<id>-1``, ``<id>-2``, .... ``when: {question, answer}`` shows a
question only after that answer (e.g. "explain the bias you saw" only after "no").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from lti_tool.course.errors import EvaluationIncomplete, InvalidAnswer, UnknownQuestion
from lti_tool.course.schema import Identifier, Model, Text

EVALUATION_STEP = "evaluation"
OBJECTIVE_MARKER = "{objective}"
DEFAULT_TEXT_LENGTH = 2000


class EvaluationKind(StrEnum):
    LIKERT = "likert"
    YES_NO = "yes_no"
    CHOICE = "choice"
    TEXT = "text"


class LikertScale(StrEnum):
    AGREEMENT = "agreement"
    CONFIDENCE = "confidence"
    QUALITY = "quality"
    RELEVANCE = "relevance"


LIKERT_LABELS: dict[LikertScale, tuple[str, str, str, str, str]] = {
    LikertScale.AGREEMENT: (
        "Strongly disagree",
        "Disagree",
        "Neutral",
        "Agree",
        "Strongly agree",
    ),
    LikertScale.CONFIDENCE: (
        "Not at all confident",
        "Slightly confident",
        "Moderately confident",
        "Very confident",
        "Extremely confident",
    ),
    LikertScale.QUALITY: ("Poor", "Fair", "Good", "Very good", "Excellent"),
    LikertScale.RELEVANCE: (
        "Not relevant",
        "Slightly relevant",
        "Moderately relevant",
        "Very relevant",
        "Extremely relevant",
    ),
}
YES_NO_OPTIONS = (("yes", "Yes"), ("no", "No"))


class Option(Model):
    key: Identifier
    text: Text


class Condition(Model):
    question: Identifier
    answer: Text


class EvaluationQuestion(Model):
    id: Identifier
    kind: EvaluationKind
    prompt: Text
    required: bool = True
    per_objective: bool = False
    scale: LikertScale | None = Field(default=None, validate_default=True)
    choices: tuple[Option, ...] = Field(default=(), validate_default=True)
    when: Condition | None = None
    max_length: int = Field(default=DEFAULT_TEXT_LENGTH, ge=1)

    @field_validator("scale")
    @classmethod
    def _scale_only_for_likert(cls, value: LikertScale | None, info: ValidationInfo) -> Any:
        if info.data.get("kind") is EvaluationKind.LIKERT:
            return value or LikertScale.AGREEMENT
        if value is not None:
            raise ValueError("only likert questions have a scale")
        return value

    @field_validator("choices", mode="before")
    @classmethod
    def _choices_mapping(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return [{"key": key, "text": text} for key, text in value.items()]
        return value

    @field_validator("choices")
    @classmethod
    def _choices_only_for_choice(cls, value: tuple[Option, ...], info: ValidationInfo) -> Any:
        if info.data.get("kind") is EvaluationKind.CHOICE:
            if len(value) < 2:
                raise ValueError("a choice question needs at least 2 choices")
            if len({option.key for option in value}) != len(value):
                raise ValueError("choice keys must be unique")
        elif value:
            raise ValueError("only choice questions have choices")
        return value

    @field_validator("per_objective")
    @classmethod
    def _prompt_names_objective(cls, value: bool, info: ValidationInfo) -> bool:
        prompt = info.data.get("prompt")
        if value and prompt is not None and OBJECTIVE_MARKER not in prompt:
            raise ValueError(f"a per-objective prompt must contain {OBJECTIVE_MARKER}")
        return value


class EvaluationForm(Model):
    """Everything in ``evaluation.yaml``."""

    introduction: Text | None = None
    questions: tuple[EvaluationQuestion, ...] = Field(min_length=1)


@dataclass(frozen=True)
class EvaluationItem:
    """One question as the learner sees it, after ``per_objective`` expansion."""

    id: str
    kind: EvaluationKind
    prompt: str
    required: bool
    options: tuple[tuple[str, str], ...]  # (stored value, label); empty for text
    when: Condition | None
    objective: int | None  # 1-based objective index for expanded per-objective items
    max_length: int | None  # text only


def _options(question: EvaluationQuestion) -> tuple[tuple[str, str], ...]:
    if question.kind is EvaluationKind.LIKERT:
        labels = LIKERT_LABELS[question.scale or LikertScale.AGREEMENT]
        return tuple((str(n), label) for n, label in enumerate(labels, start=1))
    if question.kind is EvaluationKind.YES_NO:
        return YES_NO_OPTIONS
    return tuple((option.key, option.text) for option in question.choices)


def expand_evaluation(
    form: EvaluationForm, objectives: Sequence[str]
) -> tuple[EvaluationItem, ...]:
    items: list[EvaluationItem] = []
    for question in form.questions:
        options = _options(question)
        max_length = question.max_length if question.kind is EvaluationKind.TEXT else None
        # (objective number, item id, prompt) for each item this question becomes
        variants: list[tuple[int | None, str, str]] = [(None, question.id, question.prompt)]
        if question.per_objective:
            variants = [
                (n, f"{question.id}-{n}", question.prompt.replace(OBJECTIVE_MARKER, text))
                for n, text in enumerate(objectives, start=1)
            ]
        for objective, item_id, prompt in variants:
            items.append(
                EvaluationItem(
                    id=item_id,
                    kind=question.kind,
                    prompt=prompt,
                    required=question.required,
                    options=options,
                    when=question.when,
                    objective=objective,
                    max_length=max_length,
                )
            )
    return tuple(items)


def _normalize(item: EvaluationItem, raw: object) -> int | str:
    if item.kind is EvaluationKind.TEXT:
        if not isinstance(raw, str):
            raise InvalidAnswer(item.id, "expected text")
        text = raw.strip()
        if item.max_length is not None and len(text) > item.max_length:
            raise InvalidAnswer(item.id, f"longer than {item.max_length} characters")
        return text
    value = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    allowed = [key for key, _ in item.options]
    if value not in allowed:
        raise InvalidAnswer(item.id, f"expected one of {', '.join(allowed)}")
    return int(value) if item.kind is EvaluationKind.LIKERT else value


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def check_evaluation_answers(
    items: Sequence[EvaluationItem], answers: Mapping[str, object]
) -> dict[str, int | str]:
    """Normalize answers (likert → int 1..5, others → str) or raise a typed error.

    Answers to questions hidden by ``when`` are dropped. Raises ``UnknownQuestion`` for ids
    not in the form, ``InvalidAnswer`` for values that do not fit, and
    ``EvaluationIncomplete`` listing every required question left blank.
    """
    known = {item.id for item in items}
    for question_id in answers:
        if question_id not in known:
            raise UnknownQuestion(question_id)
    normalized: dict[str, int | str] = {}
    missing: list[str] = []
    for item in items:
        if item.when is not None and str(normalized.get(item.when.question)) != item.when.answer:
            continue
        raw = answers.get(item.id)
        if _is_blank(raw):
            if item.required:
                missing.append(item.id)
            continue
        normalized[item.id] = _normalize(item, raw)
    if missing:
        raise EvaluationIncomplete(EVALUATION_STEP, missing)
    return normalized
