"""Operators: creating them, their passwords, and signing in with throttling.

Passwords are hashed with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane:
https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html); hashes
made with other parameters are upgraded at the next sign-in.

Sign-ins are throttled per username and per client address with the database counters of
``lti_tool.limits``, so every worker enforces the same limits. Each attempt takes its slot
*before* the password is checked, in one atomic upsert: 40 parallel guesses get at most
``USERNAME_LIMIT`` checks, never more (a count-then-record check let 18 through). A right
password gives its slot back and clears the username's count; past the limit, sign-in is
refused until the window ends, whether or not the password is right.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import utcnow
from lti_tool.limits import Limit, forgive, hit
from lti_tool.models.admin import LoginAttempt, Operator

USERNAME_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = dt.timedelta(minutes=15)
BY_USERNAME = Limit("signin-username", USERNAME_LIMIT, int(WINDOW.total_seconds()))
BY_ADDRESS = Limit("signin-address", ADDRESS_LIMIT, int(WINDOW.total_seconds()))
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


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sign_in(
    session: Session,
    counters: sessionmaker[Session],
    username: str,
    password: str,
    ip: str,
    now: dt.datetime | None = None,
) -> SignInResult:
    """Check a sign-in; every checked attempt is recorded. The caller commits ``session``;
    the throttle counters commit at once through ``counters`` (their own transactions)."""
    now = now or utcnow()
    name = normalise_username(username)
    # The address first: a flood from one address that is already refused does not also
    # use up the slots of the usernames it guesses (which would lock their owners out).
    wait = hit(counters, BY_ADDRESS, ip, now.timestamp())
    if not wait:
        wait = hit(counters, BY_USERNAME, name, now.timestamp())
    if wait:
        return SignInResult(operator=None, retry_after=wait)
    operator = session.scalar(select(Operator).where(Operator.username == name))
    matches = _verify(operator.password_hash if operator else _UNKNOWN_USER_HASH, password)
    succeeded = bool(operator and operator.active and matches)
    if succeeded:
        # Only failures count: the right password clears its username and frees its address
        # slot. Before ``session`` writes: on SQLite its write lock would block these.
        forgive(counters, BY_USERNAME, name, all_hits=True)
        forgive(counters, BY_ADDRESS, ip, all_hits=False)
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
