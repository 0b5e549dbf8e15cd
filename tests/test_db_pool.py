"""Pooled PostgreSQL connections: pinged only after sitting idle, replaced when found dead.

A ping is a round trip; a connection handed back a moment ago needs none (a launch checks
out twice). One the server dropped while it idled must never reach a request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from lti_tool.db import make_engine, ping_when_idle
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(
    not is_postgres(), reason="PostgreSQL only: scripts/test.sh runs it in its PostgreSQL pass"
)


class Pings:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        original = engine.dialect.do_ping

        def counted(connection: Any) -> bool:
            self.count += 1
            return bool(original(connection))

        engine.dialect.do_ping = counted  # type: ignore[method-assign]


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture
def engines(database_url: str) -> Iterator[list[Engine]]:
    made: list[Engine] = []
    yield made
    for engine in made:
        engine.dispose()


def test_a_connection_handed_back_a_moment_ago_is_used_without_a_ping(
    database_url: str, engines: list[Engine]
) -> None:
    engine = make_engine(database_url, pool_size=1)
    engines.append(engine)
    pings = Pings(engine)

    first = _backend(engine)
    second = _backend(engine)

    assert second == first  # the same pooled connection
    assert pings.count == 0


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(
    database_url: str, engines: list[Engine]
) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=0.05)
    admin = create_engine(database_url, poolclass=None)
    engines.extend([engine, admin])
    pings = Pings(engine)
    dropped = _backend(engine)
    with admin.connect() as connection:
        assert connection.execute(text(f"SELECT pg_terminate_backend({dropped})")).scalar()
    time.sleep(0.2)

    replacement = _backend(engine)  # no error: the pool found it dead and connected anew

    assert replacement != dropped
    assert pings.count == 1
