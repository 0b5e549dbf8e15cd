"""Certificate mail: to a real SMTP server on loopback (aiosmtpd), to the .eml folder of the
embedded default, through an outage without blocking the learner, and by the worker."""

from __future__ import annotations

import email
import time
from datetime import timedelta
from email import policy
from pathlib import Path

from sqlalchemy import select, text

from lti_tool.credit.mail_outbox import deliver_mail, deliver_pending_mail, retry_delay
from lti_tool.credit.rendering import certificate_mail
from lti_tool.db import utcnow
from lti_tool.models import Certificate, CertificateMail
from lti_tool.models.certificates import MailStatus

from .conftest import _free_port
from .support import claim_form, eligible_participation, issue, launch_learner, make_eligible


def smtp_settings(host, port):
    return certificate_mail.MailSettings(
        sender="ScientiaCME <certificates@cme.example.org>",
        smtp_host=host,
        smtp_port=port,
        security="none",
        timeout_seconds=5,
    )


def mail_of(credit_tool, certificate_id):
    with credit_tool.services.session_factory() as session:
        row = session.scalar(
            select(CertificateMail).where(CertificateMail.certificate_id == certificate_id)
        )
        session.expunge_all()
        return row


def wait_for_status(credit_tool, certificate_id, wanted, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = mail_of(credit_tool, certificate_id)
        if row is not None and row.status in wanted and row.lease_until is None:
            return row
        time.sleep(0.05)
    raise AssertionError(f"mail still {row.status if row else None}, wanted {wanted}")


def claimed_certificate(credit_tool, learner):
    with credit_tool.services.session_factory() as session:
        found = session.scalar(
            select(Certificate).where(Certificate.participation_id == learner.participation_id)
        )
        session.expunge_all()
        return found


def test_certificate_is_emailed_to_a_real_smtp_server_right_after_the_claim(
    credit_tool, configure_credit, smtp_server
):
    configure_credit(mail=smtp_settings(smtp_server.host, smtp_server.port))
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    claimed = learner.claim(claim_form("nurse", email="rosa.jimenez@example.org"))
    [message] = smtp_server.wait_for(1)
    certificate = claimed_certificate(credit_tool, learner)
    row = wait_for_status(credit_tool, certificate.id, {MailStatus.SENT})
    shown = learner.get(f"/certificates/{certificate.number}")

    assert claimed.status_code == 200
    assert message["To"] == "rosa.jimenez@example.org"
    assert message["Subject"].startswith("Your Certificate of Participation: Breaking the hold")
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == f"certificate-{certificate.number}.pdf"
    with credit_tool.services.session_factory() as session:
        stored = session.get(Certificate, certificate.id).pii_bytes("pdf")
        raw = session.execute(
            text("SELECT message FROM certificate_mails WHERE id = :id"), {"id": row.id}
        ).scalar()
    assert attachment.get_content() == stored
    assert raw is None  # the message is dropped once delivered; the certificate keeps the PDF
    assert "Your certificate was emailed to rosa.jimenez@example.org." in shown.text


def test_without_smtp_host_the_message_is_written_to_the_mail_folder(credit_tool, credit_config):
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    claimed = learner.claim(claim_form("other", email="learner@example.org"))
    certificate = claimed_certificate(credit_tool, learner)
    row = mail_of(credit_tool, certificate.id)

    assert row.status is MailStatus.SAVED
    assert row.saved_path.startswith(str(credit_config.mail.outbox_dir))
    assert "was kept on the server for its administrator" in claimed.text
    assert row.saved_path not in claimed.text
    saved = email.message_from_bytes(Path(row.saved_path).read_bytes(), policy=policy.default)
    assert saved["To"] == "learner@example.org"
    assert next(saved.iter_attachments()).get_content().startswith(b"%PDF")


def test_smtp_outage_never_blocks_the_learner_and_the_worker_delivers_later(
    credit_tool, configure_credit, smtp_server
):
    configure_credit(mail=smtp_settings("127.0.0.1", _free_port()))
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    started = time.monotonic()
    claimed = learner.claim(claim_form("physician", email="amelia@example.org"))
    answered_after = time.monotonic() - started
    certificate = claimed_certificate(credit_tool, learner)
    waiting = wait_for_status(credit_tool, certificate.id, {MailStatus.PENDING})
    later = waiting.next_attempt_at + timedelta(seconds=1)
    delivered = deliver_pending_mail(
        credit_tool.services.session_factory,
        smtp_settings(smtp_server.host, smtp_server.port),
        now=later,
        limit=1000,
    )

    assert claimed.status_code == 200
    assert answered_after < 5
    assert "is being emailed to amelia@example.org" in claimed.text
    assert waiting.attempts == 3  # the background thread's tries, then left for the worker
    assert "ConnectionRefusedError" in waiting.last_error
    assert delivered >= 1
    assert mail_of(credit_tool, certificate.id).status is MailStatus.SENT
    assert any(m["To"] == "amelia@example.org" for m in smtp_server.mailbox.received)


def test_permanent_refusal_marks_the_mail_failed_and_the_page_offers_the_download(
    credit_tool, credit_config, smtp_server
):
    factory = credit_tool.services.session_factory
    smtp_server.mailbox.refuse = "550 5.1.1 No such user here"
    result = issue(factory, credit_config, eligible_participation(factory), claim_form("nurse"))

    status = deliver_mail(
        factory, result.mail.id, smtp_settings(smtp_server.host, smtp_server.port), attempts=3
    )

    assert status is MailStatus.FAILED
    row = mail_of(credit_tool, result.certificate.id)
    assert row.attempts == 1 and "550" in row.last_error
    assert smtp_server.mailbox.received == []


def test_a_mail_is_sent_once_even_when_two_senders_race(credit_tool, credit_config, smtp_server):
    factory = credit_tool.services.session_factory
    result = issue(factory, credit_config, eligible_participation(factory), claim_form("other"))
    settings = smtp_settings(smtp_server.host, smtp_server.port)

    first = deliver_mail(factory, result.mail.id, settings)
    second = deliver_mail(factory, result.mail.id, settings)
    # A worker pass afterwards finds nothing of this mail left to send.
    deliver_pending_mail(factory, settings, now=utcnow() + timedelta(days=30), limit=1000)

    assert first is MailStatus.SENT
    assert second is None
    recipients = [m["To"] for m in smtp_server.mailbox.received]
    assert recipients.count(result.mail.recipient) == 1


def test_retries_back_off_up_to_six_hours():
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert retry_delay(20) == timedelta(hours=6)
