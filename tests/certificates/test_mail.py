"""Certificate mail through a real SMTP server on loopback (aiosmtpd), and the folder fallback."""

from __future__ import annotations

import datetime
import email
import ipaddress
import ssl
import time
from collections.abc import Iterator
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import sessionmaker

from lti_tool.certificates import specimens
from lti_tool.certificates.mail import (
    DeliveryFailed,
    InvalidRecipient,
    MailSettings,
    SavedToFolder,
    Sent,
    build_certificate_message,
    deliver,
    send_with_retries,
)
from lti_tool.certificates.render import render_certificate_pdf
from lti_tool.outbox import Outbox

LEARNER = "amelia@example.org"
SMTP_LOGIN = ("tool", "s3cret-relay-password")


class Mailbox:
    """An aiosmtpd handler that keeps what it receives and can refuse the first recipients."""

    def __init__(self, refuse_first: int = 0, refusal: str = "451 4.3.0 Try again later"):
        self.received: list[EmailMessage] = []
        self.refusals_left = refuse_first
        self.refusal = refusal

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refusals_left:
            self.refusals_left -= 1
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        == SMTP_LOGIN
    )
    # handled=False: aiosmtpd answers 535 itself on failure.
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def loopback_certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (certificate PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    certificate_path, key_path = folder / "cert.pem", folder / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


def server_tls_context(loopback_certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*loopback_certificate)
    return context


@pytest.fixture
def smtp_server(unused_port) -> Iterator[tuple[Mailbox, MailSettings]]:
    """Plain SMTP on loopback, and settings that send to it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=unused_port)
    controller.start()
    try:
        yield (
            mailbox,
            MailSettings(
                sender="ScientiaCME <certificates@cme.example.org>",
                smtp_host="127.0.0.1",
                smtp_port=unused_port,
                security="none",
                timeout_seconds=5,
            ),
        )
    finally:
        controller.stop()


@pytest.fixture
def message() -> EmailMessage:
    document = specimens.physician_credit()
    return build_certificate_message(
        document, render_certificate_pdf(document), LEARNER, MailSettings()
    )


def test_message_names_the_activity_and_carries_text_html_and_the_pdf():
    document = specimens.physician_credit()
    pdf = render_certificate_pdf(document)

    message = build_certificate_message(document, pdf, LEARNER, MailSettings())
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    attachment = next(message.iter_attachments())

    assert message["Subject"] == f"Your Certificate of Credit: {specimens.ACTIVITY_TITLE}"
    assert message["To"] == LEARNER
    assert "Credit awarded: 0.75 AMA PRA Category 1 Credit(s)™" in text
    assert document.verification_url in text
    assert '<em class="credit-name">AMA PRA Category 1 Credit(s)™</em>' in html
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"certificate-{document.certificate_number}.pdf"
    assert attachment.get_content() == pdf


def test_learner_name_with_markup_is_escaped_in_html_and_verbatim_in_text():
    document = replace(specimens.participation("nurse"), learner_name="<img src=x> & Co")
    message = build_certificate_message(document, b"%PDF-1.7", LEARNER, MailSettings())

    assert "Dear &lt;img src=x&gt; &amp; Co," in message.get_body(("html",)).get_content()
    assert "Dear <img src=x> & Co," in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    "recipient", ["", "not an address", "a@example.org\r\nBcc: all@example.org", "A <a@b.org>"]
)
def test_anything_but_one_plain_address_is_refused(recipient):
    with pytest.raises(InvalidRecipient):
        build_certificate_message(
            specimens.physician_credit(), b"%PDF-1.7", recipient, MailSettings()
        )


def test_message_is_delivered_to_a_real_smtp_server_with_the_pdf_attached(smtp_server, message):
    mailbox, settings = smtp_server

    result = deliver(message, settings)

    assert result == Sent(attempts=1)
    [received] = mailbox.received
    assert received["Subject"] == message["Subject"]
    pdf = next(received.iter_attachments()).get_content()
    assert pdf.startswith(b"%PDF-1.7")
    assert pdf == next(message.iter_attachments()).get_content()


def test_starttls_with_login_delivers_and_a_wrong_password_is_a_permanent_failure(
    unused_port, loopback_certificate, message
):
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=unused_port,
        tls_context=server_tls_context(loopback_certificate),
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    settings = MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=unused_port,
        security="starttls",
        username=SMTP_LOGIN[0],
        password=SMTP_LOGIN[1],
        ca_file=str(loopback_certificate[0]),
        timeout_seconds=5,
    )
    try:
        delivered = deliver(message, settings)
        refused = deliver(message, MailSettings(**{**_fields(settings), "password": "wrong"}))
    finally:
        controller.stop()

    assert delivered == Sent(attempts=1)
    assert len(mailbox.received) == 1
    assert isinstance(refused, DeliveryFailed)
    assert refused.permanent
    assert "wrong" not in refused.reason


def test_implicit_tls_delivers_and_an_untrusted_certificate_is_refused(
    unused_port, loopback_certificate, message
):
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=unused_port,
        ssl_context=server_tls_context(loopback_certificate),
    )
    controller.start()
    settings = MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=unused_port,
        security="ssl",
        ca_file=str(loopback_certificate[0]),
        timeout_seconds=5,
    )
    try:
        delivered = deliver(message, settings)
        untrusted = deliver(message, MailSettings(**{**_fields(settings), "ca_file": ""}))
    finally:
        controller.stop()

    assert delivered == Sent(attempts=1)
    assert len(mailbox.received) == 1
    assert untrusted == DeliveryFailed("server certificate not trusted", 1, permanent=True)


def test_without_smtp_host_the_message_is_written_to_the_outbox_folder(tmp_path, message):
    settings = MailSettings(outbox_dir=tmp_path / "outbox")

    result = send_with_retries(message, settings)

    assert isinstance(result, SavedToFolder)
    assert result.path.parent == tmp_path / "outbox"
    assert result.path.suffix == ".eml"
    saved = email.message_from_bytes(result.path.read_bytes(), policy=policy.default)
    assert saved["Subject"] == message["Subject"]
    assert next(saved.iter_attachments()).get_content().startswith(b"%PDF")
    assert list((tmp_path / "outbox").glob("*.part")) == []


def test_server_refusing_at_first_gets_the_message_on_a_later_attempt(smtp_server, message):
    mailbox, settings = smtp_server
    mailbox.refusals_left = 2
    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        time.sleep(seconds)

    result = send_with_retries(message, settings, attempts=4, backoff=0.05, sleep=sleep)

    assert result == Sent(attempts=3)
    assert delays == [0.05, 0.1]
    assert len(mailbox.received) == 1


def test_unreachable_server_fails_after_every_attempt_without_raising(unused_port, message):
    settings = MailSettings(smtp_host="127.0.0.1", smtp_port=unused_port, timeout_seconds=2)
    delays: list[float] = []

    result = send_with_retries(message, settings, attempts=3, backoff=0.01, sleep=delays.append)

    assert isinstance(result, DeliveryFailed)
    assert (result.attempts, result.permanent) == (3, False)
    assert "ConnectionRefusedError" in result.reason
    assert delays == [0.01, 0.02]


def test_permanently_refused_recipient_is_not_retried(smtp_server, message):
    mailbox, settings = smtp_server
    mailbox.refusals_left = 5
    mailbox.refusal = "550 5.1.1 No such user here"
    delays: list[float] = []

    result = send_with_retries(message, settings, attempts=4, backoff=0.01, sleep=delays.append)

    assert result == DeliveryFailed("recipient refused (550)", attempts=1, permanent=True)
    assert delays == []
    assert mailbox.received == []


def test_background_delivery_returns_at_once_and_completes_later(smtp_server, message):
    mailbox, settings = smtp_server
    mailbox.refusals_left = 1

    outbox = Outbox(sessionmaker())  # its background threads; no queue needed here
    started = time.perf_counter()
    future = outbox.in_background(lambda: send_with_retries(message, settings, 3, 0.3))
    returned_after = time.perf_counter() - started

    assert returned_after < 0.1
    assert future.result(timeout=10) == Sent(attempts=2)
    assert len(mailbox.received) == 1
    outbox.close()


def _fields(settings: MailSettings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}
