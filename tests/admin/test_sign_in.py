"""Console sign-in: passwords, sessions that expire, CSRF, and throttling kept in the database."""

from __future__ import annotations

import datetime as dt
import time

import requests
from flask import Flask
from sqlalchemy import select

from lti_tool.admin.operators import (
    ADDRESS_LIMIT,
    BY_ADDRESS,
    BY_USERNAME,
    USERNAME_LIMIT,
    find_operator,
    set_password,
)
from lti_tool.admin.security import CSRF_KEY, IDLE_TIMEOUT, SESSION_KEY
from lti_tool.db import transaction, utcnow
from lti_tool.extensions import ToolServices
from lti_tool.limits import hit
from lti_tool.models.admin import Operator
from tests.conftest import Sandbox, Served, launch, unique
from tests.registration.fixtures import OperatorLogin, client_from, csrf_of, sign_in


def console(served: Served, path: str = "/admin/") -> str:
    return served.base_url + path


def test_operator_signs_in_and_reaches_the_console(
    console_tool: Served, operator: OperatorLogin, from_address: str
) -> None:
    client = client_from(from_address)

    response = sign_in(client, console_tool.base_url, operator.username, operator.password)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get(console(console_tool), timeout=10)
    assert page.status_code == 200
    assert operator.username in page.text
    assert page.headers["Content-Security-Policy"].startswith("frame-ancestors 'none'")
    assert page.headers["Cache-Control"] == "no-store"


def test_password_is_stored_as_an_argon2_hash(
    console_services: ToolServices, operator: OperatorLogin
) -> None:
    with transaction(console_services.session_factory) as session:
        stored = find_operator(session, operator.username)

    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert operator.password not in stored.password_hash


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    console_tool: Served, operator: OperatorLogin, from_address: str
) -> None:
    client = client_from(from_address)

    wrong_password = sign_in(client, console_tool.base_url, operator.username, "not the password")
    no_such_user = sign_in(client, console_tool.base_url, unique("nobody-"), operator.password)

    assert wrong_password.status_code == no_such_user.status_code == 401
    assert "Wrong username or password." in wrong_password.text
    assert "Wrong username or password." in no_such_user.text
    assert client.get(console(console_tool), timeout=10).url.startswith(
        console(console_tool, "/admin/login")
    )


def test_console_pages_send_anonymous_visitors_to_sign_in(console_tool: Served) -> None:
    for path in ("/admin/", "/admin/platforms", "/admin/grades", "/admin/keys", "/admin/launches"):
        response = requests.get(console(console_tool, path), timeout=10, allow_redirects=False)

        assert response.status_code == 302
        assert "/admin/login" in response.headers["Location"]


def test_an_lms_administrator_launch_gives_no_access_to_the_console(
    console_tool: Served, sandbox: Sandbox
) -> None:
    landed = launch(sandbox.driver("moodle"), "admin", "admin")
    assert landed.status_code == 200
    browser: requests.Session = landed.session  # type: ignore[attr-defined]

    response = browser.get(console(console_tool), timeout=10, allow_redirects=False)

    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_sign_in_without_the_forms_csrf_token_is_refused(
    console_tool: Served, operator: OperatorLogin, from_address: str
) -> None:
    client = client_from(from_address)
    client.get(console(console_tool, "/admin/login"), timeout=10)

    response = client.post(
        console(console_tool, "/admin/login"),
        data={"username": operator.username, "password": operator.password},
        timeout=10,
        allow_redirects=False,
    )

    assert response.status_code == 400
    assert "Nothing was changed" in response.text
    assert client.get(console(console_tool), timeout=10, allow_redirects=False).status_code == 302


def test_console_form_with_a_wrong_csrf_token_changes_nothing(
    console_tool: Served, console_services: ToolServices, signed_in: requests.Session
) -> None:
    page = signed_in.get(console(console_tool, "/admin/settings"), timeout=10)
    assert csrf_of(page)

    response = signed_in.post(
        console(console_tool, "/admin/settings"),
        data={"csrf_token": "forged", "require_approval": "on"},
        timeout=10,
        allow_redirects=False,
    )

    assert response.status_code == 400
    assert "out of date or was not sent from the console" in response.text
    with transaction(console_services.session_factory) as session:
        from lti_tool.registration.policy import registration_policy

        assert registration_policy(session).require_approval is False


