"""Operators: creating them, their passwords, and signing in with throttling.

Passwords are hashed with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane:
https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html); hashes
made with other parameters are upgraded at the next sign-in. Failed sign-ins
are counted in the database per username and per client address, so every worker
enforces the same limits: after ``USERNAME_LIMIT`` failures for one username, or
``ADDRESS_LIMIT`` from one address, within ``WINDOW``, sign-in is refused until the
oldest of those failures leaves the window, whether or not the password is right.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.models.admin import LoginAttempt, Operator

USERNAME_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = dt.timedelta(minutes=15)
# Attempts are kept a day for the record, then pruned.
KEEP_ATTEMPTS = dt.timedelta(days=1)
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the username is unknown, so both cases take the same time.
_UNKNOWN_USER_HASH = _hasher.hash("no operator has this password")


class OperatorError(ValueError):
    """A request about operators that cannot be carried out, with a message to show."""


@dataclass(frozen=True)
class SignInResult:
    operator: Operator | None
    # Seconds to wait before trying again, when throttled.
    retry_after: int | None = None

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None


def normalise_username(username: str) -> str:
    return username.strip().lower()[:150]


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperatorError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")


def create_operator(session: Session, username: str, password: str) -> Operator:
    name = normalise_username(username)
    if not name or any(c.isspace() for c in name):
        raise OperatorError("A username is required and may not contain spaces.")
    check_password_strength(password)
    if session.scalar(select(Operator.id).where(Operator.username == name)) is not None:
        raise OperatorError(f"An operator named {name!r} exists already.")
    operator = Operator(username=name, password_hash=_hasher.hash(password))
    session.add(operator)
    session.flush()
    return operator


def find_operator(session: Session, username: str) -> Operator | None:
    return session.scalar(select(Operator).where(Operator.username == normalise_username(username)))


def set_password(session: Session, operator: Operator, password: str) -> None:
    check_password_strength(password)
    operator.password_hash = _hasher.hash(password)
    operator.session_epoch += 1  # sign out every existing session
    session.flush()


def set_active(session: Session, operator: Operator, active: bool) -> None:
    operator.active = active
    operator.session_epoch += 1
    session.flush()


def list_operators(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.username)))


def _wait_seconds(oldest: dt.datetime | None, failures: int, limit: int, now: dt.datetime) -> int:
    if failures < limit or oldest is None:
        return 0
    return max(1, int((oldest + WINDOW - now).total_seconds()) + 1)


def throttle_wait(session: Session, username: str, ip: str, now: dt.datetime | None = None) -> int:
    """Seconds before this username or address may try again; 0 when it may try now."""
    now = now or utcnow()
    since = now - WINDOW
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    # A successful sign-in wipes the slate for its username, not for the address.
    user_since = max(since, last_success) if last_success else since
    by_user = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > user_since,
        )
    ).one()
    by_address = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
        )
    ).one()
    return max(
        _wait_seconds(by_user[1], by_user[0], USERNAME_LIMIT, now),
        _wait_seconds(by_address[1], by_address[0], ADDRESS_LIMIT, now),
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sign_in(
    session: Session, username: str, password: str, ip: str, now: dt.datetime | None = None
) -> SignInResult:
    """Check a sign-in; every checked attempt is recorded. The caller commits."""
    now = now or utcnow()
    name = normalise_username(username)
    wait = throttle_wait(session, name, ip, now)
    if wait:
        return SignInResult(operator=None, retry_after=wait)
    operator = session.scalar(select(Operator).where(Operator.username == name))
    matches = _verify(operator.password_hash if operator else _UNKNOWN_USER_HASH, password)
    succeeded = bool(operator and operator.active and matches)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_ATTEMPTS))
    session.add(LoginAttempt(username=name, ip=ip[:64], succeeded=succeeded, at=now))
    if not succeeded or operator is None:
        session.flush()
        return SignInResult(operator=None)
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = _hasher.hash(password)
    operator.last_login_at = now
    session.flush()
    return SignInResult(operator=operator)
