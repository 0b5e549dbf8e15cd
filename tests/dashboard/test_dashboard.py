"""The instructor dashboard over real HTTP: the roster from the sandbox LMS (Canvas and
Moodle, several NRPS pages), statuses, scores, grade delivery, CSV export and refusals."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import requests
from sqlalchemy import select

from lti_tool.models.grades import OutboxStatus, ScoreOutbox
from tests.placement.lms import Lms, csrf_of, launch_token_url

from .scenario import DEAD_REASON, DashboardCourse, add_unplaced_link

ROW = re.compile(r'<tr data-sub="([^"]*)" data-status="([A-Z_]+)">(.*?)</tr>', re.S)


def open_dashboard(lms: Lms, course: DashboardCourse) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    page = lms.driver(course.flavour).launch(browser, course.instructor, course=course.lms_id)
    assert page.status_code == 200, page.text
    assert page.url.endswith("/dashboard/")
    return browser, page


def rows(page: requests.Response) -> dict[str, tuple[str, list[str]]]:
    """sub -> (status name, the row's cells as text)."""
    found = {}
    for sub, status, body in ROW.findall(page.text):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body, re.S)
        ]
        found[html.unescape(sub)] = (status, cells)
    return found


def last_call(lms: Lms, flavour: str) -> int:
    calls = lms.driver(flavour).calls()
    return calls[-1]["seq"] if calls else 0


def test_the_dashboard_reads_every_roster_page_and_shows_where_each_learner_stands(
    lms: Lms, course: DashboardCourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lti_tool.dashboard.roster.ROSTER_PAGE_SIZE", 5)
    since = last_call(lms, course.flavour)
    _, page = open_dashboard(lms, course)

    memberships = [
        call
        for call in lms.driver(course.flavour).calls(since)
        if "names_and_roles" in call["path"] or "memberships" in call["path"]
    ]
    # 27 members (the instructor and 26 learners) at 5 a page, each page fetched once.
    assert len(memberships) == 6
    assert all(call["status"] == 200 for call in memberships)
    if course.flavour == "moodle":
        # The next-page links were followed with their case intact (pylti1p3 lowercases).
        assert all("/CourseSection/" in call["path"] for call in memberships)
    assert "6 pages" in page.text

    table = rows(page)
    assert {learner.sub for learner in course.learners} <= set(table)
    statuses = {role: table[course.learner(role).sub][0] for role in course.named}
    assert statuses == {
        "not_started": "NOT_STARTED",
        "formula_passed": "PASSED",
        "in_progress": "IN_PROGRESS",
        "posttest_failed": "POSTTEST_FAILED",
        "passed": "PASSED",
        "evaluation_done": "EVALUATION_DONE",
        "dead_letter": "PASSED",
        "inactive": "NOT_STARTED",
    }
    assert table[course.learner("inactive").sub][1][0].endswith("(inactive in the LMS)")
    _, cells = table[course.learner("posttest_failed").sub]
    assert cells[3:5] == ["20.00%", "40.00%"]
    _, cells = table[course.learner("passed").sub]
    assert cells[3:6] == ["", "100.00%", "delivered"]
    _, cells = table[course.learner("dead_letter").sub]
    assert cells[5] == f"failed: {DEAD_REASON}"
    assert 'data-status="NOT_STARTED">Not started: <strong>20</strong>' in page.text


def test_learner_names_from_the_lms_are_shown_as_text_not_markup(
    lms: Lms, course: DashboardCourse
) -> None:
    _, page = open_dashboard(lms, course)
    assert "<script>alert('x')</script>" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Smith" in page.text
    _, cells = rows(page)[course.learner("not_started").sub]
    assert cells[0] == "<script>alert('x')</script> Smith"


def test_the_csv_export_holds_the_table_with_formula_cells_made_harmless(
    lms: Lms, course: DashboardCourse
) -> None:
    browser, page = open_dashboard(lms, course)
    link = re.search(r'href="([^"]*/dashboard/roster\.csv)"', page.text)
    assert link is not None
    export = browser.get(lms.tool_base_url + html.unescape(link.group(1)), timeout=10)
    assert export.status_code == 200
    assert export.headers["Content-Type"].startswith("text/csv")
    disposition = export.headers["Content-Disposition"]
    assert re.fullmatch(
        r'attachment; filename="cme-DASH-[0-9a-f]{8}-cervical-dystonia-\d{4}-\d\d-\d\d\.csv"',
        disposition,
    )
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8").removeprefix("\ufeff"))))
    header, body = lines[0], lines[1:]
    assert header[:4] == ["Learner", "Email", "LMS user ID", "Status"]
    assert len(body) == len(course.learners)
    by_sub = {line[2]: line for line in body}
    formula = by_sub[course.learner("formula_passed").sub]
    assert formula[0] == "'" + course.learner("formula_passed").name
    assert formula[3:6] == ["passed", "", "80.00"]
    assert by_sub[course.learner("evaluation_done").sub][6] == "delivered"
    assert by_sub[course.learner("inactive").sub][7] == "inactive"
    assert by_sub[course.learner("passed").sub][7] == "active"
    names = {line[0] for line in body}
    assert "'+1 Plus" in names
    assert "'@SUM(A1) At" in names
    assert "Rosa Jiménez" in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in body for cell in line)


