"""The outcomes report's running tallies are written as the journey stores answers: the
first post-test adds each paired item's cell, a retake adds nothing, the evaluation adds
its answers; and what was added agrees with a recount from the stored answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lti_tool.catalog import activity_for_version, current_version
from lti_tool.models import EvaluationTally, KnowledgePairTally
from lti_tool.outcomes.knowledge import PairCounts
from lti_tool.outcomes.report import build_outcomes
from lti_tool.outcomes.tallies import evaluation_counts, pair_counts, recount

from .conftest import Browser, LaunchFactory, Tool, replace_in
from .flows import CORRECT, EVALUATION, TWO_OF_THREE, read_all_sections, submit_posttest

PAIR_1, PAIR_2 = ("mini-pre-01", "mini-post-01"), ("mini-pre-02", "mini-post-02")


def _pair_the_items(tool: Tool) -> None:
    """mini-pre-01 (correct b) repeats as mini-post-01 (correct a); pre-02 (b) as post-02 (b)."""
    folder = tool.activities_dir / "mini-activity"
    for number in ("01", "02"):
        replace_in(
            folder,
            "pretest.yaml",
            f"  - id: mini-pre-{number}\n",
            f"  - id: mini-pre-{number}\n    same_as: mini-post-{number}\n",
        )
    tool.reload()


def _start(launch: LaunchFactory, sub: str, pretest: dict[str, str] | None) -> Browser:
    tab = launch(sub=sub)
    page = tab.submit(tab.get("/").form("I have read the disclosures"))
    if pretest is None:
        tab.submit(page.form("Skip the pre-test"))
    else:
        tab.submit(page.form("Submit the pre-test"), pretest)
    read_all_sections(tab)
    return tab


def _rows(tool: Tool) -> tuple[list[Any], list[Any]]:
    with tool.session() as session:
        pairs = session.execute(
            select(
                KnowledgePairTally.activity_version_id, KnowledgePairTally.started_on,
                KnowledgePairTally.pretest_item, KnowledgePairTally.posttest_item,
                KnowledgePairTally.both_right, KnowledgePairTally.right_before_only,
                KnowledgePairTally.right_after_only, KnowledgePairTally.both_wrong,
            ).order_by(KnowledgePairTally.pretest_item)
        ).all()  # fmt: skip
        answers = session.execute(
            select(
                EvaluationTally.activity_version_id, EvaluationTally.started_on,
                EvaluationTally.item_id, EvaluationTally.answer, EvaluationTally.learners,
            ).order_by(EvaluationTally.item_id, EvaluationTally.answer)
        ).all()  # fmt: skip
    return [tuple(row) for row in pairs], [tuple(row) for row in answers]


def test_the_journey_tallies_first_posttests_and_evaluations_as_a_recount_would(
    tool: Tool, launch: LaunchFactory
) -> None:
    _pair_the_items(tool)
    # Right before on pair 1 only; passes the post-test at once (both right after).
    first = _start(launch, "tally-1", {"mini-pre-01": "b", "mini-pre-02": "a"})
    submit_posttest(first, CORRECT)
    first.submit(first.get("/evaluation").form("Submit the evaluation"), EVALUATION)
    # Right before on pair 2 only; fails, then passes a retake: only the first attempt counts
    # (its pair-1 and pair-2 answers are right too, so the retake would change nothing but
    # its own count).
    second = _start(launch, "tally-2", {"mini-pre-01": "a", "mini-pre-02": "b"})
    submit_posttest(second, TWO_OF_THREE)
    retake = second.get("/posttest")
    second.submit(retake.form("Submit my answers"), CORRECT)
    second.submit(
        second.get("/evaluation").form("Submit the evaluation"),
        {**EVALUATION, "fair-balance": "no", "fair-balance-comment": "One product favoured.",
         "comments": ""},
    )  # fmt: skip
    # Wrong on pair 1 before, leaves pair 2 blank (not a pair), wrong on pair 1 after.
    third = _start(launch, "tally-3", {"mini-pre-01": "c"})
    submit_posttest(third, {"mini-post-01": "b", "mini-post-02": "b", "mini-post-03": "b"})
    # Skipped the pre-test: in no pair.
    fourth = _start(launch, "tally-4", None)
    submit_posttest(fourth, CORRECT)

    with tool.session() as session:
        version = current_version(session, "mini-activity")
        assert version is not None
        pairs = pair_counts(session, version.id, None, None)
        given = evaluation_counts(session, [version.id], None, None)
        report = build_outcomes(session, "mini-activity")
    written = _rows(tool)
    with tool.services.session_factory.begin() as session:
        version = current_version(session, "mini-activity")
        assert version is not None
        recount(session, {version.id: activity_for_version(version)})
    recounted = _rows(tool)

    assert pairs == {
        PAIR_1: PairCounts(both_right=1, right_before_only=0, right_after_only=1, both_wrong=1),
        PAIR_2: PairCounts(both_right=1, right_before_only=0, right_after_only=1, both_wrong=0),
    }
    assert given["objective-met-1"] == {"5": 2}
    assert given["fair-balance"] == {"yes": 1, "no": 1}
    assert given["fair-balance-comment"] == {"": 1}  # one learner wrote something
    assert "comments" not in given  # left blank
    assert written == recounted and written[0] and written[1]
    assert report is not None
    assert [(i.pretest_id, i.change.counts.pairs) for i in report.items] == [
        ("mini-pre-01", 3),
        ("mini-pre-02", 2),
    ]
    [comment] = [s for s in report.evaluation if s.item_id == "fair-balance-comment"]
    assert comment.answered == 1 and comment.texts == ("One product favoured.",)
