"""OIDC login states: signed, carried by the browser and the platform, each good once.

The login writes nothing. Its state is a token signed with the tool's secret (like the
launch tokens) that carries what the launch needs back: the registration, the
lti_deployment_id the login named, the nonce, the platform's storage frame, the login's
parameters (to start it again in a new window) and its expiry. So a login costs no
database round trip, and a flood of logins stores nothing.

A state and its nonce are good exactly once (LTI 1.3 Security Framework §5.1.1.2: "the
Tool MUST ... verify that the nonce has not been used before"). pylti1p3 2.0.0 only
checks that a nonce exists and accepts a re-posted state + id_token, so the launch
records the state's id in ``used_login_states``, in the transaction it commits (on
PostgreSQL, when the launch writes nothing else, in the statement that inserts the launch),
with an insert that does nothing on conflict: of two posts of the same launch exactly one
inserts, whatever worker or host receives them, and the other is refused as a replay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any, cast

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.launch.errors import ReplayedLaunch, StateMissing
from lti_tool.models import UsedLoginState

# Each state's cookie, and its proof in the platform's frame, are named after the state's id.
STATE_KEY_PREFIX = "lti1p3-"


def state_key(state_id: str) -> str:
    """The name of a state's cookie and of its entry in the platform's storage."""
    return STATE_KEY_PREFIX + state_id


@dataclass(frozen=True)
class LoginStateData:
    """What a login's state carries (signed, so the launch can trust it)."""

    # Names the state in the used-states table and its cookie: short, unlike the state.
    id: str
    nonce: str
    registration_id: int
    login_deployment_id: str | None
    # Frame name for LTI client-side postMessage storage, when the platform offered one.
    storage_target: str | None
    # The login's parameters, so the "open in a new window" page can start it again.
    login_params: dict[str, str]
    expires_at: dt.datetime


class LoginStates:
    """Issues and reads login states for one tool (one secret, one lifetime)."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        # Compact JSON, zlib-compressed when that is shorter (Canvas's message hint is long).
        self._serializer = URLSafeSerializer(secret_key, salt="lti-login-state")
        self._secret = secret_key.encode()
        self.ttl_seconds = ttl_seconds

    def issue(
        self,
        *,
        registration_id: int,
        login_deployment_id: str | None,
        storage_target: str | None,
        login_params: dict[str, str],
    ) -> tuple[str, LoginStateData]:
        """The state to send through the platform, and what it says."""
        issued = LoginStateData(
            id=secrets.token_urlsafe(18),
            nonce=secrets.token_urlsafe(24),
            registration_id=registration_id,
            login_deployment_id=login_deployment_id,
            storage_target=storage_target,
            login_params=login_params,
            expires_at=dt.datetime.fromtimestamp(int(time.time()) + self.ttl_seconds, dt.UTC),
        )
        return self.sign(issued), issued

    def sign(self, data: LoginStateData) -> str:
        """The state that says ``data``, signed."""
        payload = {
            "i": data.id,
            "n": data.nonce,
            "r": data.registration_id,
            "d": data.login_deployment_id,
            "t": data.storage_target,
            "p": data.login_params,
            "e": int(data.expires_at.timestamp()),
        }
        return self._serializer.dumps(payload)

    def proof(self, state_id: str) -> str:
        """What the login stores in the platform's frame for a state (the launch checks it
        when the state's cookie did not come back)."""
        return hmac.new(self._secret, b"storage:" + state_id.encode(), hashlib.sha256).hexdigest()

    def proof_ok(self, state_id: str, proof: str) -> bool:
        return bool(proof) and hmac.compare_digest(proof, self.proof(state_id))

    def read(self, state: str) -> LoginStateData:
        """What a state says, if this tool signed it (expired or used: see ``check_unused``
        and ``use_up``)."""
        try:
            payload: Any = self._serializer.loads(state)
            return LoginStateData(
                id=str(payload["i"]),
                nonce=str(payload["n"]),
                registration_id=int(payload["r"]),
                login_deployment_id=payload["d"],
                storage_target=payload["t"],
                login_params=dict(payload["p"]),
                expires_at=dt.datetime.fromtimestamp(int(payload["e"]), dt.UTC),
            )
        except (BadSignature, KeyError, TypeError, ValueError) as exc:
            raise StateMissing("unknown state") from exc


def check_unused(login_state: LoginStateData, nonce: str) -> None:
    """Refuse a state that cannot be used: another login's nonce, or expired. A used one
    is refused by :func:`use_up`, in the transaction that would have used it."""
    if not secrets.compare_digest(login_state.nonce, nonce):
        raise ReplayedLaunch("the id_token's nonce was not issued for this login")
    if login_state.expires_at < utcnow():
        raise StateMissing("the login state expired")


_used = cast(Table, UsedLoginState.__table__)
# Built once per dialect: every launch runs one (``on_conflict_do_nothing`` is dialect SQL).
# RETURNING says whether the row went in (psycopg reports no rowcount for it).
_USE_UP = {
    "postgresql": postgresql_insert(_used).on_conflict_do_nothing().returning(_used.c.state_id),
    "sqlite": sqlite_insert(_used).on_conflict_do_nothing().returning(_used.c.state_id),
}
_SWEEP_USED = delete(_used).where(_used.c.expires_at < bindparam("before"))
_FIND_USED = select(_used.c.state_id).where(_used.c.state_id == bindparam("state_id"))


# On PostgreSQL a launch that writes nothing but itself uses its state up in the statement
# that inserts it (a data-modifying WITH: ``records.insert_launch_using_up``).
STATE_USED_NOW = (
    postgresql_insert(_used)
    .values(state_id=bindparam("state_id"), expires_at=bindparam("state_expires_at"))
    .on_conflict_do_nothing()
    .returning(_used.c.state_id)
    .cte("used_now")
)


def use_up(session: Session, login_state: LoginStateData) -> None:
    """Record the state used, in the session's transaction (the caller commits it with the
    launch it admits, or alone for a refused one). Of two concurrent posts of one launch
    only one inserts the row; the other is refused as a replay."""
    connection = session.connection()
    result = connection.execute(
        _USE_UP[connection.dialect.name],
        {"state_id": login_state.id, "expires_at": login_state.expires_at},
    )
    if result.first() is None:
        raise ReplayedLaunch("this state and nonce were already used")
    sweep_now_and_then(session)


def use_up_params(login_state: LoginStateData) -> dict[str, Any]:
    """The parameters of ``STATE_USED_NOW``."""
    return {"state_id": login_state.id, "state_expires_at": login_state.expires_at}


def sweep_now_and_then(session: Session) -> None:
    """A used state can be forgotten once it has expired (it is refused as expired then).
    Swept here rather than by a job, on about one launch in fifty; an hour's margin covers
    clocks that differ between hosts."""
    if secrets.randbelow(50) == 0:
        session.connection().execute(_SWEEP_USED, {"before": utcnow() - dt.timedelta(hours=1)})


def is_used(session: Session, login_state: LoginStateData) -> bool:
    """Whether a launch used this state already (read, for the pages that offer a retry)."""
    found = session.connection().execute(_FIND_USED, {"state_id": login_state.id})
    return found.first() is not None
