"""The certificate mail outbox: queued with the certificate, delivered right after the commit,
retried by the worker until it goes out.

The seed activity promises "A CE certificate will be emailed to you immediately", and the
issue asks that retries never block the learner. So the message (PDF attached) is built in
the claim's transaction and stored sealed in ``certificate_mails``, a queue of the outbox
(``lti_tool.credit.queues``); once that transaction commits, the request has it sent: at
once when there is no SMTP host (the embedded default writes an ``.eml`` file into
``<instance>/mail``, and the next page says where), otherwise on the outbox's background
thread, which tries a few times. Whatever is still unsent is picked up by the worker.

A sender takes a row with the outbox's lease (pending → sending), so the request's thread
and any number of workers never send one message twice at once; a sender that died
mid-send leaves a lease that runs out. A new mail is the request's own for its first
``REQUEST_GRACE``: the worker's rounds leave it alone meanwhile, so the page after the
claim sees the mail the request itself delivered.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.certificates import CertificateDocument
from lti_tool.credit import audit
from lti_tool.credit.rendering import certificate_mail
from lti_tool.credit.settings import CreditConfig
from lti_tool.db import utcnow
from lti_tool.models import Certificate, CertificateMail
from lti_tool.models.certificates import MailStatus
from lti_tool.outbox import LeasedTable, RetryPolicy

log = logging.getLogger("lti_tool.credit.mail")

MAILS = LeasedTable(CertificateMail, waiting=MailStatus.PENDING, taken=MailStatus.SENDING)
LEASE = timedelta(minutes=5)  # longer than one send_with_retries round with SMTP timeouts
# 1, 2, 4 … minutes (with jitter) up to six hours: about a day and a half in 12 tries.
RETRY = RetryPolicy(base=timedelta(minutes=1), cap=timedelta(hours=6), max_attempts=12)
MAX_ATTEMPTS = RETRY.max_attempts
# How long a new mail belongs to the request that queued it (see the module's docstring).
REQUEST_GRACE = timedelta(seconds=30)
_rng = random.Random()  # noqa: S311 (jitter, not security)

SessionFactory = sessionmaker[Session]


def queue_mail(
    session: Session,
    certificate: Certificate,
    document: CertificateDocument,
    pdf: bytes,
    recipient: str,
    config: CreditConfig,
    now: datetime,
) -> CertificateMail:
    """Queue the certificate mail in the caller's transaction (the certificate is flushed)."""
    message = certificate_mail.build_certificate_message(document, pdf, recipient, config.mail)
    row = CertificateMail(
        certificate_id=certificate.id,
        user_id=certificate.user_id,
        recipient=recipient,
        status=MailStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    row.set_pii("message", message.as_bytes())
    session.add(row)
    session.flush()
    audit.record_for(
        session,
        certificate.participation_id,
        audit.CERTIFICATE_MAIL_QUEUED,
        now,
        certificate=certificate.number,
        mail=row.id,
    )
    return row


def deliver_mail(
    session_factory: SessionFactory,
    mail_id: int,
    settings: certificate_mail.MailSettings,
    *,
    attempts: int = 1,
    backoff: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
) -> MailStatus | None:
    """Send one queued mail (``attempts`` tries ``backoff`` apart) and record the outcome.

    Returns the row's new status, or ``None`` when it was not due or another sender had it.
    """
    now = now or utcnow()
    with session_factory.begin() as session:
        if not MAILS.take_one(session, mail_id, now, LEASE):
            return None
    with session_factory() as session:
        row = session.get(CertificateMail, mail_id)
        assert row is not None
        raw = row.pii_bytes("message")
    if raw is None:  # delivered by an earlier sender whose row update was lost
        return _record(session_factory, mail_id, None, 0)
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    result = certificate_mail.send_with_retries(message, settings, attempts, backoff, sleep)
    return _record(session_factory, mail_id, result, attempts)


def _record(
    session_factory: SessionFactory,
    mail_id: int,
    result: certificate_mail.DeliveryResult | None,
    tried: int,
) -> MailStatus:
    now = utcnow()
    with session_factory() as session:
        row = session.get(CertificateMail, mail_id)
        assert row is not None
        certificate = row.certificate
        row.lease_until = None
        if result is None or isinstance(
            result, certificate_mail.Sent | certificate_mail.SavedToFolder
        ):
            row.status = MailStatus.SENT
            row.attempts += getattr(result, "attempts", tried)
            if isinstance(result, certificate_mail.SavedToFolder):
                row.status = MailStatus.SAVED
                row.saved_path = str(result.path)
            row.delivered_at, row.message, row.last_error = now, None, ""
            audit.record_for(
                session,
                certificate.participation_id,
                audit.CERTIFICATE_MAILED,
                now,
                certificate=certificate.number,
                mail=row.id,
                how="folder" if row.status is MailStatus.SAVED else "smtp",
            )
        else:
            row.attempts += result.attempts
            row.last_error = result.reason[:2000]
            if result.permanent or RETRY.exhausted(row.attempts):
                row.status = MailStatus.FAILED
                audit.record_for(
                    session,
                    certificate.participation_id,
                    audit.CERTIFICATE_MAIL_FAILED,
                    now,
                    certificate=certificate.number,
                    mail=row.id,
                    reason=row.last_error,
                )
                log.warning("certificate mail %s gave up: %s", row.id, row.last_error)
            else:
                row.status = MailStatus.PENDING
                row.next_attempt_at = now + RETRY.delay(row.attempts, _rng)
        session.commit()
        return row.status


def retry_delay(attempts_so_far: int) -> timedelta:
    """The longest wait before the next try: 1, 2, 4 … minutes, at most six hours."""
    return RETRY.ceiling(attempts_so_far)


def deliver_pending_mail(
    session_factory: SessionFactory,
    settings: certificate_mail.MailSettings,
    *,
    now: datetime | None = None,
    limit: int = 20,
) -> int:
    """One round of the worker: send every due mail once; returns how many were tried."""
    now = now or utcnow()
    with session_factory() as session:
        due = list(
            session.scalars(
                select(CertificateMail.id)
                .where(
                    MAILS.due(CertificateMail, now),
                    # Fresh mail is the queuing request's to send (see REQUEST_GRACE).
                    or_(
                        CertificateMail.attempts > 0,
                        CertificateMail.created_at <= now - REQUEST_GRACE,
                    ),
                )
                .order_by(CertificateMail.next_attempt_at)
                .limit(limit)
            )
        )
    tried = 0
    for mail_id in due:
        try:
            if deliver_mail(session_factory, mail_id, settings, now=now) is not None:
                tried += 1
        except Exception:  # one bad row must not stop the others
            log.exception("certificate mail %s could not be handled", mail_id)
    return tried
