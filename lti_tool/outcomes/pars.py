"""ACCME year-end reporting in PARS (Program and Activity Reporting System): the activity
data of a calendar year as CSV, and the learner credit data as a tab-delimited upload file,
with a validator that lists every problem of every learner row before anyone uploads it.

Plain Python over a ``Session`` (no Flask): the console streams what these generators yield.

Sources, read for this module (stored copies; titles as published):

- "ACCME PARS Tab delimited Participant Upload Instructions — Learner Template B"
  (document 736_2020423, last update April 23, 2020). Only its opening pages could be read
  here: the tab-delimited batch upload adds or deletes many learner records at once, the file
  is a ``.txt`` file of tab-separated fields. Its field table (appendix) could NOT be read, so
  the column order of :data:`LEARNER_FIELDS` and the length limits marked "assumed" below
  must be checked against the current Excel template before the first upload.
- ACCME FAQ 10501 "learner credit data": the records of CME and/or MOC credits earned by
  *physician* learners; for each: first and last name, state medical licence ID and/or
  certifying board ID, month and day of birth.
- ACCME FAQ "What information should I collect about each board-certified physician …
  registered for MOC": date of completion, board ID, first and last name, date of birth
  (month/day). MOC data go to the board only with the learner's permission (ACCME PARS Web
  Services documentation, "Learner Permission").
- ACCME "Activity Tab-Delimited File Upload Instructions (2016 and greater)" and the
  tutorial "How do I conduct a tab-delimited upload in PARS?": every field present even when
  blank, and the header row deleted before upload; dates as MM/DD/YYYY (ACCME FAQ on
  regularly scheduled series: "07/01/XXXX").
- ACCME FAQ 9626: content "accessible online at any time, such as a recorded presentation"
  is an Internet (activity) enduring material; "Internet enduring material activities should
  be reported in PARS for each year in which they are active", with that year's learners,
  not cumulative counts (ACCME, "How does the ACCME define an internet enduring material
  activity?").
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import astuple, dataclass, field, fields
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.catalog import activity_for_version
from lti_tool.course import Activity, Profession
from lti_tool.course.errors import ActivityInvalid
from lti_tool.credit.us_states import LICENSING_STATES
from lti_tool.models import ActivityVersion, Participation
from lti_tool.models.certificates import Certificate, LearnerProfile
from lti_tool.outcomes.exports import csv_cell

BATCH = 500

# PARS activity type for what this tool delivers: online, at the learner's own time.
INTERNET_ENDURING_MATERIAL = "Internet Enduring Material"

ACTIVITY_HEADER = (
    "ACCME activity ID",
    "Provider activity ID",
    "Activity title",
    "Activity type",
    "Start date",
    "End date",
    "Hours of instruction",
    "Physician learners",
    "Other learners",
    "Commercial support",
    "Commercial support sources",
    "Commercial support amount",
    "Learner change measured",
)


@dataclass(frozen=True)
class ActivityYearRow:
    """One activity version's line of a reporting year."""

    accme_activity_id: str
    provider_activity_id: str  # slug and content hash: which version this line is
    title: str
    activity_type: str
    start_date: date
    end_date: date
    hours: Decimal
    physician_learners: int
    other_learners: int
    commercial_support: bool
    supporters: tuple[str, ...]
    # activity.yaml names the supporters only: no amount and no monetary/in-kind kind is
    # recorded, so the column stays blank for the provider to fill from the grant letter.
    support_amount: str
    learner_change_measured: bool


def _year_bounds(year: int) -> tuple[date, date, datetime, datetime]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(date(year + 1, 1, 1), time(), UTC)
    return first, last, start, end


def hours_of_instruction(activity: Activity) -> Decimal:
    """The physician designation when there is one (AMA PRA Category 1), else the largest."""
    physician = activity.designation(Profession.PHYSICIAN)
    if physician is not None:
        return physician.max_credits
    return max(designation.max_credits for designation in activity.meta.credits)


def learner_change_measured(activity: Activity) -> bool:
    """Yes when pre-test items are repeated after (``same_as``) or a post-test is given."""
    paired = activity.pretest is not None and any(q.same_as for q in activity.pretest.questions)
    return paired or bool(activity.posttest.questions)