def test_an_unreadable_roster_is_explained_and_learners_known_from_launches_still_show(
    lms: Lms, course: DashboardCourse
) -> None:
    driver = lms.driver(course.flavour)
    known = course.learner("in_progress")
    for user in (known.username, "visitor"):
        browser = requests.Session()
        launch = driver.launch_form(browser, user, course=course.lms_id)
        landed = browser.post(launch.action, data=launch.fields, allow_redirects=False, timeout=10)
        launch_token_url(landed)
    path = "names_and_roles" if course.flavour == "canvas" else "/memberships"
    driver.set_fault(status=503, path_contains=path)
    try:
        _, page = open_dashboard(lms, course)
    finally:
        driver.clear_faults()
    assert 'id="roster-unavailable"' in page.text
    assert "503" in page.text
    table = rows(page)
    assert table[known.sub][0] == "IN_PROGRESS"
    visitor = [cells for sub, (_, cells) in table.items() if cells[0] == "Vera Visitor"]
    assert len(visitor) == 1
    assert len(table) == 2

    _, page = open_dashboard(lms, course)
    table = rows(page)
    assert "(not in the LMS roster)" in table_text(page, "Vera Visitor")
    assert len(table) == len(course.learners) + 1


def table_text(page: requests.Response, name: str) -> str:
    row = next(body for _, _, body in ROW.findall(page.text) if name in body)
    return html.unescape(re.sub(r"<[^>]+>", "", row))


def test_a_learner_is_refused_the_dashboard(lms: Lms, course: DashboardCourse) -> None:
    browser = requests.Session()
    learner = course.learner("passed")
    launch = lms.driver(course.flavour).launch_form(browser, learner.username, course=course.lms_id)
    landed = browser.post(launch.action, data=launch.fields, allow_redirects=False, timeout=10)
    start = launch_token_url(landed)
    page = browser.get(
        lms.tool_base_url + start.removeprefix(lms.tool_base_url) + "dashboard/", timeout=10
    )
    assert page.status_code == 403
    assert "The dashboard is for instructors" in page.text
    assert course.learner("not_started").family_name not in page.text
    export = browser.get(
        lms.tool_base_url + start.removeprefix(lms.tool_base_url) + "dashboard/roster.csv",
        timeout=10,
    )
    assert export.status_code == 403
    assert not export.headers["Content-Type"].startswith("text/csv")


def test_failed_grades_can_be_sent_again_from_the_dashboard(
    lms: Lms, course: DashboardCourse
) -> None:
    browser, page = open_dashboard(lms, course)
    form = re.search(r'<form method="post" action="([^"]*/dashboard/resend)"', page.text)
    assert form is not None
    answer = browser.post(
        lms.tool_base_url + html.unescape(form.group(1)),
        data={"csrf_token": csrf_of(page.text)},
        timeout=10,
    )
    assert answer.status_code == 200
    assert "1 failed grade delivery was queued to be sent again." in answer.text
    with lms.services.session_factory.begin() as session:
        learner = course.learner("dead_letter")
        row = session.scalar(
            select(ScoreOutbox)
            .join(ScoreOutbox.user)
            .where(ScoreOutbox.last_error == DEAD_REASON)
            .where(ScoreOutbox.user.has(sub=learner.sub))
        )
        assert row is not None
        assert row.status is OutboxStatus.PENDING
        assert row.resend_count == 1
        # Leave nothing for other tests' grade dispatchers to send.
        row.status = OutboxStatus.SUPERSEDED


def test_a_link_without_an_activity_says_so_instead_of_listing_learners(
    lms: Lms, course: DashboardCourse
) -> None:
    link_id = add_unplaced_link(lms, course)
    browser = requests.Session()
    page = lms.driver(course.flavour).launch(
        browser, course.instructor, course=course.lms_id, resource_link_id=link_id
    )
    assert page.status_code == 200
    assert page.url.endswith("/dashboard/")
    assert 'id="no-activity"' in page.text
    assert not ROW.findall(page.text)
