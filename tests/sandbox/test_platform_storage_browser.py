"""The course page's platform storage and frame resizing, in a real Chromium.

The tool runs in the course page's iframe on another site; with ``lti_storage_target`` it
keeps its OIDC state with ``lti.put_data`` in the platform frame and reads it back after the
launch with ``lti.get_data`` (and the legacy ``org.imsglobal.lti.get_data``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from lti_tool.sandbox.driver import SandboxDriver

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def page() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (scripts/install.sh --test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_page()
        finally:
            browser.close()


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_tool_keeps_its_state_in_the_platform_frame_and_resizes_it(
    page: Any, running: Any, flavour: str
) -> None:
    from playwright.sync_api import expect

    course = {"canvas": 7, "moodle": 2}[flavour]
    page.goto(f"{running.base_url}/{flavour}/courses/{course}")

    page.get_by_role("button", name="Launch as learner Amina Haddad").first.click()

    tool_frame = page.frame_locator("#tool_content")
    expect(tool_frame.locator("#storage")).to_have_text("storage ok", timeout=10_000)
    expect(tool_frame.locator("#legacy-storage")).to_have_text("storage ok")
    expect(page.locator("#tool_content")).to_have_css("height", "777px")
    log = page.locator("#platform-messages-log li")
    expect(log.filter(has_text="lti.put_data")).to_have_count(1)
    assert SandboxDriver(running.base_url, flavour).calls()
