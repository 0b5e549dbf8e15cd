"""Loading activity folders into versions: no-op reloads, new versions, refusals."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.catalog import (
    ActivitiesRefused,
    activity_for_version,
    current_version,
    load_activities,
    open_catalog,
)
from lti_tool.course import load_activity
from lti_tool.db import utcnow
from lti_tool.models import ActivityVersion

from .conftest import TODAY, write_activity


def _load(sessions: sessionmaker[Session], root: Path) -> list[tuple[int, str, bool]]:
    with sessions.begin() as session:
        return [(v.id, v.content_hash, v.is_current) for v in load_activities(session, root)]


def _versions(sessions: sessionmaker[Session]) -> list[ActivityVersion]:
    with sessions() as session:
        found = list(session.scalars(select(ActivityVersion).order_by(ActivityVersion.id)))
        session.expunge_all()
        return found


def test_a_folder_is_stored_whole_under_the_domain_content_hash(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    [(_, content_hash, current)] = _load(sessions, activities)

    [version] = _versions(sessions)
    expected = load_activity(activities / "mini-activity")
    assert content_hash == expected.content_hash and current
    assert version.slug == "mini-activity" and version.title == expected.title
    assert set(version.files) == set(expected.files)
    assert version.files["sections/01-welcome.md"].startswith("## Welcome")
    assert activity_for_version(version).content_hash == expected.content_hash


def test_reloading_an_unchanged_folder_changes_nothing(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    first = _load(sessions, activities)
    second = _load(sessions, activities)

    assert first == second
    assert len(_versions(sessions)) == 1


def test_an_edited_folder_becomes_the_current_version_and_the_old_one_stays(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    [(old_id, old_hash, _)] = _load(sessions, activities)
    section = activities / "mini-activity" / "sections" / "02-key-facts.md"
    section.write_text(section.read_text() + "\nA sentence added on review.\n")

    [(new_id, new_hash, _)] = _load(sessions, activities)

    assert new_id != old_id and new_hash != old_hash
    old, new = _versions(sessions)
    assert (old.is_current, new.is_current) == (False, True)
    assert "A sentence added on review." not in old.files["sections/02-key-facts.md"]
    with sessions() as session:
        assert current_version(session, "mini-activity").id == new_id  # type: ignore[union-attr]


def test_restoring_earlier_content_makes_its_version_current_again(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    section = activities / "mini-activity" / "sections" / "02-key-facts.md"
    original = section.read_text()
    [(first_id, _, _)] = _load(sessions, activities)
    section.write_text(original + "\nAn edit later withdrawn.\n")
    _load(sessions, activities)
    section.write_text(original)

    [(restored_id, _, _)] = _load(sessions, activities)

    assert restored_id == first_id
    assert [v.is_current for v in _versions(sessions)] == [True, False]


def test_one_invalid_folder_refuses_the_whole_load_with_its_issues(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    broken = write_activity(activities, name="broken-activity", slug="broken-activity")
    posttest = broken / "posttest.yaml"
    posttest.write_text(posttest.read_text().replace("    correct: a\n", "    correct: z\n", 1))
    (broken / "sections" / "01-welcome.md").unlink()

    with pytest.raises(ActivitiesRefused) as refused:
        _load(sessions, activities)

    assert list(refused.value.folders) == [broken]
    messages = [str(issue) for issue in refused.value.folders[broken]]
    assert any(m.startswith("posttest.yaml:") and "questions[0].correct" in m for m in messages)
    assert any("sections/01-welcome.md does not exist" in m for m in messages)
    assert _versions(sessions) == []  # the valid folder beside it was not loaded either


def test_a_folder_must_be_named_after_its_slug(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    write_activity(activities, name="renamed-folder", slug="mini-activity-two")

    with pytest.raises(ActivitiesRefused) as refused:
        _load(sessions, activities)

    [issue] = refused.value.folders[activities / "renamed-folder"]
    assert (issue.file, issue.field) == ("activity.yaml", "slug")
    assert issue.line == 3  # after the two comment lines of the mini activity


def test_a_file_that_is_not_text_is_refused(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    (activities / "mini-activity" / "handout.pdf").write_bytes(b"%PDF-1.7\n\xff\xfe\x00binary")

    with pytest.raises(ActivitiesRefused) as refused:
        _load(sessions, activities)

    [issue] = refused.value.folders[activities / "mini-activity"]
    assert issue.file == "handout.pdf" and issue.line == 2


def test_a_missing_activities_folder_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with pytest.raises(ActivitiesRefused):
        _load(sessions, tmp_path / "nowhere")


def test_the_open_catalog_lists_only_released_unexpired_activities(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    write_activity(activities, name="zz-open", slug="zz-open", title="Zoster vaccination update")
    write_activity(
        activities,
        name="expired",
        slug="expired",
        release=TODAY - dt.timedelta(days=400),
        expiration=TODAY - dt.timedelta(days=2),
    )
    write_activity(
        activities,
        name="upcoming",
        slug="upcoming",
        release=TODAY + dt.timedelta(days=5),
        expiration=TODAY + dt.timedelta(days=300),
    )
    _load(sessions, activities)

    with sessions() as session:
        entries = open_catalog(session, utcnow())

    assert [entry.slug for entry in entries] == ["mini-activity", "zz-open"]
    mini = entries[0]
    assert str(mini.max_credits) == "0.50"
    assert mini.expiration_date == TODAY + dt.timedelta(days=300)
    assert {d.profession.value for d in mini.credits} >= {"physician", "pharmacist"}


def test_rebuilt_activities_are_shared_between_threads(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    # Content no earlier test loaded, so every thread finds the cache empty.
    section = activities / "mini-activity" / "sections" / "02-key-facts.md"
    section.write_text(section.read_text() + f"\nBuilt for thread {uuid.uuid4().hex}.\n")
    _load(sessions, activities)
    [version] = _versions(sessions)
    results: list[object] = []
    start = threading.Barrier(8)

    def build() -> None:
        start.wait()
        results.append(activity_for_version(version))

    threads = [threading.Thread(target=build) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8
    assert all(result is results[0] for result in results)


def test_versions_load_in_one_transaction_with_the_callers_work(
    sessions: sessionmaker[Session], activities: Path
) -> None:
    with pytest.raises(RuntimeError), sessions.begin() as session:
        load_activities(session, activities)
        raise RuntimeError("the caller's transaction fails after loading")

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ActivityVersion)) == 0
