"""The CSV export: spreadsheet-safe cells, a safe file name, the table's content."""

from __future__ import annotations

import csv
import datetime as dt
import io
from fractions import Fraction

import pytest

from lti_tool.course.status import LearnerStatus
from lti_tool.dashboard.export import COLUMNS, csv_filename, dashboard_csv, safe_cell
from lti_tool.dashboard.service import Dashboard, GradeDelivery, LearnerRow, Membership


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_a_cell_that_a_spreadsheet_would_run_is_made_text(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Rosa Jiménez", "a=b", "", "O'Connor", "80.00"])
def test_ordinary_cells_are_unchanged(value: str) -> None:
    assert safe_cell(value) == value


def row(name: str, **fields: object) -> LearnerRow:
    values: dict[str, object] = {
        "sub": "sub-1",
        "name": name,
        "email": "",
        "status": LearnerStatus.NOT_STARTED,
        "pretest": None,
        "posttest": None,
        "delivery": None,
        "membership": Membership.ACTIVE,
    }
    values.update(fields)
    return LearnerRow(**values)  # type: ignore[arg-type]


def test_the_csv_has_a_header_and_one_line_per_learner_with_exact_percentages() -> None:
    dashboard = Dashboard(
        activity_slug="cervical-dystonia",
        activity_title="Cervical dystonia",
        course_title="Course",
        rows=(
            row(
                "=cmd|' /C calc'!A0",
                sub="-7",
                email="x@example.org",
                status=LearnerStatus.PASSED,
                pretest=Fraction(1, 3),
                posttest=Fraction(5, 6),
                delivery=GradeDelivery("failed", "Moodle refused the grade"),
            ),
            row("Amina Haddad", membership=Membership.NOT_IN_ROSTER),
        ),
    )
    text = dashboard_csv(dashboard)
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert lines[0] == list(COLUMNS)
    assert lines[1] == [
        "'=cmd|' /C calc'!A0",
        "x@example.org",
        "'-7",
        "passed",
        "33.33",
        "83.33",
        "failed: Moodle refused the grade",
        "active",
    ]
    assert lines[2] == ["Amina Haddad", "", "sub-1", "not started", "", "", "", "not in roster"]


def test_the_file_name_keeps_only_safe_characters() -> None:
    dashboard = Dashboard(activity_slug="cervical-dystonia", activity_title="", course_title="")
    name = csv_filename(dashboard, 'CME "2025"/../\r\nx; y', dt.date(2026, 11, 28))
    assert name == "cme-CME-2025-x-y-cervical-dystonia-2026-11-28.csv"
