"""Real Chromium (Debian's, driven by Playwright) for whole journeys inside the sandbox LMS.

One Chromium per test session and profile. The default Debian profile blocks third-party
cookies, which is what a learner meets in Safari or in Chrome with the block on; the
"allowed" profile writes preferences that let them through. Screenshots of every step go
to ``test-artifacts/screenshots/`` (named in the README) for reviewers.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lti_tool.config import PROJECT_ROOT
from lti_tool.extensions import ToolServices
from lti_tool.grades.worker import dispatcher_for, drain
from lti_tool.models import Registration
from lti_tool.sandbox import (
    SandboxSettings,
    ToolSettings,
    create_sandbox_app,
    platform_registration,
    sandbox_of,
)
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.seed import MAIN_COURSE
from lti_tool.sandbox_link import register_sandbox_platforms
from tests.browsers import AXE, CHROMIUM, CHROMIUM_ARGS, painted, require_axe, set_timeouts
from tests.conftest import Served, serve, served_tool, unique

SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"


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
    set_timeouts(context)
    context.cookies_mode = request.param  # type: ignore[attr-defined]
    yield context
    context.close()


# Chromium's largest texture; taller pages are cut there.
TALLEST_SHOT = 16_000


class Camera:
    """Saves a screenshot per step: test-artifacts/screenshots/<test>/<nn>-<step>.png."""

    def __init__(self, test_name: str) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def shoot(self, page: Any, step: str) -> Path:
        """The whole page, the tool's iframe included.

        Chromium paints a cross-site iframe only near the viewport, so a plain full-page
        shot shows the tool blank below the fold: the viewport is made as tall as the page
        for the shot.
        """
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{slug}.png"
        viewport = page.viewport_size
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": viewport["width"], "height": min(height, TALLEST_SHOT)})
        try:
            for frame in page.frames:
                painted(frame)
            page.screenshot(path=str(path), full_page=True)
        finally:
            page.set_viewport_size(viewport)
            # The iframe learns its new place on the screen a few frames later; a click
            # sent before that lands where the tool's elements were in the tall viewport.
            for frame in page.frames:
                painted(frame)
        return path


@pytest.fixture
def camera(request: pytest.FixtureRequest) -> Camera:
    return Camera(request.node.name)


def axe_violations(frame: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on a page or frame."""
    require_axe()
    frame.evaluate(AXE.read_text())
    result = frame.evaluate(
        "async () => await axe.run(document, "
        "{runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
    )
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


class AxeReport:
    """Serious and critical axe-core findings per page of a journey, asserted once at the end
    so a single run lists every page that needs work."""

    def __init__(self) -> None:
        self.pages: dict[str, list[dict[str, Any]]] = {}

    def check(self, frame: Any, page_name: str) -> None:
        self.pages[page_name] = axe_violations(frame)

    def summary(self) -> str:
        lines = []
        for page_name, violations in self.pages.items():
            for violation in violations:
                targets = [node["target"] for node in violation["nodes"]][:5]
                lines.append(
                    f"{page_name}: {violation['id']} ({violation['impact']}) "
                    f"{violation['help']}; {len(violation['nodes'])} element(s), e.g. {targets}"
                )
        return "\n".join(lines)

    def assert_clean(self, at_least: int) -> None:
        assert len(self.pages) >= at_least, f"only {sorted(self.pages)} were checked"
        assert not self.summary(), "axe-core found serious or critical problems:\n" + (
            self.summary()
        )


@pytest.fixture
def axe() -> AxeReport:
    return AxeReport()


# -- the tool and the sandbox LMS of the browser tests -----------------------------------------
#
# Their own pair, on the session's database: the tool allows framing by the origins of the
# registered platforms it read less than 30 s ago (lti_tool/web.py), so the LMS must be
# registered before the tool answers its first request; and a Canvas issuer of their own
# keeps their learners, gradebook and score outbox apart from every other test's.


@dataclass
class Lms:
    """The sandbox LMS (Canvas and Moodle flavours) and the tool it launches."""

    served: Served
    tool: Served
    registration_ids: tuple[int, ...]

    @property
    def base_url(self) -> str:
        return self.served.base_url

    @property
    def tool_services(self) -> ToolServices:
        services: ToolServices = self.tool.app.extensions["lti_tool"]
        return services

    def driver(self, flavour: str) -> SandboxDriver:
        return SandboxDriver(self.base_url, flavour)

    def course_url(self, flavour: str, *, storage: bool = True) -> str:
        url = f"{self.base_url}/{flavour}/courses/{MAIN_COURSE[flavour]}"
        return url if storage else url + "?storage=off"

    def gradebook_url(self, flavour: str) -> str:
        return f"{self.course_url(flavour)}/gradebook"

    def deliver_grades(self) -> int:
        """What ``lti-tool grades worker`` would do now: send every queued score of this LMS
        (the test tool runs without the inline worker)."""
        dispatcher = dispatcher_for(self.tool_services, registration_ids=self.registration_ids)
        try:
            return drain(dispatcher, timeout=30)
        finally:
            dispatcher.close()


@pytest.fixture(scope="session")
def cme_tool(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_tool(database_url, tmp_path_factory.mktemp("e2e-tool")) as served:
        yield served


@pytest.fixture(scope="session")
def lms(cme_tool: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lms]:
    root = tmp_path_factory.mktemp("e2e-lms")

    def build(base_url: str) -> Flask:
        return create_sandbox_app(
            SandboxSettings(
                base_url=base_url,
                database_path=root / "sandbox.sqlite3",
                keys_dir=root / "sandbox-keys",
                tool=ToolSettings(base_url=cme_tool.base_url, name="CME activities"),
                canvas_issuer=f"https://{unique('canvas-e2e-')}.sandbox.test",
            )
        )

    served = serve("localhost", build)
    register_sandbox_platforms(cme_tool.app, served.app)
    services: ToolServices = cme_tool.app.extensions["lti_tool"]
    with services.session_factory() as session:
        ids = []
        for flavour in ("canvas", "moodle"):
            details = platform_registration(served.app, flavour)
            ids.extend(
                session.scalars(
                    select(Registration.id).where(
                        Registration.issuer == details["issuer"],
                        Registration.client_id == details["client_id"],
                    )
                )
            )
    yield Lms(served=served, tool=cme_tool, registration_ids=tuple(ids))
    served.stop()
    sandbox_of(served.app).dispose()
