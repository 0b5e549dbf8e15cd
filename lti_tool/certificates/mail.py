"""Mail a certificate to its learner: build the message, then send it by SMTP or file it.

The seed activity promises "A CE certificate will be emailed to you immediately", so the
certificate page must not wait for a mail server. ``build_certificate_message`` is quick and
runs in the request; delivery (the outbox's, calling ``send_with_retries`` off the request
thread) retries transient failures with exponential backoff and returns a typed
``DeliveryResult`` instead of raising.

Without an SMTP host (the embedded default) messages are written as ``.eml`` files into
``MailSettings.outbox_dir`` (0600 files in a 0700 folder) and the path is returned for the
record; pages never show it.

SMTP: RFC 5321; STARTTLS: RFC 3207; implicit TLS submission on port 465: RFC 8314.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Literal

from jinja2 import Environment

from lti_tool.certificates.document import CertificateDocument
from lti_tool.certificates.templating import default_environment

log = logging.getLogger(__name__)


class InvalidRecipient(ValueError):
    """The learner's address is not a single plain address (checked before anything is sent)."""


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Where certificate mail comes from and how it leaves."""

    sender: str = "CME certificates <certificates@localhost>"
    smtp_host: str = ""  # empty: file messages into outbox_dir instead of sending them
    smtp_port: int = 587  # 587 submission with STARTTLS; 465 for implicit TLS ("ssl")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""  # empty: no SMTP AUTH
    password: str = ""
    timeout_seconds: float = 15.0
    ca_file: str = ""  # PEM bundle to trust instead of the system store (private relays)
    outbox_dir: Path = Path("instance/mail-outbox")
    reply_to: str = ""


@dataclass(frozen=True, slots=True)
class Sent:
    """The SMTP server accepted the message."""

    attempts: int


@dataclass(frozen=True, slots=True)
class SavedToFolder:
    """No SMTP host is configured; the message was written here."""

    path: Path


@dataclass(frozen=True, slots=True)
class DeliveryFailed:
    """The message was not delivered; ``permanent`` failures are not worth retrying."""

    reason: str
    attempts: int
    permanent: bool


DeliveryResult = Sent | SavedToFolder | DeliveryFailed


def build_certificate_message(
    document: CertificateDocument,
    pdf: bytes,
    recipient: str,
    settings: MailSettings,
    environment: Environment | None = None,
) -> EmailMessage:
    """Text and HTML alternatives naming the activity, with the certificate PDF attached."""
    try:
        Address(addr_spec=recipient)
    except (ValueError, IndexError) as error:
        raise InvalidRecipient(f"{recipient!r} is not one plain e-mail address") from error
    environment = environment or default_environment()
    context = {"doc": document, "pharmacist": document.pharmacist}
    text = environment.get_template("mail/certificate.txt").render(context)
    html = environment.get_template("mail/certificate.html").render(context)

    message = EmailMessage()
    message["Subject"] = f"Your {document.title}: {document.activity_title}"
    message["From"] = settings.sender
    message["To"] = recipient
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=_sender_domain(settings.sender))
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message.add_attachment(
        pdf,
        maintype="application",
        subtype="pdf",
        filename=f"certificate-{document.certificate_number}.pdf",
    )
    return message


def _sender_domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rpartition("@")[2] or "localhost"


def deliver(message: EmailMessage, settings: MailSettings) -> DeliveryResult:
    """One delivery attempt; never raises."""
    if not settings.smtp_host:
        return _save_to_folder(message, settings.outbox_dir)
    try:
        _send_smtp(message, settings)
    except Exception as error:  # noqa: BLE001 - every failure becomes a result
        permanent, reason = _classify(error)
        log.warning(
            "certificate mail not sent (%s): %s", "permanent" if permanent else "transient", reason
        )
        return DeliveryFailed(reason, attempts=1, permanent=permanent)
    return Sent(attempts=1)


def send_with_retries(
    message: EmailMessage,
    settings: MailSettings,
    attempts: int = 4,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Deliver, retrying transient failures after ``backoff``, ``2*backoff``, ... seconds.

    Blocks for the whole schedule, so it belongs in a worker, never in a request.
    """
    result: DeliveryResult = DeliveryFailed("no attempt made", attempts=0, permanent=False)
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            sleep(backoff * 2 ** (attempt - 2))
        result = deliver(message, settings)
        if isinstance(result, Sent):
            return Sent(attempts=attempt)
        if isinstance(result, SavedToFolder):
            return result
        result = DeliveryFailed(result.reason, attempts=attempt, permanent=result.permanent)
        if result.permanent:
            return result
    return result


def _send_smtp(message: EmailMessage, settings: MailSettings) -> None:
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=settings.timeout_seconds,
            context=context,
        )
    else:
        smtp = smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds
        )
    with smtp:
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)


def _classify(error: Exception) -> tuple[bool, str]:
    """(permanent, reason) for a failed SMTP attempt; 4xx replies and network trouble pass."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = any(not 400 <= code < 500 for code in codes)
        return permanent, f"recipient refused ({', '.join(map(str, codes))})"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return True, f"server does not support a required extension: {error}"
    if isinstance(error, smtplib.SMTPResponseException):
        permanent = not 400 <= error.smtp_code < 500
        return permanent, f"server replied {error.smtp_code}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return True, "server certificate not trusted"
    if isinstance(error, smtplib.SMTPException | OSError):
        return False, f"{type(error).__name__}: {error}"
    return True, f"{type(error).__name__}: {error}"


def _save_to_folder(message: EmailMessage, outbox_dir: Path) -> DeliveryResult:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = outbox_dir / f"{stamp}-{secrets.token_hex(4)}.eml"
    try:
        # The messages carry the certificate PDF and its PII: only the tool's user may read
        # them (the folder 0700, each file 0600 from its creation, whatever the umask).
        outbox_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(outbox_dir, 0o700)
        partial = path.with_suffix(".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        # Rename last so a reader of the folder never sees half a message.
        os.replace(partial, path)
    except OSError as error:
        return DeliveryFailed(f"could not write {path}: {error}", attempts=1, permanent=False)
    return SavedToFolder(path)
