"""Report pharmacists' completions to CPE Monitor, export a batch file, watch the 60-day limit.

ACPE-accredited providers must report every pharmacist's credit to CPE Monitor within 60
days of the date of participation (https://www.acpe-accredit.org/cpe-monitor/ and NABP's
FAQ "I do not see any activities ... in my CPE Monitor account"). A learner's mistyped
e-Profile ID or birth date comes back as a rejection the learner must fix; an outage must
be retried. ``CpeMonitorClient.submit`` therefore never raises: it returns ``Accepted``,
``Rejected(code, text)`` or ``TransientFailure(reason)``.

The request and response format lives in ``lti_tool.certificates.cpe_monitor_wire`` (see
its docstring for what is public and what is assumed); this module only moves bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import requests

from lti_tool.certificates import cpe_monitor_wire as wire

REPORTING_LIMIT_DAYS = 60
WARN_AFTER_DAYS = 45


@dataclass(frozen=True, slots=True)
class CpeMonitorSettings:
    """How to reach CPE Monitor as this provider."""

    endpoint_url: str = wire.TEST_ENDPOINT
    provider_number: str = ""  # ACPE provider number, the first block of the UAN ("0574")
    username: str = ""  # CPE Monitor login issued by ACPE to the provider
    password: str = ""
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 20.0


@dataclass(frozen=True, slots=True)
class CompletionRecord:
    """One pharmacist's completion of one activity, as reported to CPE Monitor."""

    nabp_eprofile_id: str
    birth_mmdd: str  # month and day of birth, "MMDD"; CPE Monitor never takes the year
    uan: str
    participation_date: date
    reference: str = ""  # the caller's handle, e.g. the certificate number


@dataclass(frozen=True, slots=True)
class Accepted:
    """CPE Monitor recorded the credit on the learner's e-Profile."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """CPE Monitor refused the record; resubmitting unchanged will not help."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class TransientFailure:
    """No verdict on the record (network, timeout, outage, refused login): try again later."""

    reason: str
    http_status: int | None = None


SubmissionOutcome = Accepted | Rejected | TransientFailure


def _submission(record: CompletionRecord, provider_number: str) -> wire.Submission:
    return wire.Submission(
        provider_number=provider_number,
        nabp_eprofile_id=record.nabp_eprofile_id.strip(),
        birth_mmdd=record.birth_mmdd.strip(),
        uan=record.uan.strip(),
        participation_date=record.participation_date,
    )


class CpeMonitorClient:
    """Submits completion records to the CPE Monitor web service."""

    def __init__(
        self, settings: CpeMonitorSettings, session: requests.Session | None = None
    ) -> None:
        self.settings = settings
        self._session = session or requests.Session()

    def submit(self, record: CompletionRecord) -> SubmissionOutcome:
        """Report ``record``; never raises."""
        submission = _submission(record, self.settings.provider_number)
        try:
            wire.validate(submission)
        except wire.MalformedSubmission as error:
            # Caught before sending: the learner fixes it exactly as if CPE Monitor had said so.
            return Rejected("INVALID_FIELD", str(error))
        params = wire.encode_submission(submission, self.settings.username, self.settings.password)
        try:
            response = self._session.get(
                self.settings.endpoint_url,
                params=params,
                timeout=(
                    self.settings.connect_timeout_seconds,
                    self.settings.read_timeout_seconds,
                ),
            )
        except requests.RequestException as error:
            # The URL carries the password, so the message names the error type only.
            return TransientFailure(f"could not reach CPE Monitor ({type(error).__name__})")
        if response.status_code != 200:
            return TransientFailure(
                f"CPE Monitor answered HTTP {response.status_code}", response.status_code
            )
        try:
            verdict = wire.decode_verdict(response.text)
        except ValueError:
            return TransientFailure("CPE Monitor answered without a verdict", 200)
        if verdict.accepted:
            return Accepted()
        return Rejected(verdict.code, verdict.text)


def export_batch_csv(records: Iterable[CompletionRecord], provider_number: str) -> str:
    """The batch upload file for ``records``: a header row, then one row per record.

    Columns are ``cpe_monitor_wire.BATCH_COLUMNS``. Every field is quoted so spreadsheet
    programs are less tempted to read "0314" as the number 314.
    """
    output = io.StringIO()
    writer = csv.writer(output, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(wire.BATCH_COLUMNS)
    for record in records:
        writer.writerow(wire.batch_row(_submission(record, provider_number)))
    return output.getvalue()


@dataclass(frozen=True, slots=True)
class DeadlineFlag:
    """An unreported completion close to, or past, the reporting limit."""

    record: CompletionRecord
    age_days: int
    days_left: int  # negative once the limit has passed

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def flag_reporting_deadlines(
    unreported: Iterable[CompletionRecord],
    today: date,
    warn_after_days: int = WARN_AFTER_DAYS,
    limit_days: int = REPORTING_LIMIT_DAYS,
) -> list[DeadlineFlag]:
    """Completions not yet accepted by CPE Monitor that are ``warn_after_days`` old or more.

    The most urgent come first. Day 60 itself is still in time; day 61 is overdue.
    """
    flags = []
    for record in unreported:
        age = (today - record.participation_date).days
        if age >= warn_after_days:
            flags.append(DeadlineFlag(record, age, limit_days - age))
    return sorted(flags, key=lambda flag: (flag.days_left, flag.record.reference))
