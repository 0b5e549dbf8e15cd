"""A Flask-Caching backend in a SQL database, for the PEER tool's ``--peer-store database``.

The PEER tool keeps pylti1p3's state, nonce and launch data in a Flask-Caching cache. A
FileSystemCache serves one host only: in a production topology of two hosts (issue 17's),
a login on one and its launch on the other must share the store. This backend keeps them
in the database our tool uses (SQLite or PostgreSQL), in a table of its own, so the
benchmark can show what a shared, durable store costs a pylti1p3 tool on the same machine.

Written to flatter the peer, not to burden it: each operation is one autocommitted
statement on a pooled connection (no BEGIN and COMMIT round trips), values are pickled as
cachelib pickles them, and the platform's key set stays in a process cache (the launch
path caches it in memory, as our tool does).
"""

from __future__ import annotations

import pickle
import time
from typing import Any

from flask import Flask
from flask_caching.backends.base import BaseCache
from sqlalchemy import (
    Column,
    Float,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

_metadata = MetaData()
_entries = Table(
    "peer_cache",
    _metadata,
    Column("key", String(255), primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("expires", Float, nullable=False),  # Unix time; 0: never
)


class DatabaseCache(BaseCache):
    def __init__(self, url: str, default_timeout: int = 300) -> None:
        super().__init__(default_timeout=default_timeout)
        options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}
        if not url.startswith("sqlite"):
            options.update(pool_size=4, max_overflow=8)
        self._engine = create_engine(url, **options)
        if self._engine.dialect.name == "sqlite":
            # As our tool's database is set up (lti_tool.db).
            @event.listens_for(self._engine, "connect")
            def _pragmas(dbapi_connection: Any, _record: Any) -> None:
                for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
                    dbapi_connection.execute("PRAGMA " + pragma)

        try:
            _metadata.create_all(self._engine)
        except DBAPIError:
            # Every gunicorn worker creates it as it starts: one of them won.
            if not inspect(self._engine).has_table(_entries.name):
                raise
        # Each statement built once: built per call, it cost the peer more than running it.
        insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        upsert = insert(_entries)
        self._upsert = upsert.on_conflict_do_update(
            index_elements=[_entries.c.key],
            set_={"value": upsert.excluded.value, "expires": upsert.excluded.expires},
        )
        self._add = insert(_entries).on_conflict_do_nothing(index_elements=[_entries.c.key])
        self._read = select(_entries.c.value, _entries.c.expires).where(
            _entries.c.key == bindparam("key")
        )
        self._delete = delete(_entries).where(_entries.c.key == bindparam("key"))

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> DatabaseCache:
        return cls(config["PEER_STORE_DATABASE_URL"], config["CACHE_DEFAULT_TIMEOUT"])

    def _expires(self, timeout: int | None) -> float:
        timeout = self._normalize_timeout(timeout)
        return 0.0 if timeout == 0 else time.time() + timeout

    def get(self, key: str) -> Any:
        with self._engine.connect() as connection:
            row = connection.execute(self._read, {"key": key}).first()
        if row is None or (row.expires and row.expires < time.time()):
            return None
        return pickle.loads(row.value)  # noqa: S301 - values this process pickled

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        row = {"key": key, "value": pickle.dumps(value), "expires": self._expires(timeout)}
        with self._engine.connect() as connection:
            connection.execute(self._upsert, row)
        return True

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        row = {"key": key, "value": pickle.dumps(value), "expires": self._expires(timeout)}
        with self._engine.connect() as connection:
            return connection.execute(self._add, row).rowcount == 1

    def delete(self, key: str) -> bool:
        with self._engine.connect() as connection:
            return connection.execute(self._delete, {"key": key}).rowcount == 1

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def clear(self) -> bool:
        with self._engine.connect() as connection:
            connection.execute(delete(_entries))
        return True
