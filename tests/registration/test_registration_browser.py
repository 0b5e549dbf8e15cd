"""Dynamic Registration in a real Chromium, the way an LMS administrator does it: the
LMS's "register a tool by URL" page frames the tool's page, which closes the frame with
the ``org.imsglobal.lti.close`` postMessage when done."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Served
from tests.registration.fixtures import Lms

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
def test_the_lms_frames_the_registration_page_and_the_done_button_closes_it(
    page: Any, console_tool: Served, lms: Lms, flavour: str
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{lms.base_url}/{flavour}/admin")
    page.get_by_label("Tool registration URL").fill(f"{console_tool.base_url}/lti/register")
    page.get_by_role("button", name="Register a tool by URL").click()

    tool = page.frame_locator("#tool_content")
    tool.get_by_role("button", name="Register").click()
    expect(tool.get_by_role("heading", name="The tool is registered")).to_be_visible()
    tool.get_by_role("button", name="Done: return to the LMS").click()

    expect(page.locator("#registration-finished")).to_be_visible()
    expect(page.locator("#registration-frame-section")).to_be_hidden()
