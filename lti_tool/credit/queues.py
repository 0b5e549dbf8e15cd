"""Certificate mail and CPE Monitor reports as queues of the outbox (``lti_tool.outbox``).

Both read the app's credit configuration when they run (``config``), so a changed
configuration applies to the next delivery.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.credit.cpe_reports import REPORTS, submit_pending_reports, submit_report
from lti_tool.credit.mail_outbox import MAILS, deliver_mail, deliver_pending_mail
from lti_tool.credit.settings import CreditConfig
from lti_tool.db import utcnow
from lti_tool.models import CertificateMail, CpeMonitorReport
from lti_tool.models.certificates import MailStatus, ReportStatus
from lti_tool.outbox import DeadLetter, Outbox

SessionFactory = sessionmaker[Session]


class CertificateMailQueue:
    name = "certificate_mail"
    title = "Certificate mail"

    def __init__(self, session_factory: SessionFactory, config: Callable[[], CreditConfig]):
        self.session_factory = session_factory
        self.config = config

    def run_once(self) -> int:
        return deliver_pending_mail(self.session_factory, self.config().mail)

    def send_now(self, job_id: int) -> None:
        """Right after the claim: a few tries at once (one file write without SMTP)."""
        config = self.config()
        if not config.mail.smtp_host:
            deliver_mail(self.session_factory, job_id, config.mail)
            return
        deliver_mail(
            self.session_factory,
            job_id,
            config.mail,
            attempts=config.mail_attempts_at_once,
            backoff=config.mail_backoff_seconds,
        )

    def live(self) -> int:
        with self.session_factory() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(CertificateMail)
                    .where(CertificateMail.status.in_((MailStatus.PENDING, MailStatus.SENDING)))
                )
                or 0
            )

    def counts(self, session: Session) -> dict[str, int]:
        return MAILS.counts(session)

    def dead_letters(self, session: Session, limit: int) -> list[DeadLetter]:
        rows = session.scalars(
            select(CertificateMail)
            .where(CertificateMail.status == MailStatus.FAILED)
            .order_by(CertificateMail.id.desc())
            .limit(limit)
        )
        return [
            DeadLetter(
                queue=self.name,
                id=row.id,
                # The recipient is the learner's address: the console shows the certificate.
                what=f"certificate mail for certificate #{row.certificate_id}",
                attempts=row.attempts,
                error=row.last_error,
                at=row.created_at,
            )
            for row in rows
        ]

    def resend(self, session: Session, ids: list[int] | None) -> list[int]:
        query = select(CertificateMail).where(CertificateMail.status == MailStatus.FAILED)
        if ids is not None:
            query = query.where(CertificateMail.id.in_(ids))
        requeued = []
        now = utcnow()
        for row in session.scalars(query.with_for_update()):
            if row.pii_bytes("message") is None:
                continue  # nothing left to send (delivered by hand, or purged)
            row.status, row.attempts, row.next_attempt_at = MailStatus.PENDING, 0, now
            row.lease_until, row.last_error = None, ""
            requeued.append(row.id)
        session.flush()
        return requeued

    def close(self) -> None:
        pass


class CpeMonitorQueue:
    name = "cpe_monitor"
    title = "CPE Monitor reports"

    def __init__(self, session_factory: SessionFactory, config: Callable[[], CreditConfig]):
        self.session_factory = session_factory
        self.config = config

    def run_once(self) -> int:
        return submit_pending_reports(self.session_factory, self.config().credit)

    def send_now(self, job_id: int) -> None:
        submit_report(self.session_factory, job_id, self.config().credit)

    def live(self) -> int:
        if not self.config().credit.cpe_monitor_configured:
            return 0  # queued for the provider's batch upload, not for this worker
        with self.session_factory() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(CpeMonitorReport)
                    .where(CpeMonitorReport.status == ReportStatus.QUEUED)
                )
                or 0
            )

    def counts(self, session: Session) -> dict[str, int]:
        return REPORTS.counts(session)

    def dead_letters(self, session: Session, limit: int) -> list[DeadLetter]:
        # A rejected report waits for the learner's correction, and an unanswered one stays
        # queued and is flagged from day 45: neither is a dead letter to resend.
        return []

    def resend(self, session: Session, ids: list[int] | None) -> list[int]:
        return []

    def close(self) -> None:
        pass


def deliver_after_commit(
    outbox: Outbox, config: CreditConfig, mail_id: int, report_id: int | None = None
) -> None:
    """Run right after the claim's commit: the mail (then the CPE Monitor report) go at once.

    Without an SMTP host the mail is a file write, done before the next page, which shows
    where it went; with one, it goes on the outbox's background thread so the learner never
    waits for SMTP. A held mail is not due and stays."""
    jobs: list[tuple[str, int]] = []
    if config.mail.smtp_host:
        jobs.append((CertificateMailQueue.name, mail_id))
    else:
        outbox.deliver_now(CertificateMailQueue.name, mail_id)
    if report_id is not None:
        jobs.append((CpeMonitorQueue.name, report_id))
    if jobs:
        outbox.deliver_soon(*jobs)
