"""Every new page, and the error summary of a refused post-test, starts in view inside the
LMS frame: in the Canvas flavour (the frame grows to the page; the tool asks the LMS to scroll
to its top with lti.scrollToTop) and in the Moodle flavour (Moodle 5.1 ignores frameResize and
scrollToTop, sizes the frame to the window, and long pages scroll inside it), at desktop width
and at 390 px.

Before each step the learner has read to the end: the course page and the frame's own page are
scrolled to the bottom, where the buttons are. What must be visible next is the new page's
heading (or the error summary), inside the browser window, not somewhere above it.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from lti_tool.config import PROJECT_ROOT
from lti_tool.course import load_activity
from tests.browsers import set_timeouts
from tests.credit.support import SandboxPeople
from tests.journey.test_browser import assert_legends_inside_their_boxes

from .browsing import CoursePage, wait_for_page
from .conftest import Lms

pytestmark = pytest.mark.browser

SHOTS = PROJECT_ROOT / "test-artifacts" / "issue13"
ACTIVITY = load_activity(PROJECT_ROOT / "configs" / "activities" / "cervical-dystonia")
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
LINK_TITLE = "Cervical dystonia (credit tests)"


@pytest.fixture(scope="module")
def people(lms: Lms) -> SandboxPeople:
    """A course per flavour of this module's own, and a new learner in it for each run, so
    the main course's roster (which the instructor's browser test reads) stays untouched."""
    return SandboxPeople(lms.served.app, {"canvas": None, "moodle": None})  # type: ignore[dict-item]


def in_view(page: Any, frame: Any, selector: str) -> bool:
    """Whether the top of ``selector`` in the tool frame is inside the browser window."""
    box = frame.locator(selector).first.bounding_box()  # relative to the window
    window = page.viewport_size
    # -1: sub-pixel layout puts a heading scrolled to the very top at y = -0.3.
    return (
        box is not None and box["y"] >= -1 and box["y"] + min(box["height"], 24) <= window["height"]
    )


def assert_starts_in_view(page: Any, frame: Any, selector: str, step: str) -> None:
    if page.viewport_size["width"] <= SIZES["phone"]["width"]:
        assert_fits_a_phone(frame, step)
    deadline = time.monotonic() + 10  # the LMS scrolls once the page has loaded
    while not in_view(page, frame, selector):
        if time.monotonic() > deadline:
            box = frame.locator(selector).first.bounding_box()
            pytest.fail(f"{step}: {selector} at {box} is outside the window {page.viewport_size}")
        time.sleep(0.1)


# At 390 px: words in table cells broken across lines, steps on more than one row, the
# activity's title printed twice, a page wider than the phone.
PHONE_PROBLEMS = """() => {
  const problems = [];
  for (const cell of document.querySelectorAll("main td, main th")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // Lines may break after a hyphen or a slash; never inside a word.
      for (const match of node.data.matchAll(/[^\\s\\-\\u2010\\u2013\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) problems.push("word broken in a table cell: " + match[0]);
      }
    }
  }
  const steps = [...document.querySelectorAll(".journey-steps li")];
  if (new Set(steps.map(li => li.offsetTop)).size > 1) problems.push("steps on several rows");
  const title = document.querySelector(".activity-name");
  const heading = document.querySelector("main h1");
  if (title && heading && title !== heading
      && title.textContent.trim() === heading.textContent.trim())
    problems.push("title shown twice");
  if (document.documentElement.scrollWidth > window.innerWidth) {
    const wide = [...document.querySelectorAll("body *")]
      .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
      .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""));
    problems.push("page wider than the screen: " + wide.slice(0, 4).join(", "));
  }
  return problems;
}"""


def assert_fits_a_phone(frame: Any, step: str) -> None:
    problems = frame.evaluate(PHONE_PROBLEMS)
    assert problems == [], f"{step}: {problems}"


def read_to_the_end(page: Any, frame: Any) -> None:
    """The learner scrolled down to the page's buttons: in the LMS page and in the frame."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    frame.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_each_new_page_and_the_error_summary_start_in_view(
    chromium: Any, lms: Lms, people: SandboxPeople, flavour: str, size: str
) -> None:
    context = chromium.new_context(viewport=SIZES[size])
    set_timeouts(context)
    page = context.new_page()
    try:
        learner = people.add(flavour)
        course_url = f"{lms.base_url}/{flavour}/courses/{people.course(flavour)}"
        frame = CoursePage(page, course_url).open().launch(learner, LINK_TITLE)
        wait_for_page(frame, "activity/overview")
        page.evaluate("document.getElementById('tool_content').scrollIntoView()")
        assert_starts_in_view(page, frame, "h1", "overview")

        read_to_the_end(page, frame)
        frame.get_by_role("button", name="I have read the disclosures — begin").click()
        wait_for_page(frame, "activity/pretest")
        assert_starts_in_view(page, frame, "h1", "pre-test")

        read_to_the_end(page, frame)
        frame.get_by_role("button", name="Skip the pre-test").click()
        for number, section in enumerate(ACTIVITY.sections, start=1):
            wait_for_page(frame, f"activity/sections/{section.id}")
            assert_starts_in_view(page, frame, "h1", f"section {number}")
            table_shot = SHOTS / "phone-table.png"
            if (
                size == "phone"
                and flavour == "canvas"
                and not table_shot.exists()
                and frame.locator("main table").count()
            ):
                frame.locator("main table").first.scroll_into_view_if_needed()
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(table_shot))
            read_to_the_end(page, frame)
            if number < len(ACTIVITY.sections):
                frame.get_by_role("link", name=re.compile(r"^Next: ")).click()
        frame.get_by_role("link", name="Continue to the post-test").click()

        wait_for_page(frame, "activity/posttest")
        assert_starts_in_view(page, frame, "h1", "post-test")
        assert_legends_inside_their_boxes(frame)
        questions = ACTIVITY.posttest.questions
        for question in questions[1:]:  # the first one left unanswered
            frame.locator(f'input[name="{question.id}"][value="{question.correct}"]').check()
        read_to_the_end(page, frame)
        frame.get_by_role("button", name="Submit my answers").click()
        frame.locator(".error-summary").wait_for()
        # The refused post-test answers at the same address, so wait_for_page cannot tell it
        # has arrived. Its summary can be found before its stylesheets apply (a script's
        # layout does not wait for them, though the browser paints nothing until then):
        # measure the page once it has loaded, as every other step does.
        frame.wait_for_load_state("load")
        assert_starts_in_view(page, frame, ".error-summary", "post-test refused")
        # What the learner sees (the window, not the whole page).
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"frame-{flavour}-{size}-error-summary.png"))
    finally:
        context.close()
