"""Debian's Chromium, driven by Playwright: one driver and one plain browser per test session.

Playwright's sync API runs one driver per thread, so every browser test shares the
``playwright_driver`` started here; tests open a context of their own in the shared
``chromium`` (``browser_page``), and the journey tests start their cookie profiles from it
(tests/e2e/conftest.py).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lti_tool.config import PROJECT_ROOT

TRACES = PROJECT_ROOT / "test-artifacts" / "traces"

# Every wait has its own deadline, well under pytest's 300 s: a launch crosses sites four
# times (a renderer process each) and a loaded 2-core machine needs tens of seconds for it.
ACTION_TIMEOUT_MS = 30_000
NAVIGATION_TIMEOUT_MS = 60_000

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Flags the machine needs: no sandbox as root, and no background connections to a
# network that is closed here. Site isolation is off: with it, every cross-site step of a
# launch inside the LMS frame (LMS, tool login, LMS authorization, tool launch) swaps the
# frame into another renderer process, and on a loaded machine the driver now and then
# never saw the swapped frame commit (the tool's launch page had answered 200 in 52 ms; the
# frame stayed on the LMS's authorization page until the wait ran out). Cookies, storage
# partitioning and postMessage origins do not depend on the process model.
CHROMIUM_ARGS = [
    "--disable-site-isolation-trials",
    "--disable-features=IsolateOrigins,site-per-process",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip on a laptop without Chromium; fail in CI, where scripts/install.sh put it."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: scripts/install.sh --test installs it")
        pytest.skip("Chromium is not installed (scripts/install.sh --test installs it)")


def require_axe() -> None:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing: scripts/install.sh --test installs it")
        pytest.skip("axe-core is not installed (npm ci)")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_driver: Any) -> Iterator[Any]:
    """A plain Chromium (default profile: third-party cookies blocked), launched once."""
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def set_timeouts(context: Any) -> None:
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)


def describe_frames(page: Any) -> str:
    """Where each frame is, for a failure message; reads nothing that waits on a renderer.

    ``frame.content()`` and ``frame.evaluate()`` wait, without a deadline, for the frame's
    document: on a frame stuck mid-navigation they hang until pytest's timeout and the real
    failure is lost. Names and URLs are known to the driver without asking the page.
    """
    return "; ".join(f"{frame.name or '(main)'} at {frame.url}" for frame in page.frames)


# Two animation frames: the page (every frame of it) has painted what it laid out.
PAINTED = """() => new Promise(
    done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"""


def painted(frame: Any) -> None:
    """Wait, with a deadline, until ``frame`` has painted (``evaluate`` has no deadline)."""
    frame.wait_for_function(PAINTED, timeout=ACTION_TIMEOUT_MS)


def test_failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is None or report.failed


@contextmanager
def traced(context: Any, request: pytest.FixtureRequest) -> Iterator[None]:
    """Playwright tracing for the context; the trace is kept only when the test failed.

    Open one with ``.venv/bin/playwright show-trace test-artifacts/traces/<test>.zip``: every
    request, frame navigation, console message and DOM snapshot with its time.
    """
    context.tracing.start(snapshots=True, screenshots=False)
    try:
        yield
    finally:
        if test_failed(request):
            TRACES.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
            path = TRACES / f"{name}.zip"
            context.tracing.stop(path=str(path))
            print(f"Playwright trace of the failed test: {path}")
        else:
            context.tracing.stop()


@pytest.fixture
def browser_page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a fresh context of the shared Chromium: no cookies from other tests."""
    context = chromium.new_context()
    set_timeouts(context)
    with traced(context, request):
        yield context.new_page()
    context.close()
