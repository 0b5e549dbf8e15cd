"""The running tallies on the session's database (SQLite, or PostgreSQL under
scripts/test.sh): adding learners one by one, as the journey does, gives the rows a recount
of the stored answers gives; a retake adds nothing; days are the UTC days learners started."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from lti_tool.catalog import activity_for_version, load_activities
from lti_tool.cli import main
from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.models import (
    ActivityVersion,
    Attempt,
    EvaluationResponse,
    EvaluationTally,
    KnowledgePairTally,
    Participation,
    User,
)
from lti_tool.outcomes import tallies
from lti_tool.outcomes.knowledge import PairCounts
from tests.conftest import PROJECT_ROOT

MINI = PROJECT_ROOT / "tests" / "fixtures" / "activities" / "mini-activity"
DAY = dt.datetime(2026, 6, 1, 23, 59, tzinfo=dt.UTC)
NEXT_DAY = DAY + dt.timedelta(minutes=2)
# (started, pre-test answers, first post-test answers, a retake's answers, evaluation)
LEARNERS: list[tuple[dt.datetime, dict[str, str], dict[str, str], dict[str, str] | None, Any]] = [
    (DAY, {"mini-pre-01": "b"}, {"mini-post-01": "a"}, None, {"objective-met-1": 5}),
    (DAY, {"mini-pre-01": "b"}, {"mini-post-01": "b"}, {"mini-post-01": "a"}, None),
    (DAY, {"mini-pre-01": "a"}, {"mini-post-01": "a"}, None, {"objective-met-1": 4}),
    (NEXT_DAY, {"mini-pre-01": "a"}, {"mini-post-01": "c"}, None, {"comments": "More cases"}),
    (NEXT_DAY, {}, {"mini-post-01": "a"}, None, {"objective-met-1": 5, "comments": ""}),
]


def _paired_activity(root: Path, slug: str) -> Path:
    folder = root / slug
    shutil.copytree(MINI, folder)
    meta = folder / "activity.yaml"
    meta.write_text(meta.read_text().replace("slug: mini-activity", f"slug: {slug}"))
    pretest = folder / "pretest.yaml"
    pretest.write_text(
        pretest.read_text().replace(
            "  - id: mini-pre-01\n", "  - id: mini-pre-01\n    same_as: mini-post-01\n"
        )
    )
    return folder


def _rows(session: Any, version_id: int) -> tuple[list[Any], list[Any]]:
    pairs = session.execute(
        select(
            KnowledgePairTally.started_on, KnowledgePairTally.pretest_item,
            KnowledgePairTally.posttest_item, KnowledgePairTally.both_right,
            KnowledgePairTally.right_before_only, KnowledgePairTally.right_after_only,
            KnowledgePairTally.both_wrong,
        )
        .where(KnowledgePairTally.activity_version_id == version_id)
        .order_by(KnowledgePairTally.started_on)
    ).all()  # fmt: skip
    answers = session.execute(
        select(
            EvaluationTally.started_on, EvaluationTally.item_id, EvaluationTally.answer,
            EvaluationTally.learners,
        )
        .where(EvaluationTally.activity_version_id == version_id)
        .order_by(EvaluationTally.started_on, EvaluationTally.item_id, EvaluationTally.answer)
    ).all()  # fmt: skip
    return [tuple(row) for row in pairs], [tuple(row) for row in answers]


@pytest.fixture
def tallied(console_services: ToolServices, tmp_path: Path) -> int:
    """A version whose learners were tallied one by one, as the journey tallies them."""
    slug = f"tallies-{uuid.uuid4().hex[:8]}"
    with transaction(console_services.session_factory) as session:
        [version] = [
            v for v in load_activities(session, _paired_activity(tmp_path, slug)) if v.slug == slug
        ]
        activity = activity_for_version(version)
        for n, (started, pre, post, retake, evaluation) in enumerate(LEARNERS):
            user = User(issuer="https://outcomes.example", sub=f"{slug}-{n}")
            session.add(user)
            session.flush()
            participation = Participation(
                user_id=user.id,
                activity_slug=slug,
                activity_version_id=version.id,
                started_at=started,
            )
            session.add(participation)
            session.flush()
            attempts = [("pretest", 1, pre)] if pre else []
            attempts += [("posttest", 1, post)] + ([("posttest", 2, retake)] if retake else [])
            for kind, number, answers in attempts:
                attempt = Attempt(
                    public_id=uuid.uuid4().hex,
                    participation_id=participation.id,
                    activity_version_id=version.id,
                    kind=kind,
                    number=number,
                    answers=answers,
                    submitted_at=started,
                )
                session.add(attempt)
                session.flush()
                if kind == "posttest":
                    tallies.record_posttest(session, participation, activity, attempt)
            if evaluation is not None:
                session.add(
                    EvaluationResponse(
                        participation_id=participation.id,
                        activity_version_id=version.id,
                        answers=evaluation,
                    )
                )
                tallies.record_evaluation(session, participation, activity, evaluation)
        return version.id


def test_tallies_added_learner_by_learner_agree_with_a_recount(
    console_services: ToolServices, tallied: int
) -> None:
    with console_services.session_factory() as session:
        added = _rows(session, tallied)
    with transaction(console_services.session_factory) as session:
        version = session.get(ActivityVersion, tallied)
        assert version is not None
        tallies.recount(session, {tallied: activity_for_version(version)})
    with console_services.session_factory() as session:
        recounted = _rows(session, tallied)

    assert added == recounted
    assert added[0] == [
        (DAY.date(), "mini-pre-01", "mini-post-01", 1, 1, 1, 0),  # the retake not counted
        (NEXT_DAY.date(), "mini-pre-01", "mini-post-01", 0, 0, 0, 1),
    ]


def test_a_date_range_reads_the_days_learners_started(
    console_services: ToolServices, tallied: int
) -> None:
    with console_services.session_factory() as session:
        first_day = tallies.pair_counts(session, tallied, DAY.date(), DAY.date())
        both = tallies.pair_counts(session, tallied, None, None)
        second_day = tallies.evaluation_counts(session, [tallied], NEXT_DAY.date(), None)

    assert first_day == {("mini-pre-01", "mini-post-01"): PairCounts(1, 1, 1, 0)}
    assert both == {("mini-pre-01", "mini-post-01"): PairCounts(1, 1, 1, 1)}
    assert second_day == {"objective-met-1": {"5": 1}, "comments": {"": 1}}


def test_the_recount_command_rebuilds_tallies_missing_for_rows_written_outside_the_journey(
    console_services: ToolServices, tallied: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with console_services.session_factory() as session:
        journey_rows = _rows(session, tallied)
        slug = session.get_one(ActivityVersion, tallied).slug
    # As a bulk import leaves them: answers stored, nothing tallied.
    with transaction(console_services.session_factory) as session:
        session.execute(
            delete(KnowledgePairTally).where(KnowledgePairTally.activity_version_id == tallied)
        )
        session.execute(
            delete(EvaluationTally).where(EvaluationTally.activity_version_id == tallied)
        )
    monkeypatch.setenv("LTI_TOOL_DATABASE_URL", console_services.settings.database_url)
    monkeypatch.setenv("LTI_TOOL_INSTANCE_DIR", str(console_services.settings.instance_dir))

    result = CliRunner().invoke(main, ["reports", "recount-outcomes", "--activity", slug])
    unknown = CliRunner().invoke(main, ["reports", "recount-outcomes", "--activity", "no-such"])

    assert result.exit_code == 0, result.output
    # 4 learners in pairs; evaluation answers: 5, 4, the comment, then 5 (a blank is none).
    assert "recounted 1 version(s): paired item answers 0 -> 4, evaluation answers 0 -> 4" in (
        result.output
    )
    with console_services.session_factory() as session:
        assert _rows(session, tallied) == journey_rows
    assert unknown.exit_code != 0 and "no stored version of activity 'no-such'" in unknown.output
