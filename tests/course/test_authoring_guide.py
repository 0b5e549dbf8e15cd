"""docs/authoring-activities.md documents every field an author can write."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path

from pydantic import BaseModel

from lti_tool.course.evaluation import EvaluationForm
from lti_tool.course.questions import Choice, QuestionBank
from lti_tool.course.schema import ActivityMeta

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "authoring-activities.md"
# Written as mapping keys in YAML rather than as field names.
MAPPING_FIELDS = {"profession", "key", "text"}


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or args:
        return [model for arg in args for model in _models_in(arg)]
    return []


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for inner in _models_in(field.annotation):
            names |= _field_names(inner, seen)
    return names


def test_every_field_an_author_can_write_is_in_the_guide():
    guide = GUIDE.read_text(encoding="utf-8")
    names: set[str] = set()
    for model in (ActivityMeta, QuestionBank, EvaluationForm):
        names |= _field_names(model, set())
    assert {"acpe_uan", "max_length", "relevant_financial_relationships"} <= names
    # Documented as `name`, `parent.name`, `name.child` or inside a YAML snippet as name:.
    undocumented = sorted(
        n for n in names - MAPPING_FIELDS if not re.search(rf"[`.{{ ]{n}[`.:]", guide)
    )
    assert undocumented == []


def test_the_field_walk_reaches_nested_models():
    assert _field_names(Choice, set()) == {"key", "text"}
