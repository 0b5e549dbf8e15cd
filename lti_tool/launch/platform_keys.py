"""Platforms' public keys (JWKS), cached and parsed once.

A launch's kid is looked up in memory, then in the database cache shared by workers,
then fetched. A kid the cached set does not know triggers one refetch (platforms
rotate keys), at most once per ``min_refetch_seconds`` per URL so a flood of made-up
kids cannot turn into a flood of fetches; concurrent misses in a process share one
fetch. Parsed key objects are kept: converting a JWK costs far more than verifying.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import jwt
import requests
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import utcnow
from lti_tool.launch.errors import PlatformUnreachable, UnknownSigningKey
from lti_tool.models import PlatformKeySet


class PlatformKeyCache:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        http: requests.Session,
        ttl_seconds: int = 3600,
        timeout_seconds: int = 10,
        min_refetch_seconds: int = 10,
    ) -> None:
        self._session_factory = session_factory
        self._http = http
        self._ttl = dt.timedelta(seconds=ttl_seconds)
        self._timeout = timeout_seconds
        self._min_refetch = dt.timedelta(seconds=min_refetch_seconds)
        self._keys: dict[str, dict[str, jwt.PyJWK]] = {}
        self._fetched_at: dict[str, dt.datetime] = {}
        self._url_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def key_for(self, key_set_url: str, kid: str) -> jwt.PyJWK:
        keys = self._current(key_set_url)
        if kid in keys:
            return keys[kid]
        keys = self._refresh(key_set_url, reason_kid=kid)
        if kid not in keys:
            raise UnknownSigningKey(f"kid {kid!r} is not in {key_set_url}")
        return keys[kid]

    def _lock_for(self, url: str) -> threading.Lock:
        with self._guard:
            return self._url_locks.setdefault(url, threading.Lock())

    def _current(self, url: str) -> dict[str, jwt.PyJWK]:
        fetched = self._fetched_at.get(url)
        if fetched and utcnow() - fetched < self._ttl:
            return self._keys[url]
        with self._lock_for(url):
            fetched = self._fetched_at.get(url)
            if fetched and utcnow() - fetched < self._ttl:
                return self._keys[url]
            with self._session_factory() as session:
                row = session.get(PlatformKeySet, url)
                if row and utcnow() - row.fetched_at < self._ttl:
                    self._remember(url, row.jwks, row.fetched_at)
                    return self._keys[url]
            return self._fetch(url)

    def _refresh(self, url: str, reason_kid: str) -> dict[str, jwt.PyJWK]:
        with self._lock_for(url):
            # Another thread may have refetched while this one waited for the lock.
            if reason_kid in self._keys.get(url, {}):
                return self._keys[url]
            fetched = self._fetched_at.get(url)
            if fetched and utcnow() - fetched < self._min_refetch:
                return self._keys.get(url, {})
            return self._fetch(url)

    def _fetch(self, url: str) -> dict[str, jwt.PyJWK]:
        try:
            response = self._http.get(url, timeout=self._timeout)
            response.raise_for_status()
            jwks = response.json()
            if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
                raise ValueError("no 'keys' list")
        except (requests.RequestException, ValueError) as exc:
            raise PlatformUnreachable(f"fetching {url} failed: {exc}") from exc
        now = utcnow()
        try:
            with self._session_factory.begin() as session:
                row = session.get(PlatformKeySet, url)
                if row is None:
                    session.add(PlatformKeySet(key_set_url=url, jwks=jwks, fetched_at=now))
                else:
                    row.jwks, row.fetched_at = jwks, now
        except IntegrityError:
            pass  # another worker stored the same fetch first; ours is as good in memory
        self._remember(url, jwks, now)
        return self._keys[url]

    def _remember(self, url: str, jwks: dict[str, Any], fetched_at: dt.datetime) -> None:
        parsed: dict[str, jwt.PyJWK] = {}
        for entry in jwks.get("keys", []):
            kid = entry.get("kid")
            # Only RSA signing keys: an id_token must be RS256 (LTI Security Framework §5.1.3).
            if not kid or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
                continue
            try:
                parsed[kid] = jwt.PyJWK(entry, algorithm="RS256")
            except jwt.PyJWTError:
                continue  # one malformed key must not hide the good ones
        self._keys[url] = parsed
        self._fetched_at[url] = fetched_at