def test_failed_sign_ins_lock_the_username_whatever_the_address(
    console_tool: Served, operator: OperatorLogin, from_address: str
) -> None:
    for attempt in range(USERNAME_LIMIT):
        # Each guess from another address: the limit follows the username.
        guesser = client_from(f"127.9.{attempt + 1}.{int(time.time()) % 200 + 2}")
        assert (
            sign_in(guesser, console_tool.base_url, operator.username, "guess").status_code == 401
        )

    locked = sign_in(
        client_from(from_address), console_tool.base_url, operator.username, operator.password
    )

    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text


def test_failures_recorded_by_other_workers_lock_an_address(
    console_tool: Served,
    console_services: ToolServices,
    operator: OperatorLogin,
    from_address: str,
) -> None:
    # Another worker (another process) counted these failures; it shares only the database.
    for _ in range(ADDRESS_LIMIT):
        hit(console_services.session_factory, BY_ADDRESS, from_address)

    locked = sign_in(
        client_from(from_address), console_tool.base_url, operator.username, operator.password
    )
    elsewhere = sign_in(
        client_from("127.8.8.8"), console_tool.base_url, operator.username, operator.password
    )

    assert locked.status_code == 429
    assert elsewhere.status_code == 302


def test_failures_older_than_the_window_do_not_count(
    console_tool: Served,
    console_services: ToolServices,
    operator: OperatorLogin,
    from_address: str,
) -> None:
    long_ago = (utcnow() - dt.timedelta(hours=1)).timestamp()
    for _ in range(USERNAME_LIMIT + 1):
        hit(console_services.session_factory, BY_USERNAME, operator.username, long_ago)

    response = sign_in(
        client_from(from_address), console_tool.base_url, operator.username, operator.password
    )

    assert response.status_code == 302


def forged_session_cookie(app: Flask, operator: Operator, seen: float) -> str:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    data = {
        SESSION_KEY: {
            "id": operator.id,
            "epoch": operator.session_epoch,
            "since": int(seen),
            "seen": int(seen),
        },
        CSRF_KEY: "token",
    }
    return str(serializer.dumps(data))


def test_a_session_idle_for_longer_than_the_timeout_must_sign_in_again(
    console_tool: Served, console_services: ToolServices, operator: OperatorLogin
) -> None:
    with transaction(console_services.session_factory) as session:
        row = session.scalar(select(Operator).where(Operator.username == operator.username))
    assert row is not None
    idle = time.time() - IDLE_TIMEOUT.total_seconds() - 60
    fresh = time.time() - 60

    stale = requests.get(
        console(console_tool),
        cookies={"session": forged_session_cookie(console_tool.app, row, idle)},
        timeout=10,
        allow_redirects=False,
    )
    recent = requests.get(
        console(console_tool),
        cookies={"session": forged_session_cookie(console_tool.app, row, fresh)},
        timeout=10,
        allow_redirects=False,
    )

    assert stale.status_code == 302
    assert "expired=1" in stale.headers["Location"]
    assert recent.status_code == 200


def test_changing_the_password_ends_open_sessions(
    console_tool: Served,
    console_services: ToolServices,
    operator: OperatorLogin,
    signed_in: requests.Session,
) -> None:
    assert (
        signed_in.get(console(console_tool), timeout=10, allow_redirects=False).status_code == 200
    )
    with transaction(console_services.session_factory) as session:
        row = find_operator(session, operator.username)
        assert row is not None
        set_password(session, row, "a brand new long password")

    response = signed_in.get(console(console_tool), timeout=10, allow_redirects=False)

    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_sign_out_ends_the_session(console_tool: Served, signed_in: requests.Session) -> None:
    page = signed_in.get(console(console_tool), timeout=10)

    signed_in.post(
        console(console_tool, "/admin/logout"), data={"csrf_token": csrf_of(page)}, timeout=10
    )

    response = signed_in.get(console(console_tool), timeout=10, allow_redirects=False)
    assert response.status_code == 302