def activity_rows(session: Session, year: int) -> Iterator[ActivityYearRow]:
    """Every activity version with learners in ``year``: started it that year, or claimed
    credit (a certificate in force completed that year). Learners counted are those who
    claimed credit in the year, physicians apart (the certificate's profession)."""
    first, last, start, end = _year_bounds(year)
    completed: dict[int, Counter[str]] = {}
    claims = (
        select(Certificate.activity_version_id, Certificate.profession)
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.completed_on >= first,
            Certificate.completed_on <= last,
        )
        .execution_options(yield_per=BATCH)
    )
    for version_id, profession in session.execute(claims):
        kind = "physician" if profession == Profession.PHYSICIAN.value else "other"
        completed.setdefault(version_id, Counter())[kind] += 1
    started = set(
        session.scalars(
            select(Participation.activity_version_id)
            .where(Participation.started_at >= start, Participation.started_at < end)
            .distinct()
        )
    )
    version_ids = sorted(started | set(completed))
    for offset in range(0, len(version_ids), BATCH):
        page = version_ids[offset : offset + BATCH]
        versions = session.scalars(
            select(ActivityVersion).where(ActivityVersion.id.in_(page)).order_by(ActivityVersion.id)
        )
        for version in versions:
            try:
                activity = activity_for_version(version)
            except ActivityInvalid:
                continue  # listed as "cannot be read" on the activities page
            counts = completed.get(version.id, Counter())
            meta = activity.meta
            yield ActivityYearRow(
                accme_activity_id=meta.accme_activity_number or "",
                provider_activity_id=f"{version.slug}@{version.content_hash[:12]}",
                title=meta.title,
                activity_type=INTERNET_ENDURING_MATERIAL,
                start_date=meta.release_date,
                end_date=meta.expiration_date,
                hours=hours_of_instruction(activity),
                physician_learners=counts["physician"],
                other_learners=counts["other"],
                commercial_support=bool(meta.commercial_support.supporters),
                supporters=tuple(meta.commercial_support.supporters),
                support_amount="",
                learner_change_measured=learner_change_measured(activity),
            )


def pars_date(value: date) -> str:
    return value.strftime("%m/%d/%Y")


