"""Pharmacy completions queued for NABP's CPE Monitor, submitted, corrected, exported, watched.

Each pharmacist's (or pharmacy technician's) certificate queues one ``CpeMonitorReport``
with what CPE Monitor takes: provider number, e-Profile ID, birth MMDD, UAN and the date of
participation (lti_tool/certificates/cpe_monitor.py speaks to the service). The report is
submitted right after the claim commits and by the worker afterwards:

- accepted: done (a ``DUPLICATE`` answer means CPE Monitor already holds this completion,
  e.g. after a reply lost in transit, so it counts as accepted);
- rejected (a wrong e-Profile ID or birth date): shown to the learner, who corrects it; the
  correction issues a new certificate and queues the report again;
- no verdict (outage, timeout): retried with backoff.

Without ``LTI_TOOL_CPE_MONITOR_URL`` nothing is sent: reports stay queued and the provider
uploads the batch file of ``lti-tool reports cpe-monitor --since …`` by hand. Completions
still unreported are flagged from day 45; ACPE's limit is 60 days after participation.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.certificates.cpe_monitor import (
    Accepted,
    CompletionRecord,
    CpeMonitorClient,
    DeadlineFlag,
    Rejected,
    SubmissionOutcome,
    TransientFailure,
    export_batch_csv,
    flag_reporting_deadlines,
)
from lti_tool.course import CertificateFacts
from lti_tool.credit import audit
from lti_tool.credit.settings import CreditSettings
from lti_tool.db import utcnow
from lti_tool.models import Certificate, CpeMonitorReport
from lti_tool.models.certificates import ReportStatus
from lti_tool.outbox import LeasedTable, RetryPolicy

log = logging.getLogger("lti_tool.credit.cpe_monitor")

# A report keeps its status (queued) while a sender holds its lease.
REPORTS = LeasedTable(CpeMonitorReport, waiting=ReportStatus.QUEUED)
LEASE = timedelta(minutes=2)
# 5, 10, 20 … minutes up to six hours. No dead letter: a report CPE Monitor never answered
# stays queued and is flagged to the provider from day 45 (``deadline_flags``).
RETRY = RetryPolicy(base=timedelta(minutes=5), cap=timedelta(hours=6), max_attempts=10**6)
_rng = random.Random()  # noqa: S311 (jitter, not security)
# CPE Monitor's answer when the completion is already on the e-Profile.
ALREADY_REPORTED = "DUPLICATE"
# Still to reach CPE Monitor (flagged as the 60-day limit nears).
UNREPORTED = (ReportStatus.QUEUED, ReportStatus.REJECTED)

SessionFactory = sessionmaker[Session]


class ReportLocked(Exception):
    """The learner asked to change the e-Profile ID or birth date of a completion that
    CPE Monitor already accepted; only the provider can sort that out."""


def report_of(session: Session, participation_id: int) -> CpeMonitorReport | None:
    return session.scalar(
        select(CpeMonitorReport).where(CpeMonitorReport.participation_id == participation_id)
    )


def queue_report(
    session: Session, certificate: Certificate, facts: CertificateFacts, now: datetime
) -> CpeMonitorReport:
    """Queue (or, for a corrected certificate, re-queue) the completion of ``facts``."""
    assert facts.acpe_uan and facts.nabp_eprofile_id and facts.birth_mmdd
    report = report_of(session, certificate.participation_id)
    if report is None:
        report = CpeMonitorReport(
            participation_id=certificate.participation_id,
            user_id=certificate.user_id,
            created_at=now,
        )
        session.add(report)
        event = audit.CPE_MONITOR_QUEUED
    else:
        check_changeable(report, facts)
        event = audit.CPE_MONITOR_CORRECTED
    report.certificate_id = certificate.id
    report.uan = facts.acpe_uan
    report.participation_date = facts.completed_on
    report.set_pii("nabp_eprofile_id", facts.nabp_eprofile_id)
    report.set_pii("birth_mmdd", facts.birth_mmdd)
    if report.status is not ReportStatus.ACCEPTED:
        report.status = ReportStatus.QUEUED
        report.attempts = 0
        report.next_attempt_at = now
        report.error_code = report.error_text = ""
    session.flush()
    audit.record_for(
        session,
        certificate.participation_id,
        event,
        now,
        certificate=certificate.number,
        uan=report.uan,
        participation_date=report.participation_date.isoformat(),
        status=report.status.value,
    )
    return report


def check_changeable(report: CpeMonitorReport | None, facts: CertificateFacts) -> None:
    """Raise ``ReportLocked`` if ``facts`` would change what CPE Monitor already accepted."""
    if report is None or report.status is not ReportStatus.ACCEPTED:
        return
    if (
        report.pii("nabp_eprofile_id") != facts.nabp_eprofile_id
        or report.pii("birth_mmdd") != facts.birth_mmdd
    ):
        raise ReportLocked(report.id)


def completion_record(report: CpeMonitorReport, reference: str) -> CompletionRecord:
    return CompletionRecord(
        nabp_eprofile_id=report.pii("nabp_eprofile_id") or "",
        birth_mmdd=report.pii("birth_mmdd") or "",
        uan=report.uan,
        participation_date=report.participation_date,
        reference=reference,
    )


def submit_report(
    session_factory: SessionFactory,
    report_id: int,
    settings: CreditSettings,
    *,
    now: datetime | None = None,
) -> SubmissionOutcome | None:
    """Submit one queued report and record the verdict; ``None`` if not sent (CPE Monitor
    not configured, not due, or another sender holds it)."""
    if not settings.cpe_monitor_configured:
        return None
    now = now or utcnow()
    with session_factory() as session:
        taken = REPORTS.take_one(session, report_id, now, LEASE)
        session.commit()
        if not taken:
            return None
        report = session.get(CpeMonitorReport, report_id)
        assert report is not None
        record = completion_record(report, report.certificate.number)
    client = CpeMonitorClient(settings.cpe_monitor(settings.provider_number_for(record.uan)))
    outcome = client.submit(record)
    _record(session_factory, report_id, outcome)
    return outcome


def _record(session_factory: SessionFactory, report_id: int, outcome: SubmissionOutcome) -> None:
    now = utcnow()
    with session_factory() as session:
        report = session.get(CpeMonitorReport, report_id)
        assert report is not None
        report.lease_until = None
        report.attempts += 1
        report.last_attempt_at = now
        number = report.certificate.number
        if isinstance(outcome, Accepted) or (
            isinstance(outcome, Rejected) and outcome.code == ALREADY_REPORTED
        ):
            report.status = ReportStatus.ACCEPTED
            report.accepted_at = now
            report.error_code = outcome.code if isinstance(outcome, Rejected) else ""
            report.error_text = ""
            audit.record_for(
                session,
                report.participation_id,
                audit.CPE_MONITOR_ACCEPTED,
                now,
                certificate=number,
                uan=report.uan,
                already_reported=isinstance(outcome, Rejected),
            )
        elif isinstance(outcome, Rejected):
            report.status = ReportStatus.REJECTED
            report.error_code, report.error_text = outcome.code, outcome.text
            audit.record_for(
                session,
                report.participation_id,
                audit.CPE_MONITOR_REJECTED,
                now,
                certificate=number,
                code=outcome.code,
                text=outcome.text,
            )
        else:
            assert isinstance(outcome, TransientFailure)
            report.error_code, report.error_text = "", outcome.reason
            report.next_attempt_at = now + RETRY.delay(report.attempts, _rng)
            log.warning("CPE Monitor report %s not sent: %s", report.id, outcome.reason)
        session.commit()


def submit_pending_reports(
    session_factory: SessionFactory,
    settings: CreditSettings,
    *,
    now: datetime | None = None,
    limit: int = 50,
) -> int:
    """One round of the worker: submit every due report; returns how many got an answer."""
    if not settings.cpe_monitor_configured:
        return 0
    now = now or utcnow()
    with session_factory() as session:
        due = list(
            session.scalars(
                select(CpeMonitorReport.id)
                .where(REPORTS.due(CpeMonitorReport, now))
                .order_by(CpeMonitorReport.next_attempt_at)
                .limit(limit)
            )
        )
    answered = 0
    for report_id in due:
        try:
            outcome = submit_report(session_factory, report_id, settings, now=now)
        except Exception:
            log.exception("CPE Monitor report %s could not be handled", report_id)
            continue
        answered += isinstance(outcome, Accepted | Rejected)
    return answered


@dataclass(frozen=True)
class ReportFlag:
    """A completion nearing (or past) the 60-day limit, as the operator sees it (no PII)."""

    flag: DeadlineFlag
    status: ReportStatus
    error_code: str

    @property
    def certificate_number(self) -> str:
        return self.flag.record.reference


def deadline_flags(session: Session, today: date) -> list[ReportFlag]:
    """Unreported completions from day 45 on, the most urgent first."""
    rows = session.execute(
        select(CpeMonitorReport, Certificate.number)
        .join(Certificate, Certificate.id == CpeMonitorReport.certificate_id)
        .where(CpeMonitorReport.status.in_(UNREPORTED))
    ).all()
    by_number = {number: report for report, number in rows}
    records = [
        # The flags never need the e-Profile ID or birth date, so they stay sealed.
        CompletionRecord("", "", report.uan, report.participation_date, number)
        for report, number in rows
    ]
    return [
        ReportFlag(
            flag,
            by_number[flag.record.reference].status,
            by_number[flag.record.reference].error_code,
        )
        for flag in flag_reporting_deadlines(records, today)
    ]


def status_counts(session: Session) -> dict[ReportStatus, int]:
    counts = dict.fromkeys(ReportStatus, 0)
    for status in session.scalars(select(CpeMonitorReport.status)):
        counts[status] += 1
    return counts


@dataclass(frozen=True)
class BatchExport:
    csv: str
    exported: int
    provider_number: str


class MixedProviders(ValueError):
    """Reports of several ACPE providers: set LTI_TOOL_ACPE_PROVIDER_NUMBER or split them."""


def export_batch(
    session: Session,
    since: date,
    settings: CreditSettings,
    *,
    include_exported: bool = False,
    mark_exported: bool = False,
    now: datetime | None = None,
) -> BatchExport:
    """The batch upload file of queued completions with a participation date from ``since``.

    ``mark_exported`` records that the provider took the file to upload by hand: those
    reports are no longer sent by the client nor flagged.
    """
    now = now or utcnow()
    statuses = [ReportStatus.QUEUED]
    if include_exported:
        statuses.append(ReportStatus.EXPORTED)
    rows = session.execute(
        select(CpeMonitorReport, Certificate.number)
        .join(Certificate, Certificate.id == CpeMonitorReport.certificate_id)
        .where(
            CpeMonitorReport.status.in_(statuses),
            CpeMonitorReport.participation_date >= since,
        )
        .order_by(CpeMonitorReport.participation_date, CpeMonitorReport.id)
    ).all()
    providers = {settings.provider_number_for(report.uan) for report, _ in rows}
    if len(providers) > 1:
        raise MixedProviders(", ".join(sorted(providers)))
    provider = providers.pop() if providers else settings.acpe_provider_number
    csv_text = export_batch_csv(
        [completion_record(report, number) for report, number in rows], provider
    )
    if mark_exported:
        for report, number in rows:
            report.status = ReportStatus.EXPORTED
            report.exported_at = now
            audit.record_for(
                session,
                report.participation_id,
                audit.CPE_MONITOR_EXPORTED,
                now,
                certificate=number,
                uan=report.uan,
            )
    return BatchExport(csv_text, len(rows), provider)
