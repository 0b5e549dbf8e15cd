"""Fixtures: one sandbox LMS and one stand-in tool per test session, both on loopback threads.

The sandbox names itself ``localhost`` and the tool ``127.0.0.1``: two different sites, as
in real life. Every test starts from the seeded state (``reset`` before each test).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask

from lti_tool.sandbox import (
    SandboxSettings,
    ToolSettings,
    create_sandbox_app,
    platform_registration,
    serve_in_thread,
)
from lti_tool.sandbox.driver import SandboxDriver

from .standin_tool import StandInTool


@dataclass
class Running:
    app: Flask
    base_url: str
    tool: StandInTool


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tool = StandInTool()
    tool.base_url, stop_tool = serve_in_thread(tool.app, "127.0.0.1", 0)
    root = tmp_path_factory.mktemp("sandbox")
    app = create_sandbox_app(
        SandboxSettings(
            base_url="http://localhost:0",
            database_path=root / "sandbox.sqlite",
            keys_dir=root / "keys",
            tool=ToolSettings(tool.base_url, name="Stand-in tool"),
        )
    )
    base_url, stop_sandbox = serve_in_thread(app, "127.0.0.1", 0)
    for flavour in ("canvas", "moodle"):
        tool.trust(platform_registration(app, flavour))
    yield Running(app, base_url, tool)
    stop_sandbox()
    stop_tool()


@pytest.fixture(autouse=True)
def fresh_sandbox(running: Running) -> None:
    SandboxDriver(running.base_url, "canvas").reset()
    running.tool.logins.clear()


@pytest.fixture
def standin(running: Running) -> StandInTool:
    return running.tool


@pytest.fixture
def canvas(running: Running) -> SandboxDriver:
    return SandboxDriver(running.base_url, "canvas")


@pytest.fixture
def moodle(running: Running) -> SandboxDriver:
    return SandboxDriver(running.base_url, "moodle")


@pytest.fixture(params=["canvas", "moodle"])
def driver(request: pytest.FixtureRequest, running: Running) -> SandboxDriver:
    return SandboxDriver(running.base_url, request.param)


@pytest.fixture
def browser() -> requests.Session:
    """A fresh 'browser': its own cookies, nothing shared between tests."""
    return requests.Session()


def platform_of(driver: SandboxDriver) -> dict[str, Any]:
    return driver.platform_registration()
