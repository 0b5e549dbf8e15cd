"""Behind a reverse proxy (LTI_TOOL_PROXY_HOPS=1) the sign-in throttle counts the client's
address from X-Forwarded-For; without it, the header is ignored (a client cannot spoof it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from lti_tool.models.admin import LoginAttempt
from tests.conftest import Served, served_tool, unique
from tests.registration.fixtures import csrf_of


def _failed_sign_in(base_url: str, username: str, forwarded_for: str) -> None:
    client = requests.Session()
    client.headers["X-Forwarded-For"] = forwarded_for
    page = client.get(f"{base_url}/admin/login", timeout=10)
    answer = client.post(
        f"{base_url}/admin/login",
        data={"username": username, "password": "wrong", "csrf_token": csrf_of(page)},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 401


def _recorded_addresses(served: Served, username: str) -> list[str]:
    with served.app.extensions["lti_tool"].session_factory() as session:
        return list(
            session.scalars(select(LoginAttempt.ip).where(LoginAttempt.username == username))
        )


@pytest.fixture(scope="module")
def proxied_tool(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root: Path = tmp_path_factory.mktemp("proxied-tool")
    with served_tool(database_url, root, proxy_hops=1) as served:
        yield served


def test_the_proxy_forwarded_address_is_the_one_throttled(proxied_tool: Served) -> None:
    username = unique("proxied-")
    _failed_sign_in(proxied_tool.base_url, username, "203.0.113.9")
    assert _recorded_addresses(proxied_tool, username) == ["203.0.113.9"]


def test_without_a_proxy_a_forwarded_header_is_ignored(tool: Served) -> None:
    username = unique("direct-")
    _failed_sign_in(tool.base_url, username, "203.0.113.9")
    assert _recorded_addresses(tool, username) == ["127.0.0.1"]
