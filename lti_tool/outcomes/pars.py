"""ACCME year-end reporting in PARS (Program and Activity Reporting System): the activity
data of a calendar year as CSV, and the learner credit data as a tab-delimited upload file,
with a validator that lists every problem of every learner row before anyone uploads it.

Plain Python over a ``Session`` (no Flask): the console streams what these generators yield.

Sources, read for this module (stored copies; titles as published):

- "ACCME PARS Tab delimited Participant Upload Instructions — Learner Template B"
  (document 736_2020423, last update April 23, 2020). Only its opening pages could be read
  here: the tab-delimited batch upload adds or deletes many learner records at once, the file
  is a ``.txt`` file of tab-separated fields. Its field table (appendix) could NOT be read, so
  the column order of :data:`LEARNER_FIELDS` and the length limits marked "assumed" in
  :mod:`lti_tool.outcomes.pars_rules` must be checked against the current Excel template
  before the first upload.
- ACCME FAQ 10501 "learner credit data": the records of CME and/or MOC credits earned by
  *physician* learners; for each: first and last name, state medical licence ID and/or
  certifying board ID, month and day of birth.
- ACCME FAQ "What information should I collect about each board-certified physician …
  registered for MOC": date of completion, board ID, first and last name, date of birth
  (month/day). MOC data go to the board only with the learner's permission (ACCME PARS Web
  Services documentation, "Learner Permission").
- ACCME "Activity Tab-Delimited File Upload Instructions (2016 and greater)" and the
  tutorial "How do I conduct a tab-delimited upload in PARS?": every field present even when
  blank, and the header row deleted before upload; dates as MM/DD/YYYY (ACCME's FAQ on
  regularly scheduled series writes its example date that way, with the year left open).
- ACCME FAQ 9626: content "accessible online at any time, such as a recorded presentation"
  is an Internet (activity) enduring material; "Internet enduring material activities should
  be reported in PARS for each year in which they are active", with that year's learners,
  not cumulative counts (ACCME, "How does the ACCME define an internet enduring material
  activity?").
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import astuple, dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.catalog import activity_for_version
from lti_tool.course import Activity, Profession
from lti_tool.course.errors import ActivityInvalid
from lti_tool.models import ActivityVersion, Participation
from lti_tool.models.certificates import Certificate, LearnerProfile
from lti_tool.outcomes.exports import csv_cell
from lti_tool.outcomes.pars_rules import (
    FIELD_LABELS,
    LEARNER_FIELDS,
    LearnerRow,
    RowProblem,
    field_break,
    iter_problems,
    row_problems,
    validate_learner_rows,
)

__all__ = [
    "FIELD_LABELS",
    "LEARNER_FIELDS",
    "ActivityYearRow",
    "ExportedLearner",
    "LearnerReview",
    "LearnerRow",
    "RowProblem",
    "activity_csv",
    "activity_rows",
    "iter_problems",
    "learner_file",
    "learner_rows",
    "review_learners",
    "split_name",
    "validate_learner_rows",
]

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


def learner_file(rows: Iterable[LearnerRow]) -> Iterator[str]:
    """The upload file, one line per row: every field present even when blank, separated
    by tabs, no header row (deleted before upload, per the activity upload instructions)."""
    for row in rows:
        yield "\t".join(field_break(value).strip() for value in astuple(row)) + "\r\n"


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
        found = list(row_problems(number, learner.row, today))
        review.rows_total += 1
        review.rows_with_problems += bool(found)
        review.problem_count += len(found)
        if offset < number <= offset + limit:
            review.page.append((number, learner, found))
    return review
