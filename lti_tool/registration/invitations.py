"""One-time Dynamic Registration invitations: the operator's approval given in advance.

In production a platform that registers itself waits for an operator, unless the LMS
administrator opened an invitation URL the operator made for them
(``lti-tool platforms invite`` or the console). The URL carries a random secret in its
path (LMSs add their own query parameters to the registration URL, and keep the path);
only its SHA-256 is stored. An invitation works once, before it expires, and is spent in
the same transaction that stores the registration, so a failed registration leaves it
unused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.models.admin import RegistrationInvitation
from lti_tool.registration.errors import InvitationInvalid

DEFAULT_LIFETIME_HOURS = 72
MAX_LIFETIME_HOURS = 24 * 30


@dataclass(frozen=True)
class NewInvitation:
    invitation: RegistrationInvitation
    # Shown once; the database keeps only its hash.
    secret: str


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def invitation_url(base_url: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/lti/register/invitation/{secret}"


def create_invitation(
    session: Session, *, operator: str, note: str = "", hours: int = DEFAULT_LIFETIME_HOURS
) -> NewInvitation:
    if not 1 <= hours <= MAX_LIFETIME_HOURS:
        raise ValueError(f"An invitation lasts from 1 to {MAX_LIFETIME_HOURS} hours.")
    secret = secrets.token_urlsafe(32)
    invitation = RegistrationInvitation(
        token_hash=token_hash(secret),
        note=note.strip()[:255],
        created_by=operator[:150],
        expires_at=utcnow() + dt.timedelta(hours=hours),
    )
    session.add(invitation)
    session.flush()
    return NewInvitation(invitation, secret)


def usable_invitation(session: Session, secret: str) -> RegistrationInvitation:
    """The unexpired, unused invitation with this secret, or InvitationInvalid."""
    invitation = session.scalar(
        select(RegistrationInvitation).where(
            RegistrationInvitation.token_hash == token_hash(secret)
        )
    )
    if invitation is None:
        raise InvitationInvalid("The tool has no invitation at this address.")
    if invitation.used_at is not None:
        raise InvitationInvalid(
            f"This invitation was used on {invitation.used_at:%Y-%m-%d %H:%M} UTC; it works once."
        )
    if invitation.expires_at <= utcnow():
        raise InvitationInvalid(
            f"This invitation expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
        )
    return invitation


def spend_invitation(session: Session, secret: str, registration_id: int) -> None:
    """Mark the invitation used, atomically: of two registrations racing, one wins."""
    now = utcnow()
    result = session.execute(
        update(RegistrationInvitation)
        .where(
            RegistrationInvitation.token_hash == token_hash(secret),
            RegistrationInvitation.used_at.is_(None),
            RegistrationInvitation.expires_at > now,
        )
        .values(used_at=now, registration_id=registration_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationInvalid("This invitation was used or expired while you registered.")


def list_invitations(session: Session, limit: int = 50) -> list[RegistrationInvitation]:
    return list(
        session.scalars(
            select(RegistrationInvitation).order_by(RegistrationInvitation.id.desc()).limit(limit)
        )
    )
