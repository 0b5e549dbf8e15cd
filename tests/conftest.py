"""Shared fixtures: one tool server and one sandbox LMS per test session, over real HTTP.

The tool is served on 127.0.0.1 and the sandbox on localhost — two different sites, as
an LMS and a tool are. The database is SQLite in a temporary folder, or the PostgreSQL
server named by ``LTI_TOOL_TEST_DATABASE_URL`` (``scripts/test.sh`` sets it for its
second run). The schema is built by the Alembic migrations, as in production.

Tests share the session's database, so each test makes its own natural keys (users,
resource links) with :func:`unique`; nothing relies on a clean table.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.serving import BaseWSGIServer, make_server

from lti_tool import create_app
from lti_tool.config import PROJECT_ROOT, Settings
from lti_tool.extensions import ToolServices
from lti_tool.migrate import upgrade
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox_link import build_sandbox_app, register_sandbox_platforms
from tests.browsers import browser_page, chromium, playwright_driver  # noqa: F401  (fixtures)

TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-checks"


def unique(prefix: str = "") -> str:
    """A value no other test uses, for natural keys in the shared database."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def is_postgres() -> bool:
    return os.environ.get("LTI_TOOL_TEST_DATABASE_URL", "").startswith("postgresql")


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("LTI_TOOL_TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tool.sqlite3'}"
    upgrade(url)
    from lti_tool.catalog import load_activities
    from lti_tool.db import open_database, transaction

    with open_database(url) as factory, transaction(factory) as session:
        load_activities(session, PROJECT_ROOT / "configs" / "activities")
    return url


@dataclass
class Served:
    """A WSGI app served from a thread on loopback."""

    base_url: str
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _placeholder(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def serve(host: str, build: Any) -> Served:
    """Bind first (port 0), then build the app knowing its own URL, then serve."""
    server = make_server(host, 0, _placeholder, threaded=True)
    base_url = f"http://{host}:{server.server_port}"
    app = build(base_url)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True, name=f"serve-{host}")
    thread.start()
    return Served(base_url=base_url, app=app, server=server, thread=thread)


def tool_settings_for(base_url: str, database_url: str, root: Path, **overrides: Any) -> Settings:
    settings = Settings(
        instance_dir=root / "instance",
        database_url=database_url,
        base_url=base_url,
        keys_dir=root / "keys",
        secret_key=TEST_SECRET,
        activities_dir=PROJECT_ROOT / "configs" / "activities",
        sandbox_enabled=False,
        inline_grade_worker=False,
        http_timeout_seconds=5,
        **{
            # The whole suite launches and registers from one loopback address; the limits
            # themselves are tested in tests/security/ with their own settings.
            "login_rate_per_minute": 100_000,
            "register_rate_per_hour": 100_000,
            "corrections_per_day": 1_000,
            **overrides,
        },
    )
    return settings.resolved()


@contextmanager
def served_tool(database_url: str, root: Path, **overrides: Any) -> Iterator[Served]:
    """The tool on 127.0.0.1 with its files under ``root``; stopped and disconnected after."""
    served = serve(
        "127.0.0.1",
        lambda base_url: create_app(tool_settings_for(base_url, database_url, root, **overrides)),
    )
    try:
        yield served
    finally:
        served.stop()
        served.app.extensions["lti_tool"].engine.dispose()


@pytest.fixture(scope="session")
def tool(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_tool(database_url, tmp_path_factory.mktemp("tool")) as served:
        yield served


@pytest.fixture(scope="session")
def tool_services(tool: Served) -> ToolServices:
    services: ToolServices = tool.app.extensions["lti_tool"]
    return services


@dataclass
class Sandbox:
    served: Served

    @property
    def base_url(self) -> str:
        return self.served.base_url

    @property
    def app(self) -> Flask:
        return self.served.app

    def driver(self, flavour: str = "canvas", client_id: str | None = None) -> SandboxDriver:
        return SandboxDriver(self.base_url, flavour, client_id=client_id)


@pytest.fixture(scope="session")
def sandbox(tool: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("sandbox")
    settings = tool.app.extensions["lti_tool"].settings

    def build(base_url: str) -> Flask:
        return build_sandbox_app(settings, base_url, root)

    served = serve("localhost", build)
    register_sandbox_platforms(tool.app, served.app)
    yield Sandbox(served)
    served.stop()


@pytest.fixture(params=["canvas", "moodle"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def canvas(sandbox: Sandbox) -> SandboxDriver:
    return sandbox.driver("canvas")


@pytest.fixture
def moodle(sandbox: Sandbox) -> SandboxDriver:
    return sandbox.driver("moodle")


def launch(
    driver: SandboxDriver, user: str, role: str | None = None, **options: Any
) -> requests.Response:
    """A real launch through the sandbox, to the landing page the launch answers with.

    Returns the final response; ``response.url`` is the page under ``/a/<launch_token>/``.
    """
    session = requests.Session()
    response = driver.launch(session, user, role, **options)
    if response.status_code == 303:
        response = session.get(response.headers["Location"], timeout=10)
    response.session = session  # type: ignore[attr-defined]
    return response


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keeps each phase's report on the test item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In CI only, a failed browser test runs once more (Playwright's own CI default).

    The run's summary names each rerun ("R" in the progress line, "N rerun" at the end) and
    the failed try keeps its Playwright trace, so a retry never hides a cause.
    """
    if not os.environ.get("CI"):
        return
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.flaky(reruns=1))
