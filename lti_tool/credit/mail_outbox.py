"""The certificate mail outbox: queued with the certificate, delivered right after the commit,
retried by the worker until it goes out.

The seed activity promises "A CE certificate will be emailed to you immediately", and the
issue asks that retries never block the learner. So the message (PDF attached) is built in
the claim's transaction and stored sealed in ``certificate_mails``; once that transaction
commits, :func:`deliver_now` sends it: at once when there is no SMTP host (the
embedded default writes an ``.eml`` file into ``<instance>/mail``, and the next page says
where), otherwise on a background thread that tries a few times with
``send_with_retries``. Whatever is still unsent is picked up by
:func:`deliver_pending_mail`, which the worker loop calls next to the grade dispatcher.

A sender takes a row with a conditional UPDATE (pending → sending, with a lease), so the
background thread and any number of workers never send one message twice at once; a sender
that died mid-send leaves a lease that runs out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.certificates import CertificateDocument
from lti_tool.config import Settings
from lti_tool.credit import audit
from lti_tool.credit.rendering import certificate_mail
from lti_tool.credit.settings import CreditConfig, mail_settings_from
from lti_tool.db import utcnow
from lti_tool.models import Certificate, CertificateMail
from lti_tool.models.certificates import MailStatus

log = logging.getLogger("lti_tool.credit.mail")

LEASE = timedelta(minutes=5)  # longer than one send_with_retries round with SMTP timeouts
MAX_ATTEMPTS = 12  # about a day and a half of retries with the backoff below
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)

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


def _take(session_factory: SessionFactory, mail_id: int, now: datetime) -> bool:
    """Lease the row to this sender; False if it is not due or someone else holds it."""
    with session_factory() as session:
        result = session.execute(
            update(CertificateMail)
            .where(CertificateMail.id == mail_id, _due(now))
            .values(status=MailStatus.SENDING, lease_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(CertificateMail.status == MailStatus.PENDING, CertificateMail.next_attempt_at <= now),
        and_(CertificateMail.status == MailStatus.SENDING, CertificateMail.lease_until < now),
    )


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
    if not _take(session_factory, mail_id, now):
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
            if result.permanent or row.attempts >= MAX_ATTEMPTS:
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
                row.next_attempt_at = now + retry_delay(row.attempts)
        session.commit()
        return row.status


def retry_delay(attempts_so_far: int) -> timedelta:
    """1, 2, 4 … minutes, at most six hours between tries."""
    delay = FIRST_RETRY * 2 ** max(0, attempts_so_far - 1)
    return min(delay, LONGEST_WAIT)


def deliver_pending_mail(
    session_factory: SessionFactory,
    mail_settings: certificate_mail.MailSettings | None = None,
    *,
    now: datetime | None = None,
    limit: int = 20,
) -> int:
    """One pass of the worker: send every due mail once; returns how many were tried.

    ``mail_settings`` defaults to the environment's (``Settings.from_env()``).
    """
    settings = mail_settings or mail_settings_from(Settings.from_env())
    now = now or utcnow()
    with session_factory() as session:
        due = list(
            session.scalars(
                select(CertificateMail.id)
                .where(_due(now))
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


def deliver_now(
    session_factory: SessionFactory,
    config: CreditConfig,
    mail_id: int,
    then: Callable[[], None] | None = None,
) -> None:
    """Deliver committed mail ``mail_id`` without making the learner wait for SMTP.

    Called after the request's commit, with its connection returned (``after_commit``).
    ``then`` runs after the mail was handed on (e.g. the CPE Monitor submission).
    """
    try:
        if not config.mail.smtp_host:
            # A local file write: done before the next page, which shows where it went.
            deliver_mail(session_factory, mail_id, config.mail)
        else:
            _in_background(
                lambda: deliver_mail(
                    session_factory,
                    mail_id,
                    config.mail,
                    attempts=config.mail_attempts_at_once,
                    backoff=config.mail_backoff_seconds,
                )
            )
    except Exception:  # the certificate is committed; the worker retries the mail
        log.exception("certificate mail %s: immediate delivery failed", mail_id)
    if then is not None:
        _in_background(then)


def _in_background(work: Callable[[], object]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("certificate delivery: background work failed")

    thread = threading.Thread(target=run, name="certificate-delivery", daemon=True)
    thread.start()
    return thread
