"""Launch state in the database: OIDC login states, each good once.

A state and its nonce are good exactly once (LTI 1.3 Security Framework §5.1.1.2:
"the Tool MUST ... verify that the nonce has not been used before"). pylti1p3 2.0.0
only checks that a nonce exists and accepts a re-posted state + id_token, so the
state row is *consumed* with a conditional UPDATE: of two concurrent posts of the
same launch, exactly one wins, whatever worker or host receives them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.launch.errors import ReplayedLaunch, StateMissing
from lti_tool.models import LoginState


@dataclass(frozen=True)
class IssuedState:
    """What the login hands on: the state, its nonce, and the platform's storage frame."""

    state: str
    nonce: str
    storage_target: str | None


# Built once: a login and a launch run these on every request (see ``limits``).
_INSERT_STATE = insert(LoginState)
_SWEEP_STATES = delete(LoginState).where(LoginState.expires_at < bindparam("before"))
_CONSUME_STATE = (
    update(LoginState)
    .where(LoginState.state == bindparam("consumed_state"), LoginState.consumed_at.is_(None))
    .values(consumed_at=bindparam("now"))
)


def new_login_state(
    session: Session,
    *,
    registration_id: int,
    ttl_seconds: int,
    login_deployment_id: str | None,
    target_link_uri: str,
    storage_target: str | None,
    login_params: dict[str, Any],
) -> IssuedState:
    now = utcnow()
    issued = IssuedState(
        state="state-" + secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        storage_target=storage_target,
    )
    connection = session.connection()
    connection.execute(
        _INSERT_STATE,
        {
            "state": issued.state,
            "nonce": issued.nonce,
            "registration_id": registration_id,
            "login_deployment_id": login_deployment_id,
            "target_link_uri": target_link_uri,
            "storage_target": storage_target,
            "login_params": login_params,
            "created_at": now,
            "expires_at": now + dt.timedelta(seconds=ttl_seconds),
        },
    )
    # Old states are swept here rather than by a job (logins are frequent enough), on
    # about one login in fifty so the sweep's cost is spread thin.
    if secrets.randbelow(50) == 0:
        connection.execute(_SWEEP_STATES, {"before": now - dt.timedelta(hours=1)})
    return issued


@dataclass(frozen=True)
class StoredState:
    """A login state as the launch reads it (not its login parameters)."""

    state: str
    nonce: str
    registration_id: int
    login_deployment_id: str | None
    expires_at: dt.datetime
    consumed_at: dt.datetime | None


_states = cast(Table, LoginState.__table__)
_FIND_STATE = select(
    _states.c.state,
    _states.c.nonce,
    _states.c.registration_id,
    _states.c.login_deployment_id,
    _states.c.expires_at,
    _states.c.consumed_at,
).where(_states.c.state == bindparam("state"))


def find_login_state(session: Session, state: str) -> StoredState:
    row = session.connection().execute(_FIND_STATE, {"state": state}).first()
    if row is None:
        raise StateMissing("unknown state")
    return StoredState(*row)


def check_unused(row: StoredState, nonce: str) -> None:
    """Refuse a state that cannot be used: another login's nonce, expired, or used already.

    Read from the row, so a replay is refused before any work; what guarantees single
    use against a concurrent post of the same launch is :func:`use_up`.
    """
    if row.nonce != nonce:
        raise ReplayedLaunch("the id_token's nonce was not issued for this login")
    if row.expires_at < utcnow():
        raise StateMissing("the login state expired")
    if row.consumed_at is not None:
        raise ReplayedLaunch("this state and nonce were already used")


def use_up(session: Session, state: str) -> None:
    """Mark the state used, in the session's transaction (the caller commits it with the
    launch it admits, or alone for a refused one). Of two concurrent posts of one launch
    only one updates the row; the other is refused as a replay."""
    result = session.connection().execute(
        _CONSUME_STATE, {"consumed_state": state, "now": utcnow()}
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ReplayedLaunch("this state and nonce were already used")
