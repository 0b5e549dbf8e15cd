"""Issue 10, scenario 4: parallel wrong-password POSTs must not outrun the sign-in throttle.

Before, the throttle counted failures and then recorded the attempt: 40 guesses sent at
once were all counted before any was recorded, and 18 passwords were checked for a limit
of 5. Each attempt now takes its slot in one atomic upsert before the password is checked.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from lti_tool.admin.operators import ADDRESS_LIMIT, USERNAME_LIMIT
from lti_tool.extensions import ToolServices
from lti_tool.models.admin import LoginAttempt
from tests.conftest import Served, unique
from tests.registration.fixtures import OperatorLogin, client_from, csrf_of

PARALLEL = 40


def _prepared(base_url: str, address: str) -> tuple[requests.Session, str]:
    client = client_from(address)
    return client, csrf_of(client.get(f"{base_url}/admin/login", timeout=10))


def _race(base_url: str, guesses: list[tuple[requests.Session, str, str]]) -> list[int]:
    def post(guess: tuple[requests.Session, str, str]) -> requests.Response:
        client, token, username = guess
        return client.post(
            f"{base_url}/admin/login",
            data={"username": username, "password": "wrong guess", "csrf_token": token},
            timeout=30,
            allow_redirects=False,
        )

    with ThreadPoolExecutor(PARALLEL) as pool:
        responses = list(pool.map(post, guesses))
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {401, 429}, statuses
    for refused in (response for response in responses if response.status_code == 429):
        assert "Too many failed sign-ins" in refused.text
    return statuses


def _checked(services: ToolServices, **match: str) -> int:
    column = LoginAttempt.username if "username" in match else LoginAttempt.ip
    value = next(iter(match.values()))
    with services.session_factory() as session:
        return session.scalar(select(func.count()).where(column == value)) or 0


def test_parallel_guesses_at_one_username_get_no_more_checks_than_the_limit(
    console_tool: Served, console_services: ToolServices, operator: OperatorLogin
) -> None:
    # Each guess from its own address, so only the username's limit applies.
    prefix = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}."
    guesses = [
        (*_prepared(console_tool.base_url, prefix + str(n + 2)), operator.username)
        for n in range(PARALLEL)
    ]

    statuses = _race(console_tool.base_url, guesses)

    # Every checked password is recorded: exactly the limit, not one more.
    assert _checked(console_services, username=operator.username) == USERNAME_LIMIT
    assert statuses.count(401) == USERNAME_LIMIT
    assert statuses.count(429) == PARALLEL - USERNAME_LIMIT


def test_parallel_guesses_from_one_address_get_no_more_checks_than_the_limit(
    console_tool: Served, console_services: ToolServices, from_address: str
) -> None:
    # Every guess at another username, so only the address's limit applies.
    guesses = [
        (*_prepared(console_tool.base_url, from_address), unique("guess-")) for _ in range(PARALLEL)
    ]

    statuses = _race(console_tool.base_url, guesses)

    assert _checked(console_services, ip=from_address) == ADDRESS_LIMIT
    assert statuses.count(401) == ADDRESS_LIMIT
    assert statuses.count(429) == PARALLEL - ADDRESS_LIMIT


def test_a_throttled_sign_in_says_when_to_try_again(
    console_tool: Served, operator: OperatorLogin
) -> None:
    prefix = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}."
    for n in range(USERNAME_LIMIT):
        client, token = _prepared(console_tool.base_url, prefix + str(n + 2))
        client.post(
            f"{console_tool.base_url}/admin/login",
            data={"username": operator.username, "password": "wrong", "csrf_token": token},
            timeout=10,
        )
    client, token = _prepared(console_tool.base_url, prefix + "200")

    refused = client.post(
        f"{console_tool.base_url}/admin/login",
        data={"username": operator.username, "password": operator.password, "csrf_token": token},
        timeout=10,
        allow_redirects=False,
    )

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60 + 1
