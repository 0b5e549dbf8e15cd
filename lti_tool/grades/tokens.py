"""Platform access tokens, cached in the database and shared by every worker and host.

1EdTech Security Framework §4.1: a tool gets an OAuth2 access token from the platform's
token endpoint with the client-credentials grant and a signed JWT assertion (RFC 7523).
pylti1p3 keeps tokens on one ``ServiceConnector`` object only, so each dispatcher, thread or
process would ask again; platforms rate-limit their token endpoint (Canvas does), so the
tool keeps one token per (issuer, client_id, token URL, scope set) until shortly before it
expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import utcnow
from lti_tool.models.grades import PlatformAccessToken

# A token is not handed out in its last minute (or last half of a short life), so a call
# that starts with it does not reach the platform after it expired.
EXPIRY_MARGIN_SECONDS = 60
# RFC 6749 §5.1 makes expires_in optional; platforms that omit it give an hour.
DEFAULT_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class TokenKey:
    issuer: str
    client_id: str
    token_url: str
    scopes: tuple[str, ...]

    @classmethod
    def of(cls, issuer: str, client_id: str, token_url: str, scopes: Iterable[str]) -> TokenKey:
        return cls(issuer, client_id, token_url, tuple(sorted(set(scopes))))

    @property
    def scope_text(self) -> str:
        return " ".join(self.scopes)

    @property
    def cache_key(self) -> str:
        raw = "\n".join((self.issuer, self.client_id, self.token_url, self.scope_text))
        return hashlib.sha256(raw.encode()).hexdigest()


def usable_until(now: dt.datetime, expires_in: int | None) -> dt.datetime:
    lifetime = expires_in if expires_in and expires_in > 0 else DEFAULT_LIFETIME_SECONDS
    margin = min(EXPIRY_MARGIN_SECONDS, lifetime / 2)
    return now + dt.timedelta(seconds=lifetime - margin)


class TokenCache:
    """Reads and writes the shared cache; each call is its own short transaction."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        # This process's copy of what it last read or wrote, so a busy dispatcher does not
        # query the table for every score; the table stays the copy every worker shares.
        self._memo: dict[str, tuple[str, dt.datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: TokenKey, now: dt.datetime | None = None) -> str | None:
        now = now or utcnow()
        with self._lock:
            memo = self._memo.get(key.cache_key)
        if memo is not None and memo[1] > now:
            return memo[0]
        with self._session_factory() as session:
            row = session.scalar(
                select(PlatformAccessToken).where(PlatformAccessToken.cache_key == key.cache_key)
            )
        if row is None or row.expires_at <= now:
            return None
        with self._lock:
            self._memo[key.cache_key] = (row.access_token, row.expires_at)
        return row.access_token

    def put(
        self,
        key: TokenKey,
        access_token: str,
        expires_in: int | None,
        now: dt.datetime | None = None,
    ) -> None:
        """Store a fresh token; when two workers fetched at once, the later one wins."""
        now = now or utcnow()
        expires_at = usable_until(now, expires_in)
        values = {
            "cache_key": key.cache_key,
            "issuer": key.issuer,
            "client_id": key.client_id,
            "token_url": key.token_url,
            "scopes": key.scope_text,
            "access_token": access_token,
            "expires_at": expires_at,
            "fetched_at": now,
        }
        changing = {name: values[name] for name in ("access_token", "expires_at", "fetched_at")}
        with self._lock:
            self._memo[key.cache_key] = (access_token, expires_at)
        with self._session_factory.begin() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            statement = insert(PlatformAccessToken).values(**values)
            session.execute(
                statement.on_conflict_do_update(index_elements=["cache_key"], set_=changing)
            )

    def forget(self, key: TokenKey, access_token: str) -> None:
        """Drop a token the platform refused (401), unless another worker already replaced it."""
        with self._lock:
            if self._memo.get(key.cache_key, ("", None))[0] == access_token:
                del self._memo[key.cache_key]
        with self._session_factory.begin() as session:
            session.execute(
                delete(PlatformAccessToken).where(
                    PlatformAccessToken.cache_key == key.cache_key,
                    PlatformAccessToken.access_token == access_token,
                )
            )
