"""A corrected certificate goes only to an address the learner is known to own.

A correction form lets a learner type any address, and the certificate carries PII (an NABP
e-Profile ID, a licence number). So a corrected certificate is mailed at once only to a
*known* address: the email the LMS sent in the launch, or one this learner's certificates
were already mailed to or confirmed for. For any other address the mail is ``HELD`` and a
confirmation link, with no certificate details, goes there instead; opening it and pressing
the button releases the held mail. The link is signed with the tool's secret and expires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.certificates.mail import MailSettings, deliver, send_with_retries
from lti_tool.credit import audit
from lti_tool.models import CertificateMail, User
from lti_tool.models.certificates import MailStatus

# Long enough for a learner to find the message the next day.
LINK_MAX_AGE_SECONDS = 3 * 24 * 3600
_SALT = "certificate-mail-confirmation"


class ConfirmationInvalid(Exception):
    """The link is forged, expired, or its mail is no longer waiting."""


@dataclass(frozen=True)
class Held:
    """A held mail and the link that releases it."""

    mail_id: int
    recipient: str
    link: str


def _normal(address: str) -> str:
    return address.strip().lower()


def known_addresses(session: Session, user: User, besides: CertificateMail) -> set[str]:
    """The launch's email and the addresses this learner's earlier certificate mails went to
    (or were confirmed for), not counting the mail ``besides`` being decided."""
    known = {_normal(user.email)} if user.email else set()
    delivered = session.scalars(
        select(CertificateMail.recipient).where(
            CertificateMail.user_id == user.id,
            CertificateMail.id != besides.id,
            CertificateMail.status != MailStatus.HELD,
        )
    )
    known.update(_normal(address) for address in delivered)
    return known


def hold_unless_known(
    session: Session, mail: CertificateMail, user: User, secret_key: str, base_url: str
) -> Held | None:
    """Hold ``mail`` when its recipient is not known; the caller then sends the link."""
    if _normal(mail.recipient) in known_addresses(session, user, besides=mail):
        return None
    mail.status = MailStatus.HELD
    session.flush()
    token = _serializer(secret_key).dumps({"mail": mail.id, "to": _normal(mail.recipient)})
    return Held(mail.id, mail.recipient, f"{base_url}/certificates/mail/confirm/{token}")


def confirmation_message(held: Held, settings: MailSettings) -> EmailMessage:
    """The message sent to an unconfirmed address: a link, no certificate details."""
    message = EmailMessage()
    message["Subject"] = "Confirm the address for your CME certificate"
    message["From"] = settings.sender
    message["To"] = held.recipient
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(domain="certificates.invalid")
    message.set_content(
        "Someone asked for a corrected CME certificate to be emailed to this address.\n\n"
        "If it was you, open this link and confirm; the certificate is sent then:\n\n"
        f"{held.link}\n\n"
        "If it was not you, ignore this message: nothing will be sent.\n"
    )
    return message


def send_confirmation(
    held: Held, settings: MailSettings, in_background: Callable[[Callable[[], object]], object]
) -> None:
    """Mail the confirmation link; ``in_background`` is the outbox's (nothing durable waits
    on this message: the held certificate mail stays until the link is opened)."""
    message = confirmation_message(held, settings)
    if not settings.smtp_host:
        deliver(message, settings)  # a local file write, done before the next page
    else:
        in_background(lambda: send_with_retries(message, settings, 2, 2.0))


def held_mail(session: Session, token: str, secret_key: str) -> CertificateMail:
    """The held mail a link releases; ``ConfirmationInvalid`` if there is none."""
    try:
        data = _serializer(secret_key).loads(token, max_age=LINK_MAX_AGE_SECONDS)
        mail = session.get(CertificateMail, int(data["mail"]))
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise ConfirmationInvalid from error
    if mail is None or mail.status is not MailStatus.HELD or _normal(mail.recipient) != data["to"]:
        raise ConfirmationInvalid
    return mail


def release(session: Session, mail: CertificateMail, now: datetime) -> None:
    """The learner confirmed the address: the mail is due now."""
    mail.status = MailStatus.PENDING
    mail.next_attempt_at = now
    audit.record_for(
        session,
        mail.certificate.participation_id,
        audit.CERTIFICATE_MAIL_QUEUED,
        now,
        certificate=mail.certificate.number,
        mail=mail.id,
        confirmed=True,
    )
    session.flush()


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)
