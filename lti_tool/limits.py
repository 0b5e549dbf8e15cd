"""Rate limits kept in the database, so every gunicorn worker and process counts together.

A fixed-window counter per (scope, key): ``hit`` bumps it with one atomic
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (PostgreSQL and SQLite ≥ 3.35 alike), in a
transaction of its own that commits at once. Parallel requests therefore each get a
distinct count (PostgreSQL locks the row for the upsert, SQLite serialises writers) and the
``limit + 1``-th request in a window is refused however many arrive together: there is no
check-then-record gap to race through. Chosen over Flask-Limiter because its shared
storages are Redis/Memcached/MongoDB, which this stack does not run; the database is
already shared by every worker.

A fixed window lets at most twice the limit through around a window boundary; the limits
are sized with that in mind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import insert_for
from lti_tool.models.limits import RateCounter


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per ``seconds`` for one key of ``scope``."""

    scope: str
    count: int
    seconds: int

    def window(self, now: float) -> int:
        return int(now // self.seconds)

    def retry_after(self, now: float) -> int:
        """Seconds until the current window ends (at least 1)."""
        return max(1, int((self.window(now) + 1) * self.seconds - now) + 1)


class RateLimited(Exception):
    """Too many requests of one kind from one client; the page says when to try again."""

    status = 429

    def __init__(self, limit: Limit, retry_after: int, what: str) -> None:
        super().__init__(f"{limit.scope} limit of {limit.count} per {limit.seconds}s reached")
        self.limit = limit
        self.retry_after = retry_after
        # What was refused, for the page: "sign-in requests from this network", …
        self.what = what


def _upsert_statement(session: Session) -> Any:
    """The counter's upsert for the session's dialect, built once: statement construction
    and its cache key cost more than running it, and a login pays for it on every request."""
    insert = insert_for(session)
    found = _UPSERTS.get(insert)
    if found is None:
        found = _UPSERTS[insert] = (
            insert(RateCounter)
            .values(
                scope=bindparam("scope"),
                key=bindparam("key"),
                window=bindparam("window"),
                hits=1,
                expires_at=bindparam("expires_at"),
            )
            .on_conflict_do_update(
                index_elements=["scope", "key", "window"],
                set_={"hits": RateCounter.hits + 1},
            )
            .returning(RateCounter.hits)
        )
    return found


_UPSERTS: dict[Any, Any] = {}
_SWEEP = delete(RateCounter).where(RateCounter.expires_at < bindparam("now"))


def count(session: Session, limit: Limit, key: str, now: float | None = None) -> int:
    """Count one hit in the session's transaction, which the caller commits (with the
    write the hit is for, in one transaction); 0 when within the limit, else the seconds
    to wait."""
    now = time.time() if now is None else now
    window = limit.window(now)
    values = {
        "scope": limit.scope,
        "key": key[:255],
        "window": window,
        "expires_at": (window + 1) * limit.seconds,
    }
    connection = session.connection()
    hits = connection.scalar(_upsert_statement(session), values) or 0
    if hits == 1:
        # A new window for this key: sweep the expired rows of every scope now and then.
        connection.execute(_SWEEP, {"now": int(now)})
    return 0 if hits <= limit.count else limit.retry_after(now)


def hit(factory: sessionmaker[Session], limit: Limit, key: str, now: float | None = None) -> int:
    """:func:`count` in a transaction of its own, committed at once."""
    with factory.begin() as session:
        return count(session, limit, key, now)


def check(factory: sessionmaker[Session], limit: Limit, key: str, what: str) -> None:
    """``hit``, raising :class:`RateLimited` when over the limit."""
    wait = hit(factory, limit, key)
    if wait:
        raise RateLimited(limit, wait, what)


def forgive(factory: sessionmaker[Session], limit: Limit, key: str, *, all_hits: bool) -> None:
    """Take back one hit (or all of this window's) of a key, e.g. after a right password."""
    with factory.begin() as session:
        match = (RateCounter.scope == limit.scope) & (RateCounter.key == key[:255])
        if all_hits:
            session.execute(delete(RateCounter).where(match))
        else:
            session.execute(
                update(RateCounter)
                .where(match, RateCounter.window == limit.window(time.time()), RateCounter.hits > 0)
                .values(hits=RateCounter.hits - 1)
            )
