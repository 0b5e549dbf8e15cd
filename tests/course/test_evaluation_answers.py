"""Evaluation answers: kinds, required flags, conditions and per-objective expansion."""

from __future__ import annotations

import pytest

from lti_tool.course import (
    EvaluationIncomplete,
    EvaluationKind,
    InvalidAnswer,
    UnknownQuestion,
    check_evaluation_answers,
)
from lti_tool.course.checks import check_evaluation
from lti_tool.course.evaluation import EvaluationForm, expand_evaluation
from lti_tool.course.schema import ActivityMeta
from lti_tool.course.yamlsource import parse_yaml

COMPLETE = {
    "objective-met-1": 4,
    "objective-met-2": "5",
    "fair-balance": "yes",
    "intent-to-change": "no",
}


def test_complete_answers_are_normalized(mini):
    answers = check_evaluation_answers(
        mini.evaluation_items, {**COMPLETE, "comments": "  Useful.  "}
    )
    assert answers == {
        "objective-met-1": 4,
        "objective-met-2": 5,
        "fair-balance": "yes",
        "intent-to-change": "no",
        "comments": "Useful.",
    }


@pytest.mark.parametrize(
    ("question_id", "value"),
    [
        ("objective-met-1", 6),
        ("objective-met-1", "0"),
        ("objective-met-1", True),
        ("fair-balance", "maybe"),
        ("intent-to-change", "perhaps"),
        ("comments", 42),
    ],
)
def test_an_answer_that_does_not_fit_its_question_is_refused(mini, question_id, value):
    with pytest.raises(InvalidAnswer) as refused:
        check_evaluation_answers(mini.evaluation_items, {**COMPLETE, question_id: value})
    assert refused.value.question_id == question_id


def test_an_answer_to_an_unknown_question_is_refused(mini):
    with pytest.raises(UnknownQuestion):
        check_evaluation_answers(mini.evaluation_items, {**COMPLETE, "bribe": "yes"})


def test_blank_required_answers_are_all_listed(mini):
    with pytest.raises(EvaluationIncomplete) as incomplete:
        check_evaluation_answers(
            mini.evaluation_items, {"objective-met-1": " ", "fair-balance": "yes"}
        )
    assert incomplete.value.missing == ("objective-met-1", "objective-met-2", "intent-to-change")


def test_a_comment_is_required_only_when_bias_was_reported(mini):
    with pytest.raises(EvaluationIncomplete) as incomplete:
        check_evaluation_answers(mini.evaluation_items, {**COMPLETE, "fair-balance": "no"})
    assert incomplete.value.missing == ("fair-balance-comment",)
    answers = check_evaluation_answers(
        mini.evaluation_items,
        {**COMPLETE, "fair-balance": "no", "fair-balance-comment": "Brand names only."},
    )
    assert answers["fair-balance-comment"] == "Brand names only."


def test_an_answer_to_a_hidden_question_is_dropped(mini):
    answers = check_evaluation_answers(
        mini.evaluation_items, {**COMPLETE, "fair-balance-comment": "x"}
    )
    assert "fair-balance-comment" not in answers


def test_overlong_text_is_refused(mini):
    with pytest.raises(InvalidAnswer):
        check_evaluation_answers(mini.evaluation_items, {**COMPLETE, "comments": "x" * 2001})


def test_the_model_evaluation_covers_every_objective_and_the_accreditor_questions(
    cervical_dystonia_path,
):
    def load(name):
        document, issues = parse_yaml(name, (cervical_dystonia_path / name).read_bytes())
        assert issues == [] and document is not None
        return document.data

    meta = ActivityMeta.model_validate(load("activity.yaml"))
    form = EvaluationForm.model_validate(load("evaluation.yaml"))
    assert check_evaluation(form, "evaluation.yaml", meta.learning_objectives) == []
    items = {item.id: item for item in expand_evaluation(form, meta.learning_objectives)}
    for number, objective in enumerate(meta.learning_objectives, start=1):
        assert items[f"objective-met-{number}"].prompt.endswith(objective)
    assert items["fair-balance"].kind is EvaluationKind.YES_NO
    assert items["fair-balance-comment"].when is not None
    assert [value for value, _ in items["intent-to-change"].options] == ["yes", "no", "not-sure"]
    assert items["planned-changes"].kind is EvaluationKind.TEXT
    for required in ("relevance", "confidence-before", "confidence-after", "overall-quality"):
        assert items[required].required and items[required].kind is EvaluationKind.LIKERT
    assert not items["comments"].required and not items["barriers"].required
