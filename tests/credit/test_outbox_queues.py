"""Certificate mail as a queue of the one outbox: the request's grace, dead letters and
resending, and waking the worker only for committed jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from lti_tool.credit.mail_outbox import REQUEST_GRACE, deliver_mail
from lti_tool.credit.queues import CertificateMailQueue
from lti_tool.events import NoEventBus, publish
from lti_tool.models.certificates import MailStatus
from lti_tool.outbox import Outbox, job_queued

from .support import claim_form, eligible_participation, issue
from .test_mail import mail_of, smtp_settings


def test_a_worker_round_leaves_fresh_mail_to_the_request_that_queued_it(credit_tool, credit_config):
    factory = credit_tool.services.session_factory
    result = issue(factory, credit_config, eligible_participation(factory), claim_form("other"))
    queue = CertificateMailQueue(factory, lambda: credit_config)

    queue.run_once()  # a worker round right after the claim's commit
    untouched = mail_of(credit_tool, result.certificate.id)
    queue.send_now(result.mail.id)  # the claiming request, after its commit
    sent = mail_of(credit_tool, result.certificate.id)

    assert untouched.status is MailStatus.PENDING and untouched.attempts == 0
    assert sent.status is MailStatus.SAVED
    assert timedelta(minutes=1) >= REQUEST_GRACE  # the worker still picks up what is left


def test_mail_given_up_on_is_a_dead_letter_without_the_address_and_is_resent(
    credit_tool, credit_config, smtp_server
):
    factory = credit_tool.services.session_factory
    smtp = smtp_settings(smtp_server.host, smtp_server.port)
    smtp_server.mailbox.refuse = "550 5.1.1 No such user here"
    result = issue(factory, credit_config, eligible_participation(factory), claim_form("nurse"))
    assert deliver_mail(factory, result.mail.id, smtp) is MailStatus.FAILED
    outbox = Outbox(factory)
    outbox.register(CertificateMailQueue(factory, lambda: credit_config))
    try:
        with factory() as session:
            letters = [
                letter
                for letter in outbox.dead_letters(session, limit=1000)
                if letter.id == result.mail.id
            ]
        with factory.begin() as session:
            requeued = outbox.resend(session, "certificate_mail", [result.mail.id])
        waiting = mail_of(credit_tool, result.certificate.id)
        smtp_server.mailbox.refuse = ""
        delivered = deliver_mail(factory, result.mail.id, smtp)
    finally:
        outbox.close()

    [letter] = letters
    assert letter.queue == "certificate_mail" and "550" in letter.error
    assert result.mail.recipient not in letter.what
    assert requeued == [result.mail.id]
    assert (waiting.status, waiting.attempts) == (MailStatus.PENDING, 0)
    assert delivered is MailStatus.SENT
    assert [m["To"] for m in smtp_server.mailbox.received] == [result.mail.recipient]


def test_the_worker_is_woken_by_a_commit_that_queued_a_job_and_not_by_a_rollback(tmp_path):
    factory = sessionmaker(bind=create_engine(f"sqlite:///{tmp_path / 'wake.sqlite'}"))
    outbox = Outbox(factory)
    try:
        with factory() as session:
            job_queued(session)
            session.rollback()
        after_rollback = outbox.wakeup.is_set()
        with factory() as session:
            session.commit()  # a commit that queued nothing
        after_plain_commit = outbox.wakeup.is_set()
        with factory.begin() as session:
            job_queued(session)
        after_queuing_commit = outbox.wakeup.is_set()
    finally:
        outbox.close()

    assert (after_rollback, after_plain_commit, after_queuing_commit) == (False, False, True)


def test_an_event_published_on_a_session_without_the_tools_bus_is_refused(tmp_path, credit_tool):
    stray = sessionmaker(bind=create_engine(f"sqlite:///{tmp_path / 'stray.sqlite'}"))
    with stray() as session, pytest.raises(NoEventBus):
        publish(session, object())
    with credit_tool.services.session_factory() as session:
        publish(session, object())  # the tool's sessions carry the bus; nobody listens here
