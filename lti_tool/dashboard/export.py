"""The dashboard as a CSV file that is safe to open in a spreadsheet.

Learner names and emails come from the LMS, so a cell could start a formula (``=HYPERLINK(…)``,
``+cmd``, ``-2+3``, ``@SUM(…)``): OWASP "CSV Injection" — such cells are prefixed with ``'``,
which spreadsheets show as text. https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from fractions import Fraction

from lti_tool.dashboard.service import Dashboard
from lti_tool.grades.payloads import percent

COLUMNS = (
    "Learner",
    "Email",
    "LMS user ID",
    "Status",
    "Pre-test best (%)",
    "Post-test best (%)",
    "Grade delivery",
    "LMS membership",
)
# Tab and carriage return too: some spreadsheets strip them and then read the formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def score_text(score: Fraction | None) -> str:
    return "" if score is None else str(percent(score))


def dashboard_csv(dashboard: Dashboard) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in dashboard.rows:
        writer.writerow(
            safe_cell(cell)
            for cell in (
                row.name,
                row.email,
                row.sub,
                row.status.value,
                score_text(row.pretest),
                score_text(row.posttest),
                row.delivery.text if row.delivery else "",
                row.membership.value,
            )
        )
    # A byte-order mark makes Excel read the file as UTF-8 (accented names stay intact).
    return "\ufeff" + out.getvalue()


def csv_filename(dashboard: Dashboard, course_label: str, today: dt.date) -> str:
    """ASCII letters, digits and dashes only: nothing to quote or escape in a header."""
    raw = "-".join(
        part
        for part in ("cme", course_label, dashboard.activity_slug or "", today.isoformat())
        if part
    )
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", raw).strip("-")[:120]
    return (cleaned or "cme-roster") + ".csv"
