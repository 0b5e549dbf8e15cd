"""The instructor's way, in Debian's Chromium, inside the sandbox LMS's iframe.

Content picker (deep linking) → the tool's catalog → the chosen activity placed in the course
as a graded link → a learner starts it → the instructor launches the placed link and sees the
dashboard: the LMS roster (NRPS) with each learner's status. Third-party cookies blocked, the
harder case; the learner's way covers both profiles.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from lti_tool.config import PROJECT_ROOT
from lti_tool.course import load_activity
from lti_tool.sandbox.seed import LEARNER_NAMES

from .browsing import CoursePage, click_settled, heading, wait_for_page
from .conftest import AxeReport, Camera, Lms

pytestmark = pytest.mark.browser

ACTIVITY = load_activity(PROJECT_ROOT / "configs" / "activities" / "cervical-dystonia")
LEARNER = "learner07"  # nobody else's in the browser tests


def learner_name(username: str) -> str:
    given, family = LEARNER_NAMES[int(username.removeprefix("learner")) - 1]
    return f"{given} {family}"


@pytest.mark.parametrize("browser_context", ["cookies-blocked"], indirect=True)
def test_instructor_places_the_activity_and_follows_the_roster(
    browser_context: Any, lms: Lms, camera: Camera, axe: AxeReport
) -> None:
    page = browser_context.new_page()
    course = CoursePage(page, lms.course_url("canvas"))
    placed_before = len(lms.driver("canvas").deep_links())
    try:
        course.open()
        frame = course.open_content_picker()
        wait_for_page(frame, "placement/")
        # The heading is the title the LMS asked for in the deep linking settings.
        assert heading(frame).startswith("Add to ")
        axe.check(frame, "content picker")
        camera.shoot(page, "content picker (deep linking request)")

        frame.get_by_label(ACTIVITY.title).check()
        frame.get_by_role("button", name="Add to course").click()
        # The tool's signed response goes back to the LMS, which shows what it placed.
        frame.wait_for_url(re.compile(r"/deep_linking_response$"))
        assert ACTIVITY.title in frame.locator("#placements").inner_text()
        camera.shoot(page, "the LMS received the placement")
        deep_links = lms.driver("canvas").deep_links()
        assert len(deep_links) == placed_before + 1

        course.open()
        placed = page.locator("tr", has_text="placed by deep linking").last
        assert ACTIVITY.title in placed.inner_text()
        assert "(graded, max 100" in placed.inner_text()
        camera.shoot(page, "course page with the placed activity")

        # A learner starts the placed activity: reads the disclosures and begins.
        placed.locator("select[name=user]").select_option(LEARNER)
        placed.get_by_role("button", name="Launch", exact=True).click()
        wait_for_page(course.frame, "activity/overview")
        course.frame.get_by_role("button", name="I have read the disclosures — begin").click()
        wait_for_page(course.frame, "activity/pretest")

        # The instructor launches the same link: the dashboard, with the LMS's roster.
        placed = page.locator("tr", has_text="placed by deep linking").last
        click_settled(page, placed.get_by_role("button", name="Launch as instructor"))
        frame = course.frame
        wait_for_page(frame, "dashboard/")
        assert heading(frame) == f"Learner progress: {ACTIVITY.title}"
        rows = frame.locator("#learners tbody tr")
        statuses = {
            rows.nth(i).locator("th").inner_text(): rows.nth(i).get_attribute("data-status")
            for i in range(rows.count())
        }
        assert statuses[learner_name(LEARNER)] == "IN_PROGRESS"
        others = [status for name, status in statuses.items() if name != learner_name(LEARNER)]
        assert others and set(others) == {"NOT_STARTED"}
        assert "from the LMS roster" in frame.locator("#learners caption").inner_text()
        axe.check(frame, "instructor dashboard")
        camera.shoot(page, "instructor dashboard with the roster")
    finally:
        page.close()
    axe.assert_clean(at_least=2)
