"""``lti-tool activities validate`` and ``lti-tool activities load``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lti_tool.catalog import activity_for_version
from lti_tool.catalog.commands import activities as activities_command
from lti_tool.models import ActivityVersion, AuditEvent

from .conftest import write_activity


def _line_of(path: Path, snippet: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if snippet in line)


def test_validate_prints_every_issue_as_file_line_field_message(activities: Path) -> None:
    folder = activities / "mini-activity"
    posttest = folder / "posttest.yaml"
    posttest.write_text(posttest.read_text().replace("    correct: b\n", "    correct: q\n", 1))
    meta = folder / "activity.yaml"
    meta.write_text(meta.read_text().replace("estimated_minutes: 30", "estimated_minutes: 0"))

    result = CliRunner().invoke(activities_command, ["validate", str(folder)])

    assert result.exit_code == 1
    correct_line = _line_of(posttest, "correct: q")
    minutes_line = _line_of(meta, "estimated_minutes: 0")
    assert f"{folder}/posttest.yaml:{correct_line}: questions[1].correct: " in result.output
    assert f"{folder}/activity.yaml:{minutes_line}: estimated_minutes: " in result.output
    assert "ok (" not in result.output


def test_validate_accepts_a_folder_of_valid_activities(activities: Path) -> None:
    write_activity(activities, name="second-activity", slug="second-activity")

    result = CliRunner().invoke(activities_command, ["validate", str(activities)])

    assert result.exit_code == 0, result.output
    assert result.output.count(": ok (") == 2
    assert "mini-activity, 2 sections, 3 post-test questions" in result.output


def test_validate_of_an_empty_path_fails(tmp_path: Path) -> None:
    result = CliRunner().invoke(activities_command, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "no activity folder here" in result.output


@pytest.fixture
def tool_env(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    activities: Path,
) -> Path:
    monkeypatch.setenv("LTI_TOOL_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("LTI_TOOL_DATABASE_URL", database_url)
    monkeypatch.setenv("LTI_TOOL_SECRET_KEY", "catalog-tests-" + "k" * 40)
    monkeypatch.setenv("LTI_TOOL_ACTIVITIES_DIR", str(activities))
    return activities


def test_load_defaults_to_the_configured_activities_folder(tool_env: Path, engine: Engine) -> None:
    first = CliRunner().invoke(activities_command, ["load"])
    again = CliRunner().invoke(activities_command, ["load", str(tool_env)])

    assert first.exit_code == 0, first.output
    assert first.output.startswith("mini-activity: new version (")
    assert again.output.startswith("mini-activity: unchanged (")
    with Session(engine) as session:
        assert len(session.scalars(select(ActivityVersion)).all()) == 1


def test_load_of_an_invalid_folder_prints_its_issues_and_loads_nothing(
    tool_env: Path, engine: Engine
) -> None:
    (tool_env / "mini-activity" / "evaluation.yaml").unlink()

    result = CliRunner().invoke(activities_command, ["load"])

    assert result.exit_code == 1
    missing = f"{tool_env / 'mini-activity'}/evaluation.yaml: required file is missing"
    assert missing in result.output
    with Session(engine) as session:
        assert session.scalars(select(ActivityVersion)).all() == []


def test_validate_strict_fails_on_authoring_warnings_and_prints_them(activities: Path) -> None:
    folder = activities / "mini-activity"
    posttest = folder / "posttest.yaml"

    lenient = CliRunner().invoke(activities_command, ["validate", str(folder)])
    strict = CliRunner().invoke(activities_command, ["validate", "--strict", str(folder)])

    # The mini activity has an absolute in a distractor ("Clean hands only at the end ...").
    line = _line_of(posttest, "c: Clean hands only at the end of the session")
    warning = (
        f"{folder}/posttest.yaml:{line}: questions[0].choices.c: warning: absolute 'only' in "
        "a distractor"
    )
    assert lenient.exit_code == 0 and warning in lenient.output and ": ok (" in lenient.output
    assert strict.exit_code == 1 and warning in strict.output
    assert "refused by --strict" in strict.output and ": ok (" not in strict.output


def test_the_bundled_activity_passes_validate_strict() -> None:
    bundled = Path(__file__).resolve().parents[2] / "configs" / "activities" / "cervical-dystonia"
    result = CliRunner().invoke(activities_command, ["validate", "--strict", str(bundled)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_approve_signs_off_the_current_version_once_and_audits_it(
    tool_env: Path, engine: Engine
) -> None:
    CliRunner().invoke(activities_command, ["load"])
    args = ["approve", "mini-activity", "--reviewer", "Dr. Rita Reviewer", "--date", "2026-12-01"]

    first = CliRunner().invoke(activities_command, args)
    again = CliRunner().invoke(activities_command, args)

    assert first.exit_code == 0, first.output
    assert "signed off by Dr. Rita Reviewer on 2026-12-01" in first.output
    assert again.exit_code == 1 and "already signed off by Dr. Rita Reviewer" in again.output
    with Session(engine) as session:
        version = session.scalars(select(ActivityVersion)).one()
        assert version.sign_off is not None and version.sign_off.reviewer == "Dr. Rita Reviewer"
        audit = session.scalars(select(AuditEvent)).one()
        assert audit.event == "activity_signed_off"
        assert audit.details["content_hash"] == version.content_hash
        activity = activity_for_version(version)
        assert not activity.is_demonstration and activity.sign_off is not None


def test_an_edited_folder_is_a_demonstration_again_until_signed_off(
    tool_env: Path, engine: Engine
) -> None:
    CliRunner().invoke(activities_command, ["load"])
    args = ["approve", "mini-activity", "--reviewer", "Dr. Rita Reviewer", "--date", "2026-12-01"]
    CliRunner().invoke(activities_command, args)
    section = tool_env / "mini-activity" / "sections" / "02-key-facts.md"
    section.write_text(section.read_text() + "\nOne more sentence.\n")
    CliRunner().invoke(activities_command, ["load"])

    with Session(engine) as session:
        current = session.scalars(
            select(ActivityVersion).where(ActivityVersion.is_current.is_(True))
        ).one()
        assert activity_for_version(current).is_demonstration


def test_approve_refuses_an_unknown_activity_and_an_empty_reviewer(tool_env: Path) -> None:
    CliRunner().invoke(activities_command, ["load"])
    unknown = CliRunner().invoke(
        activities_command, ["approve", "nope", "--reviewer", "R", "--date", "2026-12-01"]
    )
    empty = CliRunner().invoke(
        activities_command, ["approve", "mini-activity", "--reviewer", " ", "--date", "2026-12-01"]
    )
    bad_date = CliRunner().invoke(
        activities_command, ["approve", "mini-activity", "--reviewer", "R", "--date", "1/12/26"]
    )
    assert unknown.exit_code == 1 and "no activity 'nope' is loaded" in unknown.output
    assert empty.exit_code == 1 and "name the reviewer" in empty.output
    assert bad_date.exit_code == 2 and "1/12/26" in bad_date.output
