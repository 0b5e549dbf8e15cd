"""The journey in real Chromium at phone width: WCAG 2.1 AA checks with axe-core on every
step, keyboard use, and the draft script saving answers that survive a reload."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from lti_tool import protocol
from tests.browsers import AXE, require_axe, set_timeouts

from .conftest import LaunchFactory, Tool
from .flows import CORRECT, participation_of

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def served(tool: Tool) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, tool.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    require_axe()
    context = chromium.new_context(viewport=PHONE)
    set_timeouts(context)
    yield context.new_page()
    context.close()


def assert_accessible(page: Any) -> None:
    # Evaluated by the driver, not added as a <script>: the pages' CSP refuses inline script.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    problems = [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
        for v in result["violations"]
    ]
    assert problems == [], page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px)"


def assert_legends_inside_their_boxes(page: Any) -> None:
    """No fieldset's top border runs through its legend (a question stem that wraps would be
    cut between its first and second lines): each legend starts below the border."""
    straddling = page.evaluate(
        """() => [...document.querySelectorAll("fieldset")].filter(box => {
            const legend = box.querySelector(":scope > legend");
            if (!legend) return false;
            const border = parseFloat(getComputedStyle(box).borderTopWidth) || 0;
            return legend.getBoundingClientRect().top
                < box.getBoundingClientRect().top + border - 0.5;
        }).map(box => box.id || box.className)"""
    )
    assert straddling == [], page.url


def test_every_step_passes_axe_at_phone_width_and_drafts_survive_a_reload(
    served: str, launch: LaunchFactory, phone: Any
) -> None:
    tab = launch(name="Dr. <b>Bold</b> O'Brien")
    phone.goto(f"{served}{tab.url('/')}")
    assert_accessible(phone)  # overview and disclosures

    phone.get_by_role("button", name="I have read the disclosures — begin").click()
    phone.wait_for_url("**/pretest")
    assert_accessible(phone)
    phone.get_by_role("button", name="Skip the pre-test").click()

    phone.wait_for_url("**/sections/welcome")
    assert_accessible(phone)
    phone.get_by_role("link", name="Next: Key facts").click()
    phone.wait_for_url("**/sections/key-facts")
    phone.get_by_role("link", name="Continue to the post-test").click()

    phone.wait_for_url("**/posttest")
    assert_accessible(phone)
    assert_legends_inside_their_boxes(phone)
    with phone.expect_response(lambda r: r.url.endswith("/draft")) as saved:
        phone.locator("#mini-post-02-b").check()
    assert saved.value.status == 204
    phone.reload()
    assert phone.locator("input[name=mini-post-02][value=b]").is_checked()

    phone.get_by_role("button", name="Submit my answers").click()
    # The page's script moves the focus after load: wait for it (a loaded machine is slow).
    summary = phone.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert_accessible(phone)
    for question, choice in CORRECT.items():
        phone.locator(f"input[name={question}][value={choice}]").check()
    phone.get_by_role("button", name="Submit my answers").click()

    phone.wait_for_url("**/attempts/**")
    assert "You passed" in phone.inner_text("main")
    assert_accessible(phone)
    phone.get_by_role("link", name="Go to the evaluation").click()

    phone.wait_for_url("**/evaluation")
    assert_legends_inside_their_boxes(phone)
    comment = phone.locator("#item-fair-balance-comment")
    expect(comment).to_be_hidden()  # shown only after "No"
    phone.locator("#fair-balance-no").check()
    expect(comment).to_be_visible()
    assert_accessible(phone)
    phone.locator("#fair-balance-yes").check()
    for item, value in (("objective-met-1", "5"), ("objective-met-2", "4")):
        phone.locator(f"#{item}-{value}").check()
    phone.locator("#intent-to-change-yes").focus()
    phone.keyboard.press("Space")  # radios work from the keyboard
    phone.get_by_role("button", name="Submit the evaluation").click()

    phone.wait_for_url("**/complete")
    assert "You have completed this activity." in phone.inner_text("main")
    assert "Dr. <b>Bold</b> O'Brien" in phone.inner_text("header")
    assert_accessible(phone)
    assert participation_of(tab).evaluation_completed_at is not None


def test_locked_step_and_activity_choice_pages_pass_axe(
    served: str, launch: LaunchFactory, phone: Any
) -> None:
    learner = launch()
    phone.goto(f"{served}{learner.url('/posttest')}")
    assert "This step is not open yet" in phone.inner_text("main")
    assert_accessible(phone)

    instructor = launch(sub="teacher-1", role=protocol.INSTRUCTOR, slug=None, link="link-2")
    phone.goto(f"{served}{instructor.url('/')}")
    phone.wait_for_url("**/choose")
    assert_accessible(phone)
    phone.get_by_label("Hand hygiene in clinic", exact=False).check()
    phone.get_by_role("button", name="Use this activity").click()
    assert "This link now delivers" in phone.inner_text("main")
    assert_accessible(phone)
