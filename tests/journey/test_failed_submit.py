"""A submit that fails on the server keeps what the learner entered (issue 12).

The failure is real: a database trigger refuses the write that records the submission,
as a full disk or a broken connection would, after the request has started.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from .conftest import Browser, LaunchFactory
from .flows import (
    CORRECT,
    EVALUATION,
    attempts_of,
    begin,
    open_posttest,
    read_all_sections,
    submit_posttest,
)


@contextmanager
def refused_write(tab: Browser, table: str, column: str) -> Iterator[None]:
    """Every UPDATE that sets ``table.column`` fails in the database itself.

    The trigger writes to a table that does not exist, so SQLite answers the UPDATE with an
    operational error (as for a full disk), not a constraint a race would explain.
    """
    engine = tab.tool.services.engine
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TRIGGER refuse_{column} BEFORE UPDATE OF {column} ON {table} "
                f"WHEN NEW.{column} IS NOT NULL "
                "BEGIN INSERT INTO table_that_is_gone VALUES (1); END"
            )
        )
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TRIGGER refuse_{column}"))


@pytest.fixture
def failing_server(launch: LaunchFactory) -> Browser:
    tab = launch()
    # The test client re-raises by default; a learner sees the error page instead.
    tab.tool.app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    return tab


def test_a_posttest_submit_that_fails_keeps_the_answers(failing_server: Browser) -> None:
    tab = failing_server
    begin(tab)
    read_all_sections(tab)

    with refused_write(tab, "attempts", "submitted_at"):
        failed = submit_posttest(tab, CORRECT)

    assert failed.status == 500
    assert "saved before each submit" in failed.text
    [attempt] = attempts_of(tab)
    assert attempt.submitted_at is None  # nothing half-recorded
    assert open_posttest(tab).form("Submit my answers").checked == CORRECT
    assert submit_posttest(tab, {}).status == 200  # submitted again as they were
    [attempt] = attempts_of(tab)
    assert attempt.passed is True


def test_an_evaluation_submit_that_fails_keeps_the_answers(failing_server: Browser) -> None:
    tab = failing_server
    begin(tab)
    read_all_sections(tab)
    submit_posttest(tab, CORRECT)
    form = tab.get("/evaluation").form("Submit the evaluation")

    with refused_write(tab, "participations", "evaluation_completed_at"):
        failed = tab.submit(form, EVALUATION)

    assert failed.status == 500
    assert tab.get("/evaluation").form("Submit the evaluation").checked == EVALUATION
    assert tab.submit(tab.get("/evaluation").form("Submit the evaluation")).status == 200
    assert tab.get("/complete").status == 200
