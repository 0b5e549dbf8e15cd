"""The learner credit file's rows and their field rules, as ACCME publishes them for the PARS
tab-delimited learner upload ("ACCME PARS Tab delimited Participant Upload Instructions —
Learner Template B", 736_2020423, and the FAQs cited in :mod:`lti_tool.outcomes.pars`).

:func:`validate_learner_rows` lists every problem of every row, so an operator sees them all
at once before uploading. Plain Python, no I/O. Rules marked "assumed" could not be read in
the published field table and must be checked against the current template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation

from lti_tool.credit.us_states import LICENSING_STATES


@dataclass(frozen=True)
class LearnerRow:
    """One learner completion as uploaded: every field text, exactly as written to the file.

    The field order is the file's column order. MOC fields stay blank: the tool records no
    learner permission to send MOC data to a certifying board, and ACCME forwards MOC data
    only with it; so no MOC is exported until that consent is collected."""

    activity_id: str  # the ACCME (PARS) activity ID, activity.yaml ``accme_activity_number``
    first_name: str
    last_name: str
    birth_mmdd: str  # MM/DD: PARS takes month and day of birth, never the year
    npi: str  # not collected by the tool: blank
    licence_state: str  # USPS code of the state medical board
    licence_id: str
    board: str  # MOC certifying board: blank (no MOC consent recorded)
    board_id: str  # blank, as above
    completion_date: str  # MM/DD/YYYY
    cme_credits: str  # AMA PRA Category 1 Credit™ claimed
    moc_points: str  # blank, as above


LEARNER_FIELDS = tuple(f.name for f in fields(LearnerRow))

# Labels the console shows for each field (the template's wording where it could be read).
FIELD_LABELS = {
    "activity_id": "ACCME activity ID",
    "first_name": "First name",
    "last_name": "Last name",
    "birth_mmdd": "Date of birth (MM/DD)",
    "npi": "NPI",
    "licence_state": "Licensing state",
    "licence_id": "State medical licence ID",
    "board": "Certifying board",
    "board_id": "Certifying board ID",
    "completion_date": "Completion date",
    "cme_credits": "CME credits",
    "moc_points": "MOC points",
}


_FIELD_BREAK = re.compile(r"[\t\r\n]+")


def field_break(text: str) -> str:
    """``text`` with tabs and line breaks made spaces: one of them would split the row."""
    return _FIELD_BREAK.sub(" ", text)


# Length limits. ASSUMED: the template's field table could not be read (see the docstring
# of lti_tool.outcomes.pars); conservative limits to check against the current template.
NAME_MAX = 50
LICENCE_MAX = 40  # the claim form's own limit (lti_tool.credit.forms.LICENCE_MAX)
BOARD_ID_MAX = 20

# Certifying boards collaborating with ACCME on MOC (ACCME, "Submit data via batch upload
# or web services").
MOC_BOARDS = frozenset({"ABA", "ABIM", "ABOHNS", "ABOS", "ABPath", "ABP", "ABS", "ABTS"})

_DIGITS = re.compile(r"^[0-9]+$")
_MMDD = re.compile(r"^(\d{2})/(\d{2})$")
_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_CREDITS = re.compile(r"^\d{1,3}(\.\d{1,2})?$")  # at most two decimal places
_LICENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$")
_NAME = re.compile(r"^[^\d<>@]+$")  # tabs and line breaks: checked for every field


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based line of the upload file
    field: str  # a LearnerRow field name
    message: str


def _npi_check_digit_ok(npi: str) -> bool:
    """NPI check digit: Luhn over the nine digits prefixed with 80840 (CMS, NPI standard)."""
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:  # rightmost payload digit is doubled
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def _check_name(value: str, label: str) -> str | None:
    if not value:
        return f"{label} is required"
    if len(value) > NAME_MAX:
        return f"{label} is longer than {NAME_MAX} characters"
    if not _NAME.match(value):
        return f"{label} has digits or markup characters (< > @)"
    return None


def _check_mmdd(value: str) -> str | None:
    if not value:
        return "date of birth (month and day) is required"
    match = _MMDD.match(value)
    if not match:
        return "date of birth must be MM/DD, e.g. 03/07"
    month, day = int(match[1]), int(match[2])
    try:
        date(2000, month, day)  # a leap year: 02/29 is a birthday
    except ValueError:
        return f"{value} is not a month and day"
    return None


def _check_completion(value: str, today: date | None) -> str | None:
    if not value:
        return "completion date is required"
    match = _DATE.match(value)
    if not match:
        return "completion date must be MM/DD/YYYY, e.g. 03/07/2026"
    try:
        completed = date(int(match[3]), int(match[1]), int(match[2]))
    except ValueError:
        return f"{value} is not a date"
    if today is not None and completed > today:
        return "completion date is in the future"
    return None


def _check_amount(value: str, label: str, required: bool) -> str | None:
    if not value:
        return f"{label} is required" if required else None
    if not _CREDITS.match(value):
        return f"{label} must be a number with at most two decimal places, e.g. 1.25"
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already refused it
        return f"{label} is not a number"
    if amount <= 0:
        return f"{label} must be more than 0"
    return None


def iter_problems(
    rows: Iterable[LearnerRow], *, today: date | None = None, first_row: int = 1
) -> Iterator[RowProblem]:
    """Every problem of every row, in row and field order (streams: one row at a time)."""
    for number, row in enumerate(rows, start=first_row):
        yield from row_problems(number, row, today)


def validate_learner_rows(
    rows: Iterable[LearnerRow], *, today: date | None = None
) -> list[RowProblem]:
    """Each row against the field rules; an empty list means the file may be uploaded."""
    return list(iter_problems(rows, today=today))


def row_problems(number: int, row: LearnerRow, today: date | None) -> Iterator[RowProblem]:
    def problem(field: str, message: str | None) -> Iterator[RowProblem]:
        if message:
            yield RowProblem(number, field, message)

    for name in LEARNER_FIELDS:
        value = getattr(row, name)
        if _FIELD_BREAK.search(value):
            yield RowProblem(number, name, "contains a tab or line break, which splits the row")

    if not row.activity_id:
        yield from problem("activity_id", "ACCME activity ID is required")
    elif not _DIGITS.match(row.activity_id):
        yield from problem("activity_id", "ACCME activity ID has digits only")
    yield from problem("first_name", _check_name(row.first_name, "first name"))
    yield from problem("last_name", _check_name(row.last_name, "last name"))
    yield from problem("birth_mmdd", _check_mmdd(row.birth_mmdd))

    if row.npi and not (len(row.npi) == 10 and row.npi.isdigit()):
        yield from problem("npi", "NPI has exactly 10 digits")
    elif row.npi and not _npi_check_digit_ok(row.npi):
        yield from problem("npi", "NPI check digit is wrong (mistyped number)")

    has_licence = bool(row.licence_id or row.licence_state)
    if row.licence_id and not row.licence_state:
        yield from problem("licence_state", "licensing state is required with a licence ID")
    if row.licence_state and row.licence_state not in LICENSING_STATES:
        yield from problem("licence_state", "licensing state must be a two-letter USPS code")
    if row.licence_state and not row.licence_id:
        yield from problem("licence_id", "licence ID is required with a licensing state")
    if row.licence_id and len(row.licence_id) > LICENCE_MAX:
        yield from problem("licence_id", f"licence ID is longer than {LICENCE_MAX} characters")
    elif row.licence_id and not _LICENCE.match(row.licence_id):
        yield from problem("licence_id", "licence ID has letters, digits, spaces, . / - only")

    has_board = bool(row.board or row.board_id)
    if row.board and row.board not in MOC_BOARDS:
        yield from problem(
            "board", f"certifying board must be one of {', '.join(sorted(MOC_BOARDS))}"
        )
    if row.board and not row.board_id:
        yield from problem("board_id", "certifying board ID is required with a board")
    if row.board_id and not row.board:
        yield from problem("board", "certifying board is required with a board ID")
    if row.board_id and len(row.board_id) > BOARD_ID_MAX:
        yield from problem("board_id", f"board ID is longer than {BOARD_ID_MAX} characters")
    if not has_licence and not has_board:
        # ACCME FAQ 10501: state medical licence ID and/or certifying board ID.
        yield from problem(
            "licence_id",
            "a state medical licence (state and ID) or a certifying board ID is required",
        )

    yield from problem("completion_date", _check_completion(row.completion_date, today))
    yield from problem(
        "cme_credits", _check_amount(row.cme_credits, "CME credits", required=not row.moc_points)
    )
    yield from problem("moc_points", _check_amount(row.moc_points, "MOC points", required=False))
    if row.moc_points and not row.board:
        yield from problem("moc_points", "MOC points need a certifying board and board ID")
