"""Debian's Chromium, driven by Playwright: one driver and one plain browser per test session.

Playwright's sync API runs one driver per thread, so every browser test shares the
``playwright_driver`` started here; tests open a context of their own in the shared
``chromium`` (``browser_page``), and the journey tests start their cookie profiles from it
(tests/e2e/conftest.py).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lti_tool.config import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Flags the machine needs: no sandbox as root, and no background connections to a
# network that is closed here.
CHROMIUM_ARGS = [
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
    from playwright.sync_api import sync_playwright

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


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    """A page in a fresh context of the shared Chromium: no cookies from other tests."""
    context = chromium.new_context()
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()
