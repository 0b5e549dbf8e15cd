"""Steps of the mini activity (tests/fixtures/activities/mini-activity) that tests repeat."""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_tool.models import Attempt, AuditEvent, Participation

from .conftest import Browser
from .pages import Page

SECTIONS = ("welcome", "key-facts")
CORRECT = {"mini-post-01": "a", "mini-post-02": "b", "mini-post-03": "b"}
TWO_OF_THREE = {"mini-post-01": "a", "mini-post-02": "b", "mini-post-03": "a"}  # 67 % fails
EVALUATION = {
    "objective-met-1": "5",
    "objective-met-2": "4",
    "fair-balance": "yes",
    "intent-to-change": "not-sure",
}


def begin(tab: Browser) -> Page:
    """Open the activity, acknowledge the disclosures and skip the pre-test."""
    page = tab.get("/")
    page = tab.submit(page.form("I have read the disclosures"))
    return tab.submit(page.form("Skip the pre-test"))


def read_all_sections(tab: Browser) -> Page:
    page = tab.get("/")
    for section_id in SECTIONS:
        page = tab.get(f"/sections/{section_id}")
        assert page.status == 200
    return page


def open_posttest(tab: Browser) -> Page:
    page = tab.get("/posttest")
    assert page.status == 200, page.text
    return page


def submit_posttest(tab: Browser, answers: dict[str, str]) -> Page:
    page = open_posttest(tab)
    return tab.submit(page.form("Submit my answers"), answers)


def question_order(page: Page) -> list[str]:
    """The question ids in the order the page shows them."""
    return re.findall(r'<fieldset class="question[^"]*" id="question-([a-z0-9-]+)"', page.html)


def participation_of(tab: Browser, sub: str = "learner-1") -> Participation:
    from lti_tool.models import User

    with tab.tool.session() as session:
        participation = session.scalar(select(Participation).join(User).where(User.sub == sub))
        assert participation is not None
        session.expunge_all()
        return participation


def attempts_of(tab: Browser, kind: str = "posttest") -> list[Attempt]:
    with tab.tool.session() as session:
        found = list(
            session.scalars(select(Attempt).where(Attempt.kind == kind).order_by(Attempt.id))
        )
        session.expunge_all()
        return found


def audit_events(tab: Browser) -> list[AuditEvent]:
    with tab.tool.session() as session:
        found = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        session.expunge_all()
        return found
