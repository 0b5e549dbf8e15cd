"""Fixtures shared by the registration and console tests.

``console_tool`` is the session's tool server (it serves the registration pages and the
console). ``operator`` makes a console operator; ``signed_in`` a
``requests`` session signed in as one. ``from_address`` gives a client that connects from
its own loopback address, so sign-in throttling by address in one test never reaches another.
``lms`` is a sandbox LMS of the test's own: tests that register the tool dynamically use it,
so the session sandbox keeps one registration per issuer for the other tests.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from requests.adapters import HTTPAdapter
from werkzeug.serving import make_server

from lti_tool.admin.operators import create_operator
from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.sandbox import SandboxSettings, create_sandbox_app, sandbox_of
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.flavours import FLAVOURS
from lti_tool.sandbox.forms import HtmlForm, parse_forms
from tests.conftest import Served, unique

OPERATOR_PASSWORD = "correct horse battery staple"


def serve_briefly(host: str, build: Any) -> Served:
    """Like ``tests.conftest.serve``, for servers a single test starts and stops: polling
    for shutdown every 20 ms makes stopping take milliseconds instead of half a second."""
    server = make_server(host, 0, lambda environ, start_response: [], threaded=True)
    base_url = f"http://{host}:{server.server_port}"
    server.app = build(base_url)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    return Served(base_url=base_url, app=server.app, server=server, thread=thread)


@pytest.fixture(scope="session")
def console_tool(tool: Served) -> Served:
    """The session's tool server, which serves the registration pages and the console."""
    return tool


@pytest.fixture(scope="session")
def console_services(console_tool: Served) -> ToolServices:
    services: ToolServices = console_tool.app.extensions["lti_tool"]
    return services


@dataclass(frozen=True)
class OperatorLogin:
    username: str
    password: str


@pytest.fixture
def operator(console_services: ToolServices) -> OperatorLogin:
    username = unique("op-")
    with transaction(console_services.session_factory) as session:
        create_operator(session, username, OPERATOR_PASSWORD)
    return OperatorLogin(username, OPERATOR_PASSWORD)


class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(address: str) -> requests.Session:
    client = requests.Session()
    adapter = _SourceAddressAdapter(address)
    client.mount("http://", adapter)
    return client


@pytest.fixture
def from_address() -> str:
    """A loopback address no other test connects from."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def form_in(page: requests.Response, action_contains: str = "") -> HtmlForm:
    forms = [form for form in parse_forms(page.text, page.url) if action_contains in form.action]
    assert forms, f"no form with {action_contains!r} on {page.url} ({page.status_code})"
    return forms[0]


def csrf_of(page: requests.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {page.url}"
    return match.group(1)


def sign_in(
    client: requests.Session, base_url: str, username: str, password: str
) -> requests.Response:
    page = client.get(f"{base_url}/admin/login", timeout=10)
    return client.post(
        f"{base_url}/admin/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page)},
        timeout=10,
        allow_redirects=False,
    )


@pytest.fixture
def signed_in(console_tool: Served, operator: OperatorLogin, from_address: str) -> requests.Session:
    client = client_from(from_address)
    response = sign_in(client, console_tool.base_url, operator.username, operator.password)
    assert response.status_code == 302, response.text
    return client


def post_form(
    client: requests.Session, page: requests.Response, action_contains: str, **changes: str
) -> requests.Response:
    form = form_in(page, action_contains)
    fields = {**form.fields, **changes}
    return client.post(form.action, data=fields, timeout=15, allow_redirects=False)


@dataclass
class Lms:
    """A sandbox LMS of the test's own. Registrations made in it have issuers no other
    test uses (its own address for Moodle, its own name for Canvas), so they never sit
    beside the session sandbox's registrations, and its settings may differ."""

    served: Served

    @property
    def base_url(self) -> str:
        return self.served.base_url

    def driver(self, flavour: str, client_id: str | None = None) -> SandboxDriver:
        return SandboxDriver(self.base_url, flavour, client_id=client_id)


_LMS_PORTS_USED: set[int] = set()


@pytest.fixture
def make_lms(tmp_path: Path, console_services: ToolServices) -> Iterator[Any]:
    started: list[Served] = []

    # Imported here: tests.registration.flows imports this module.
    from tests.registration.flows import registrations_of

    def make(**settings: Any) -> Lms:
        root = tmp_path / unique("lms-")

        def build(base_url: str) -> Flask:
            return create_sandbox_app(
                SandboxSettings(
                    base_url=base_url,
                    database_path=root / "sandbox.sqlite3",
                    keys_dir=root / "keys",
                    canvas_issuer=f"https://canvas-{unique()}.sandbox.test",
                    **settings,
                )
            )

        # Moodle's issuer is its wwwroot (host and port): a port an earlier LMS of this
        # session had would make this one the same issuer as that LMS's registrations,
        # which still sit in the shared database (a second registration for an issuer waits
        # for approval). Other suites' sandboxes (tests/grades' per-test LMS) are also
        # "localhost:<port>" and leave their registrations behind, so the database is asked
        # too, not only this fixture's own list of ports.
        while True:
            served = serve_briefly("localhost", build)
            port = served.server.server_port
            issuer = sandbox_of(served.app).issuer(FLAVOURS["moodle"])
            if port not in _LMS_PORTS_USED and not registrations_of(console_services, issuer):
                break
            served.stop()
            sandbox_of(served.app).dispose()
        _LMS_PORTS_USED.add(port)
        started.append(served)
        return Lms(served)

    yield make
    for served in started:
        served.stop()
        sandbox_of(served.app).dispose()


@pytest.fixture
def lms(make_lms: Any) -> Lms:
    lms: Lms = make_lms()
    return lms
