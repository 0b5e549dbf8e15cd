"""The claim form in real Chromium: axe-core (WCAG 2.1 A/AA) before and after a submit with
errors, and a claim made with JavaScript turned off (the forms are plain HTML)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browsers import set_timeouts
from tests.e2e.conftest import axe_violations

from .support import launch_learner, make_eligible

pytestmark = pytest.mark.browser


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """``open_page(javascript=True)``: a fresh page in the session's Chromium."""
    contexts: list[Any] = []

    def new_page(javascript: bool = True) -> Any:
        context = chromium.new_context(java_script_enabled=javascript)
        set_timeouts(context)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def eligible_claim_url(credit_tool: Any) -> str:
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)
    return learner.url("/certificates/claim")


def test_claim_form_and_its_error_messages_pass_axe(credit_tool, open_page):
    browser = open_page()

    browser.goto(eligible_claim_url(credit_tool))
    choose = axe_violations(browser)
    browser.check("#profession-pharmacist")
    browser.click("text=Continue")
    browser.wait_for_url("**/certificates/claim?profession=pharmacist")
    clean = axe_violations(browser)
    browser.fill("#certificate_name", "<b>Amelia</b>")
    browser.fill("#email", "amelia@example.org")
    browser.fill("#nabp_eprofile_id", "12AB")
    browser.select_option("#birth_month", "2")
    browser.select_option("#birth_day", "30")
    browser.click("text=Claim credit and issue my certificate")
    with_errors = axe_violations(browser)

    assert choose == [], choose
    assert clean == [], clean
    assert with_errors == [], with_errors
    assert browser.locator(".error-summary li").count() == 3
    name = browser.locator("#certificate_name")
    assert name.get_attribute("aria-invalid") == "true"
    assert "certificate_name-error" in name.get_attribute("aria-describedby")
    assert browser.locator("#certificate_name-error").inner_text() == (
        "Your name cannot contain < or >."
    )


def test_a_claim_works_with_javascript_turned_off(credit_tool, open_page):
    browser = open_page(javascript=False)

    browser.goto(eligible_claim_url(credit_tool))
    # Choose, then continue: the second step shows the pharmacist's fields only.
    assert browser.locator("#nabp_eprofile_id").count() == 0
    browser.check("#profession-pharmacist")
    browser.click("text=Continue")
    assert browser.locator("#time_spent_minutes").count() == 0
    browser.fill("#email", "amelia@example.org")
    browser.fill("#nabp_eprofile_id", "4123456")
    browser.select_option("#birth_month", "3")
    browser.select_option("#birth_day", "14")
    browser.click("text=Claim credit and issue my certificate")

    assert browser.locator("h1").inner_text() == "Your certificate"
    assert "Download your certificate (PDF)" in browser.content()
