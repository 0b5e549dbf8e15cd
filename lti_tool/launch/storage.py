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
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.launch.errors import ReplayedLaunch, StateMissing
from lti_tool.models import LoginState


def new_login_state(
    session: Session,
    *,
    registration_id: int,
    ttl_seconds: int,
    login_deployment_id: str | None,
    target_link_uri: str,
    storage_target: str | None,
    login_params: dict[str, Any],
) -> LoginState:
    now = utcnow()
    row = LoginState(
        state="state-" + secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        registration_id=registration_id,
        login_deployment_id=login_deployment_id,
        target_link_uri=target_link_uri,
        storage_target=storage_target,
        login_params=login_params,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_seconds),
    )
    session.add(row)
    # Old states are swept here rather than by a job (logins are frequent enough), on
    # about one login in fifty so the sweep's cost is spread thin.
    if secrets.randbelow(50) == 0:
        session.execute(
            delete(LoginState).where(LoginState.expires_at < now - dt.timedelta(hours=1))
        )
    return row


def find_login_state(session: Session, state: str) -> LoginState:
    row = session.get(LoginState, state)
    if row is None:
        raise StateMissing("unknown state")
    return row


def consume_login_state(session: Session, row: LoginState, nonce: str) -> None:
    """Use the state and its nonce up, or refuse the launch."""
    if row.nonce != nonce:
        raise ReplayedLaunch("the id_token's nonce was not issued for this login")
    now = utcnow()
    if row.expires_at < now:
        raise StateMissing("the login state expired")
    result = session.execute(
        update(LoginState)
        .where(LoginState.state == row.state, LoginState.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ReplayedLaunch("this state and nonce were already used")
    # Commit now: the consumption must hold even if a later step of the launch fails,
    # and a concurrent replay must see it.
    session.commit()