def activity_csv(rows: Iterable[ActivityYearRow]) -> Iterator[str]:
    """The activity data as CSV, line by line (a byte order mark first, for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(cell) for cell in cells])
        return buffer.getvalue()

    yield "\ufeff" + line(ACTIVITY_HEADER)
    for row in rows:
        yield line(
            (
                row.accme_activity_id,
                row.provider_activity_id,
                row.title,
                row.activity_type,
                pars_date(row.start_date),
                pars_date(row.end_date),
                f"{row.hours:.2f}",
                row.physician_learners,
                row.other_learners,
                "Yes" if row.commercial_support else "No",
                "; ".join(row.supporters),
                row.support_amount,
                "Yes" if row.learner_change_measured else "No",
            )
        )


# --- Learner credit data -------------------------------------------------------------------


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


@dataclass(frozen=True)
class ExportedLearner:
    """A learner row and, for the console only, the certificate it comes from (never
    written to the file)."""

    certificate_number: str
    row: LearnerRow


def split_name(full_name: str) -> tuple[str, str]:
    """PARS wants first and last name apart; the certificate keeps one name as the learner
    wrote it. The last word is the last name ("Mary Ann Smith" -> "Mary Ann", "Smith"); a
    compound last name ("van der Berg") is split wrongly and needs fixing by hand."""
    parts = full_name.split()
    if len(parts) < 2:
        return "", " ".join(parts)
    return " ".join(parts[:-1]), parts[-1]


def _mmdd(stored: str | None) -> str:
    # Profiles keep "MMDD" (lti_tool.credit.forms.birth_mmdd_of); PARS wants "MM/DD".
    if not stored:
        return ""
    return f"{stored[:2]}/{stored[2:]}" if len(stored) == 4 else stored


def learner_rows(
    session: Session, year: int, offset: int = 0, limit: int | None = None
) -> Iterator[ExportedLearner]:
    """Physicians' completions in ``year``, one per certificate in force, in certificate
    order. Only physicians: PARS learner credit data are physician learners' credits
    (ACCME FAQ 10501). PII is opened from the learner's profile through ``pii()``, row by
    row; rows are read in batches and nothing is kept."""
    first, last, _, _ = _year_bounds(year)
    query = (
        select(
            Certificate.number,
            Certificate.learner_name,
            Certificate.completed_on,
            Certificate.credit_hundredths,
            Certificate.activity_version_id,
            LearnerProfile,
        )
        .outerjoin(LearnerProfile, LearnerProfile.user_id == Certificate.user_id)
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.profession == Profession.PHYSICIAN.value,
            Certificate.completed_on >= first,
            Certificate.completed_on <= last,
        )
        .order_by(Certificate.id)
        .offset(offset)
        .limit(limit)
        .execution_options(yield_per=BATCH)
    )
    activity_ids: dict[int, str] = {}
    for number, name, completed_on, hundredths, version_id, profile in session.execute(query):
        if version_id not in activity_ids:
            version = session.get(ActivityVersion, version_id)
            number_in_pars = None
            if version is not None:
                # A version the code can no longer read keeps a blank ID: the validator flags it.
                with suppress(ActivityInvalid):
                    number_in_pars = activity_for_version(version).meta.accme_activity_number
            activity_ids[version_id] = number_in_pars or ""
        first_name, last_name = split_name(name)
        yield ExportedLearner(
            number,
            LearnerRow(
                activity_id=activity_ids[version_id],
                first_name=first_name,
                last_name=last_name,
                birth_mmdd=_mmdd(profile.pii("birth_mmdd") if profile else None),
                npi="",
                licence_state=profile.licence_state if profile else "",
                licence_id=(profile.pii("licence_number") or "") if profile else "",
                board="",
                board_id="",
                completion_date=pars_date(completed_on),
                cme_credits=f"{Decimal(hundredths).scaleb(-2):.2f}",
                moc_points="",
            ),
        )
        if profile is not None:
            session.expunge(profile)  # nothing opened stays in the session


_FIELD_BREAK = re.compile(r"[\t\r\n]+")


def learner_file(rows: Iterable[LearnerRow]) -> Iterator[str]:
    """The upload file, one line per row: every field present even when blank, separated
    by tabs, no header row (deleted before upload, per the activity upload instructions)."""
    for row in rows:
        yield "\t".join(_FIELD_BREAK.sub(" ", value).strip() for value in astuple(row)) + "\r\n"


# --- Validation ----------------------------------------------------------------------------

# Length limits. ASSUMED: the template's field table could not be read (see the module
# docstring); these are conservative limits to check against the current template.
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
        yield from _row_problems(number, row, today)


def validate_learner_rows(
    rows: Iterable[LearnerRow], *, today: date | None = None
) -> list[RowProblem]:
    """Each row against the field rules; an empty list means the file may be uploaded."""
    return list(iter_problems(rows, today=today))


def _row_problems(number: int, row: LearnerRow, today: date | None) -> Iterator[RowProblem]:
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


@dataclass
class LearnerReview:
    """What the console shows of the learner file: counts over every row, and one page of
    rows with their problems (the rows themselves stay off the page: they hold PII)."""

    rows_total: int = 0
    rows_with_problems: int = 0
    problem_count: int = 0
    page: list[tuple[int, ExportedLearner, list[RowProblem]]] = field(default_factory=list)


def review_learners(
    exported: Iterable[ExportedLearner], offset: int, limit: int, today: date | None = None
) -> LearnerReview:
    """One pass over the file: every row checked, only rows ``offset+1..offset+limit`` kept."""
    review = LearnerReview()
    for number, learner in enumerate(exported, start=1):
        found = list(_row_problems(number, learner.row, today))
        review.rows_total += 1
        review.rows_with_problems += bool(found)
        review.problem_count += len(found)
        if offset < number <= offset + limit:
            review.page.append((number, learner, found))
    return review
