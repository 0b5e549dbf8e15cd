"""Issue 10, scenario 5: unauthenticated requests must not write without bound.

Before, ``POST /lti/login`` stored a 1.9 MB ``login_hint`` in a login state and echoed it in
the Location header, 200 junk logins made 200 ``launch_failures`` rows, and
``/lti/register`` made 40 outbound fetches in 0.6 s without a 429.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from lti_tool.extensions import ToolServices
from lti_tool.models import LaunchFailure, RateCounter, UsedLoginState
from lti_tool.sandbox.driver import SandboxDriver
from tests.conftest import Served, served_tool, unique
from tests.registration.fixtures import client_from, serve_briefly

LOGINS_PER_MINUTE = 10
REGISTRATIONS_PER_HOUR = 4
FAILURES_KEPT = 25


@pytest.fixture(scope="module")
def limited_tool(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_tool(
        database_url,
        tmp_path_factory.mktemp("limited-tool"),
        login_rate_per_minute=LOGINS_PER_MINUTE,
        register_rate_per_hour=REGISTRATIONS_PER_HOUR,
    ) as served:
        yield served


@pytest.fixture(scope="module")
def capped_tool(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_tool(
        database_url, tmp_path_factory.mktemp("capped-tool"), launch_failures_kept=FAILURES_KEPT
    ) as served:
        yield served


def _services(served: Served) -> ToolServices:
    services: ToolServices = served.app.extensions["lti_tool"]
    return services


def _count(served: Served, model: Any, *where: Any) -> int:
    with _services(served).session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _well_inside_a_window(seconds: int) -> None:
    # The limits count in fixed windows: start a burst early in one, so it does not straddle two.
    if time.time() % seconds > seconds - 10:
        time.sleep(seconds - time.time() % seconds + 0.5)


def _junk_login(client: requests.Session, served: Served, marker: str) -> requests.Response:
    return client.get(
        served.base_url + "/lti/login",
        params={
            "iss": "https://junk.example",
            "login_hint": "x",
            "target_link_uri": served.base_url + "/lti/launch",
            "client_id": marker,
        },
        timeout=10,
        allow_redirects=False,
    )


def test_an_oversized_login_hint_is_refused_stored_nowhere_and_not_echoed(
    limited_tool: Served, canvas: SandboxDriver, from_address: str
) -> None:
    details = canvas.platform_registration()
    hint = "hint-" + "Q" * (1900 * 1024)

    # An address of its own: the counters are in the database every tool of the session
    # shares, and the session's other logins all come from 127.0.0.1.
    response = client_from(from_address).post(
        limited_tool.base_url + "/lti/login",
        data={
            "iss": details["issuer"],
            "client_id": details["client_id"],
            "login_hint": hint,
            "target_link_uri": limited_tool.base_url + "/lti/launch",
        },
        timeout=30,
        allow_redirects=False,
    )

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "login request that is too large" in response.text
    assert "QQQQQQQQ" not in response.text
    assert not [name for name in response.cookies.get_dict() if name.startswith("lti1p3-")]
    assert _count(limited_tool, LaunchFailure, LaunchFailure.detail.contains("QQQQQQQQ")) == 0


def test_a_flood_of_junk_logins_from_one_address_is_cut_off_with_429(
    limited_tool: Served, from_address: str
) -> None:
    client, marker = client_from(from_address), unique("junk-")
    _well_inside_a_window(60)

    responses = [_junk_login(client, limited_tool, marker) for _ in range(3 * LOGINS_PER_MINUTE)]

    statuses = [response.status_code for response in responses]
    assert statuses.count(403) == LOGINS_PER_MINUTE
    assert statuses.count(429) == 2 * LOGINS_PER_MINUTE
    refused = responses[-1]
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert "Too many requests" in refused.text and "try again" in refused.text
    # Only the logins that were looked at left a failure row for the console.
    assert _count(limited_tool, LaunchFailure, LaunchFailure.client_id == marker) == (
        LOGINS_PER_MINUTE
    )
    # Another address is not held back by this one's flood.
    another = f"127.0.{from_address.split('.')[2]}.{int(from_address.split('.')[3]) % 253 + 2}"
    assert another != from_address
    assert _junk_login(client_from(another), limited_tool, marker).status_code == 403


def test_a_flood_of_genuine_logins_writes_nothing(limited_tool: Served, from_address: str) -> None:
    """A login's state is signed and carried by the browser: however many genuine logins
    arrive, none writes a row (so none needs counting against a limit either)."""
    from lti_tool.registration.platforms import add_platform

    client, marker = client_from(from_address), unique("flood-")
    issuer = f"https://{marker}.example"
    with _services(limited_tool).session_factory.begin() as session:
        add_platform(
            session,
            issuer=issuer,
            client_id=marker,
            auth_login_url=issuer + "/auth",
            auth_token_url=issuer + "/token",
            key_set_url=issuer + "/jwks",
        )
    _well_inside_a_window(60)
    tables = (UsedLoginState, RateCounter, LaunchFailure)
    before = [_count(limited_tool, table) for table in tables]

    answers = [
        client.get(
            limited_tool.base_url + "/lti/login",
            params={
                "iss": issuer,
                "login_hint": "x",
                "target_link_uri": limited_tool.base_url + "/lti/launch",
                "client_id": marker,
            },
            timeout=10,
            allow_redirects=False,
        )
        for _ in range(3 * LOGINS_PER_MINUTE)
    ]

    assert [answer.status_code for answer in answers] == [302] * 3 * LOGINS_PER_MINUTE
    assert all(answer.headers["Location"].startswith(issuer + "/auth?") for answer in answers)
    assert [_count(limited_tool, table) for table in tables] == before


def test_refused_launches_are_kept_to_a_bounded_number(capped_tool: Served) -> None:
    marker = unique("capped-")
    client = client_from("127.0.0.1")

    for _ in range(2 * FAILURES_KEPT):
        assert _junk_login(client, capped_tool, marker).status_code == 403

    assert _count(capped_tool, LaunchFailure) <= FAILURES_KEPT
    assert _count(capped_tool, LaunchFailure, LaunchFailure.client_id == marker) == FAILURES_KEPT


@pytest.fixture
def platform_configuration() -> Iterator[tuple[str, list[str]]]:
    """A platform configuration URL that counts how often the tool fetched it."""
    fetched: list[str] = []
    lock = threading.Lock()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with lock:
            fetched.append(environ["PATH_INFO"])
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no configuration here"]

    served = serve_briefly("127.0.0.1", lambda _base_url: app)
    yield served.base_url + "/.well-known/openid-configuration", fetched
    served.stop()


def test_dynamic_registration_requests_are_cut_off_with_429_before_fetching(
    limited_tool: Served, from_address: str, platform_configuration: tuple[str, list[str]]
) -> None:
    url, fetched = platform_configuration
    client = client_from(from_address)
    _well_inside_a_window(3600)

    responses = [
        client.get(
            limited_tool.base_url + "/lti/register",
            params={"openid_configuration": url, "registration_token": "t"},
            timeout=10,
        )
        for _ in range(3 * REGISTRATIONS_PER_HOUR)
    ]

    statuses = [response.status_code for response in responses]
    assert statuses.count(429) == 2 * REGISTRATIONS_PER_HOUR
    assert 429 not in statuses[:REGISTRATIONS_PER_HOUR]
    assert len(fetched) <= REGISTRATIONS_PER_HOUR
    assert int(responses[-1].headers["Retry-After"]) > 0
