"""Several dispatchers share one backlog and never send the same row twice; on PostgreSQL
they claim with FOR UPDATE SKIP LOCKED, on SQLite with one conditional UPDATE."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from lti_tool.grades.worker import drain
from lti_tool.models.grades import OutboxStatus

from .support import Lms, is_postgres


def _share_backlog(lms: Lms, dispatchers: int) -> None:
    for flavour in ("canvas", "moodle"):
        for n in range(1, 27):
            lms.submit_posttest(lms.learner(flavour, f"learner{n:02d}"), correct=n % 11)
    workers = [lms.dispatcher() for _ in range(dispatchers)]
    errors: list[BaseException] = []

    def run(dispatcher: object) -> None:
        try:
            drain(dispatcher, timeout=30)  # type: ignore[arg-type]
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for worker in workers:
        worker.close()
    assert not errors

    rows = lms.rows()
    assert len(rows) == 52 and {row.status for row in rows} == {OutboxStatus.DELIVERED}
    assert {row.attempts for row in rows} == {1}
    posts = Counter(call["path"] for call in lms.calls("/scores") if call["method"] == "POST")
    assert sum(posts.values()) == 52  # one POST per row: no row went out twice
    for flavour in ("canvas", "moodle"):
        users = Counter(score["username"] for score in lms.scores(flavour))
        assert users == {f"learner{n:02d}": 1 for n in range(1, 27)}


def test_two_dispatchers_share_a_backlog_without_a_duplicate(lms: Lms) -> None:
    _share_backlog(lms, dispatchers=2)


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs LTI_TOOL_TEST_DATABASE_URL=postgresql…")
def test_dispatchers_on_postgresql_skip_each_others_locked_rows(lms: Lms) -> None:
    with lms.services.session_factory() as session:
        assert session.get_bind().dialect.name == "postgresql"
    _share_backlog(lms, dispatchers=4)
