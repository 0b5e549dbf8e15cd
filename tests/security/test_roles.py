"""Scenario 2 of issue 10: a Canvas observer (LTI role Mentor) launched over real HTTP gets
no instructor page. Before the role table, Mentor counted as an instructor: the observer saw
the dashboard, downloaded the roster CSV (names, emails, LMS ids) and could resend grades."""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import func, select

from lti_tool import protocol
from lti_tool.models import Attempt, Launch, Participation, User
from lti_tool.models.grades import OutboxStatus, ScoreOutbox
from lti_tool.sandbox import vocab
from lti_tool.sandbox.flavours import FLAVOURS
from lti_tool.sandbox.models import Course, Enrollment, Person
from tests.conftest import Sandbox, Served
from tests.dashboard.scenario import DEAD_REASON, DashboardCourse, build_scenario
from tests.placement.lms import Lms, launch_token_url, prepared_lms

OBSERVER_PAGE = "This activity is for enrolled learners"


@pytest.fixture(scope="module")
def lms(tool: Served, sandbox: Sandbox) -> Lms:
    return prepared_lms(tool.app, tool.base_url, sandbox.app, sandbox.base_url)


@pytest.fixture(scope="module")
def course(lms: Lms) -> DashboardCourse:
    return build_scenario(lms, "canvas")


def _add_observer(lms: Lms, course: DashboardCourse) -> Person:
    """A parent linked to a learner, enrolled in the course as Canvas does observers."""
    flavour = FLAVOURS["canvas"]
    with lms.sandbox.write_lock, lms.sandbox.session() as session:
        course_row = session.scalar(
            select(Course).where(Course.flavour == "canvas", Course.lms_id == course.lms_id)
        )
        assert course_row is not None
        lms_id = (
            session.scalar(select(func.max(Person.lms_id)).where(Person.flavour == "canvas")) or 0
        ) + 1
        tag = uuid.uuid4().hex[:8]
        person = Person(
            flavour="canvas",
            lms_id=lms_id,
            sub=flavour.sub(lms_id),
            username=f"observer-{tag}",
            given_name="Olive",
            family_name="Observer",
            email=f"observer-{tag}@canvas.sandbox.test",
        )
        session.add(person)
        session.add(Enrollment(course=course_row, person=person, role="observer", status="Active"))
        session.flush()
        session.expunge(person)
        return person


def _dead_letter(lms: Lms, course: DashboardCourse) -> tuple[int, OutboxStatus, int]:
    learner = course.learner("dead_letter")
    with lms.services.session_factory() as session:
        row = session.scalar(
            select(ScoreOutbox)
            .where(ScoreOutbox.last_error == DEAD_REASON)
            .where(ScoreOutbox.user.has(sub=learner.sub))
        )
        assert row is not None
        return row.id, row.status, row.resend_count


def test_a_mentor_launch_cannot_see_the_dashboard_export_the_roster_or_resend_grades(
    lms: Lms, course: DashboardCourse
) -> None:
    observer = _add_observer(lms, course)
    before = _dead_letter(lms, course)
    assert before[1] is OutboxStatus.DEAD

    browser = requests.Session()
    form = lms.driver("canvas").launch_form(browser, observer.username, course=course.lms_id)
    claims = lms.driver("canvas").decode(form.fields["id_token"])
    assert vocab.ROLE_MENTOR in claims[vocab.CLAIM_ROLES]
    landed = browser.post(form.action, data=form.fields, allow_redirects=False, timeout=10)
    # The launch is recorded, and answers with its landing page: the one for non-learners.
    assert landed.status_code == 403, landed.text[:300]
    assert "This activity is for enrolled learners" in landed.text
    start = launch_token_url(landed)
    base = lms.tool_base_url + start.removeprefix(lms.tool_base_url)

    landing = browser.get(base, timeout=10)
    assert landing.status_code == 403
    assert OBSERVER_PAGE in landing.text
    assert "enrol you as a student" in landing.text

    dashboard = browser.get(base + "dashboard/", timeout=10)
    assert dashboard.status_code == 403
    assert course.learner("not_started").family_name not in dashboard.text
    assert "roster.csv" not in dashboard.text

    export = browser.get(base + "dashboard/roster.csv", timeout=10)
    assert export.status_code == 403
    assert not export.headers["Content-Type"].startswith("text/csv")
    assert course.learner("passed").family_name not in export.text

    # The strongest observer: one who somehow holds the launch's CSRF token.
    with lms.services.session_factory() as session:
        launch_row = session.scalar(
            select(Launch)
            .join(Launch.user)
            .where(User.sub == observer.sub)
            .order_by(Launch.created_at.desc())
        )
        assert launch_row is not None
        launch_id, role, user_id = launch_row.id, launch_row.role, launch_row.user_id
    assert role == protocol.NOT_ENROLLED
    resend = browser.post(
        base + "dashboard/resend",
        data={"csrf_token": lms.services.tokens.csrf_token(launch_id)},
        allow_redirects=False,
        timeout=10,
    )
    assert resend.status_code == 403
    assert _dead_letter(lms, course) == before  # still dead, never requeued

    journey = browser.get(base + "activity/", timeout=10)
    assert journey.status_code == 403
    with lms.services.session_factory() as session:
        assert not session.scalar(
            select(func.count()).select_from(Participation).where(Participation.user_id == user_id)
        )
        assert not session.scalar(
            select(func.count())
            .select_from(Attempt)
            .join(Participation, Attempt.participation_id == Participation.id)
            .where(Participation.user_id == user_id)
        )


def test_a_mentor_launch_recorded_as_instructor_before_the_role_table_gets_no_dashboard(
    lms: Lms, course: DashboardCourse
) -> None:
    """Launches live 8 hours: one recorded before this fix (Mentor stored as "instructor")
    is read through today's table, so deploying the fix closes it at once."""
    observer = _add_observer(lms, course)
    browser = requests.Session()
    form = lms.driver("canvas").launch_form(browser, observer.username, course=course.lms_id)
    landed = browser.post(form.action, data=form.fields, allow_redirects=False, timeout=10)
    base = lms.tool_base_url + launch_token_url(landed).removeprefix(lms.tool_base_url)
    with lms.services.session_factory.begin() as session:
        row = session.scalar(select(Launch).join(Launch.user).where(User.sub == observer.sub))
        assert row is not None
        row.role = protocol.INSTRUCTOR  # what the old classifier stored for Mentor

    dashboard = browser.get(base + "dashboard/", timeout=10)
    assert dashboard.status_code == 403
    assert OBSERVER_PAGE in dashboard.text
    export = browser.get(base + "dashboard/roster.csv", timeout=10)
    assert export.status_code == 403
