"""Fixtures for the credit tests: the tool with its journey and credit pages, reached through
the session's sandbox LMS over real HTTP; loopback SMTP (aiosmtpd) and CPE Monitor stand-in.

The session's shared tool serves the pages. The tests launch as a tool registration of their
own (its own client_id, without grade services) into a sandbox course of their own, so the
rosters, gradebooks and score outboxes other tests count are left as they were. Canvas only:
Moodle's login initiation names no client_id, so a second registration of the Moodle issuer
would make the tool guess between the two for every other test's Moodle launch.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from lti_tool.certificates.cpe_monitor_standin import (
    STANDIN_PASSWORD,
    STANDIN_PROVIDER_NUMBER,
    STANDIN_USERNAME,
    StandinState,
)
from lti_tool.certificates.cpe_monitor_wire import SUBMIT_PATH
from lti_tool.credit.settings import EXTENSION, CreditConfig, CreditSettings, config_from
from lti_tool.extensions import ToolServices
from lti_tool.pii import configure_pii
from lti_tool.sandbox import platform_registration, register_tool
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox_link import add_sandbox_platform
from tests.conftest import Sandbox, Served
from tests.cpe_standin import served_standin

from .support import Mailbox, SandboxPeople


@dataclass
class CreditTool:
    served: Served
    sandbox: Sandbox
    client_ids: dict[str, str]
    people: SandboxPeople

    @property
    def app(self) -> Flask:
        return self.served.app

    @property
    def base_url(self) -> str:
        return self.served.base_url

    @property
    def services(self) -> ToolServices:
        found: ToolServices = self.app.extensions["lti_tool"]
        return found

    def driver(self, flavour: str = "canvas") -> SandboxDriver:
        return self.sandbox.driver(flavour, client_id=self.client_ids[flavour])

    @property
    def config(self) -> CreditConfig:
        found: CreditConfig = self.app.extensions[EXTENSION]
        return found


def _register_in_sandbox(sandbox: Sandbox, served: Served) -> dict[str, str]:
    client_ids: dict[str, str] = {}
    services: ToolServices = served.app.extensions["lti_tool"]
    for flavour in ("canvas",):
        registered = register_tool(
            sandbox.app,
            flavour,
            tool_base_url=served.base_url,
            name="CME credit tests",
            scopes=(),  # no AGS or NRPS: these launches queue no scores
            primary=False,
        )
        details = platform_registration(sandbox.app, flavour, registered.client_id)
        with services.session_factory.begin() as session:
            add_sandbox_platform(session, details, f"Sandbox LMS ({flavour}) for credit tests")
        client_ids[flavour] = registered.client_id
    return client_ids


@pytest.fixture(scope="session")
def credit_tool(tool: Served, sandbox: Sandbox) -> CreditTool:
    """The session's tool (its database holds the bundled activities) and sandbox LMS."""
    client_ids = _register_in_sandbox(sandbox, tool)
    return CreditTool(tool, sandbox, client_ids, SandboxPeople(sandbox.app, client_ids))


@pytest.fixture(autouse=True)
def credit_config(credit_tool: CreditTool, tmp_path: Path) -> Iterator[CreditConfig]:
    """Each test starts with the embedded default: no SMTP host (mail written to a folder of
    its own) and no CPE Monitor; tests change it with ``configure_credit``."""
    configure_pii(credit_tool.services.settings.keys_dir)
    settings = replace(credit_tool.services.settings, instance_dir=tmp_path / "instance")
    config = config_from(settings, CreditSettings())
    config = replace(config, mail_backoff_seconds=0.05)
    previous = credit_tool.app.extensions.get(EXTENSION)
    credit_tool.app.extensions[EXTENSION] = config
    yield config
    if previous is None:
        credit_tool.app.extensions.pop(EXTENSION, None)
    else:
        credit_tool.app.extensions[EXTENSION] = previous


@pytest.fixture
def configure_credit(credit_tool: CreditTool) -> Callable[..., CreditConfig]:
    """``configure_credit(mail=..., credit=...)`` changes the served tool's credit config."""

    def change(**changes: Any) -> CreditConfig:
        config = replace(credit_tool.config, **changes)
        credit_tool.app.extensions[EXTENSION] = config
        return config

    return change


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    mailbox: Mailbox
    host: str
    port: int

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.mailbox.received) >= count:
                return self.mailbox.received
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(self.mailbox.received)}")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(mailbox, "127.0.0.1", port)
    finally:
        controller.stop()


@dataclass
class Standin:
    state: StandinState
    settings: CreditSettings


@pytest.fixture
def cpe_standin() -> Iterator[Standin]:
    """The CPE Monitor stand-in, served over real HTTP on loopback."""
    with served_standin() as (state, base_url):
        settings = CreditSettings(
            cpe_monitor_url=base_url + SUBMIT_PATH,
            cpe_monitor_username=STANDIN_USERNAME,
            cpe_monitor_password=STANDIN_PASSWORD,
            acpe_provider_number=STANDIN_PROVIDER_NUMBER,
        )
        yield Standin(state, settings)
