"""Real Chromium (Debian's, driven by Playwright) for whole journeys inside the sandbox LMS.

One Chromium per test session and profile. The default Debian profile blocks third-party
cookies, which is what a learner meets in Safari or in Chrome with the block on; the
"allowed" profile writes preferences that let them through. Screenshots of every step go
to ``test-artifacts/screenshots/`` (named in the README) for reviewers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lti_tool.config import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
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


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: scripts/install.sh --test installs it")
        pytest.skip("Chromium is not installed (scripts/install.sh --test installs it)")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def _profile(root: Path, allow_third_party_cookies: bool) -> Path:
    profile = root / ("cookies-allowed" if allow_third_party_cookies else "cookies-blocked")
    (profile / "Default").mkdir(parents=True, exist_ok=True)
    if allow_third_party_cookies:
        preferences = {
            "profile": {
                "block_third_party_cookies": False,
                "cookie_controls_mode": 0,
            }
        }
        (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
    return profile


@pytest.fixture(scope="session", params=["cookies-blocked", "cookies-allowed"])
def browser_context(
    request: pytest.FixtureRequest, playwright_driver: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    allowed = request.param == "cookies-allowed"
    profile = _profile(tmp_path_factory.mktemp("chromium"), allowed)
    context = playwright_driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(20_000)
    context.cookies_mode = request.param  # type: ignore[attr-defined]
    yield context
    context.close()


class Camera:
    """Saves a screenshot per step: test-artifacts/screenshots/<test>/<nn>-<step>.png."""

    def __init__(self, test_name: str) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def shoot(self, page: Any, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def camera(request: pytest.FixtureRequest) -> Camera:
    return Camera(request.node.name)


def axe_violations(frame: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on a page or frame."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing: scripts/install.sh --test installs it")
        pytest.skip("axe-core is not installed (npm ci)")
    frame.evaluate(AXE.read_text())
    result = frame.evaluate(
        "async () => await axe.run(document, "
        "{runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
    )
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
