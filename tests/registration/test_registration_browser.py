"""Dynamic Registration in a real Chromium, the way an LMS administrator does it: the
LMS's "register a tool by URL" page frames the tool's page, which closes the frame with
the ``org.imsglobal.lti.close`` postMessage when done."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Served
from tests.registration.fixtures import Lms

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser_page: Any) -> Any:
    return browser_page


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


def test_moodle_update_in_the_browser_updates_and_closes_the_dialog(
    page: Any, console_tool: Served, lms: Lms
) -> None:
    """Issue 11 §1 as the admin sees it: the second time, Moodle asks Update or new."""
    from playwright.sync_api import expect

    for attempt in ("first", "update"):
        page.goto(f"{lms.base_url}/moodle/admin")
        page.get_by_label("Tool registration URL").fill(f"{console_tool.base_url}/lti/register")
        page.get_by_role("button", name="Register a tool by URL").click()
        if attempt == "update":
            expect(
                page.get_by_role("button", name="Register as a new external tool")
            ).to_be_visible()
            page.get_by_role("button", name="Update").click()
        tool = page.frame_locator("#tool_content")
        tool.get_by_role("button", name="Register").click()
        heading = (
            "The tool is registered" if attempt == "first" else "The tool's registration is updated"
        )
        expect(tool.get_by_role("heading", name=heading)).to_be_visible()
        tool.get_by_role("button", name="Done: return to the LMS").click()
        expect(page.locator("#registration-finished")).to_be_visible()
