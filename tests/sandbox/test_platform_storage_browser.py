"""The course page's platform storage and frame resizing, in a real Chromium.

The tool runs in the course page's iframe on another site; with ``lti_storage_target`` it
keeps its OIDC state with ``lti.put_data`` in the platform frame and reads it back after the
launch with ``lti.get_data`` (and the legacy ``org.imsglobal.lti.get_data``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from lti_tool.sandbox.driver import SandboxDriver
from tests.browsers import describe_frames

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser_page: Any) -> Any:
    return browser_page


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_tool_keeps_its_state_in_the_platform_frame_and_resizes_it(
    page: Any, running: Any, flavour: str
) -> None:
    from playwright.sync_api import expect

    course = {"canvas": 7, "moodle": 2}[flavour]
    page.goto(f"{running.base_url}/{flavour}/courses/{course}")

    page.get_by_role("button", name="Launch as learner Amina Haddad").first.click()

    # The frame object, not a frame locator: the launch takes the frame across sites four
    # times (LMS, tool login, LMS authorization, tool launch), each a process swap.
    tool_frame = page.frame(name="tool_content")
    assert tool_frame is not None
    try:
        tool_frame.wait_for_url(re.compile(r"/lti/launch$"))
        expect(tool_frame.locator("#storage")).to_have_text("storage ok")
        expect(tool_frame.locator("#legacy-storage")).to_have_text("storage ok")
    except Exception as failure:  # a timeout too: say where the frames were
        raise AssertionError(f"{failure}\nframes: {describe_frames(page)}") from None
    if flavour == "canvas":
        expect(page.locator("#tool_content")).to_have_css("height", "777px")
    else:  # Moodle 5.1 ignores lti.frameResize: its frame keeps the window's height
        expect(
            page.locator("#platform-messages-log li").filter(has_text="ignored lti.frameResize")
        ).not_to_have_count(0)
        assert page.locator("#tool_content").evaluate("f => f.getBoundingClientRect().height") > 400
    log = page.locator("#platform-messages-log li")
    expect(log.filter(has_text="lti.put_data")).to_have_count(1)
    assert SandboxDriver(running.base_url, flavour).calls()
