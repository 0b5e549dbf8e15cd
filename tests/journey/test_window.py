"""Release and expiration, as the domain decides them, on the journey's pages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from lti_tool.models import Participation

from .conftest import TODAY, LaunchFactory, Tool, write_activity


def test_before_release_every_page_says_when_the_activity_opens(
    tool: Tool, launch: LaunchFactory
) -> None:
    opens = TODAY + dt.timedelta(days=10)
    write_activity(tool.activities_dir, release=opens, expiration=opens + dt.timedelta(days=300))
    tool.reload()
    tab = launch()

    for path in ("/", "/overview", "/sections/welcome", "/posttest", "/complete"):
        page = tab.get(path)
        assert page.status == 403, path
        assert "not open yet" in page.text
        assert f"{opens:%B} {opens.day}, {opens.year}" in page.text
    with tool.session() as session:
        assert session.scalar(select(func.count()).select_from(Participation)) == 0


def test_after_expiration_content_is_readable_but_credit_cannot_be_earned(
    tool: Tool, launch: LaunchFactory
) -> None:
    closed = TODAY - dt.timedelta(days=2)
    write_activity(tool.activities_dir, release=closed - dt.timedelta(days=400), expiration=closed)
    tool.reload()
    tab = launch()

    overview = tab.get("/")
    assert "credit and certificates can no longer be earned" in overview.text
    section = tab.submit(overview.form("I have read the disclosures"))
    assert section.path.endswith("/sections/welcome")  # the pre-test is closed, not offered
    assert "This refresher takes five minutes" in section.text
    assert "credit and certificates can no longer be earned" in section.text
    tab.get("/sections/key-facts")

    for path in ("/posttest", "/evaluation", "/pretest"):
        page = tab.get(path)
        assert page.status == 410, path
        assert "Credit can no longer be earned" in page.text
        assert page.link("Read the content")
