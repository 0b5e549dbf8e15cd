"""Links without an activity, launches without a link, and LMS strings on pages."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool import protocol
from lti_tool.journey import events
from lti_tool.models import AuditEvent, ResourceLink

from .conftest import LaunchFactory, Tool
from .flows import begin


def _link_slug(tool: Tool) -> str | None:
    with tool.session() as session:
        return session.scalars(select(ResourceLink.activity_slug)).one()


def test_instructor_chooses_the_activity_of_a_link_once(tool: Tool, launch: LaunchFactory) -> None:
    instructor = launch(sub="teacher-1", role=protocol.INSTRUCTOR, slug=None)

    page = instructor.get("/")
    assert page.path.endswith("/activity/choose")
    form = page.form("Use this activity")
    assert form.radios == {"activity": ["mini-activity"]}
    chosen = instructor.submit(form, {"activity": "mini-activity"})

    assert "This link now delivers Hand hygiene in clinic" in chosen.text
    assert _link_slug(tool) == "mini-activity"
    with tool.session() as session:
        event = session.scalars(select(AuditEvent)).one()
    assert event.event == events.ACTIVITY_CHOSEN
    assert event.details["activity"] == "mini-activity"
    again = instructor.get("/choose")
    assert again.path.endswith("/activity/overview")


def test_a_choice_outside_the_open_catalog_is_refused(tool: Tool, launch: LaunchFactory) -> None:
    instructor = launch(sub="teacher-1", role=protocol.INSTRUCTOR, slug=None)
    form = instructor.get("/choose").form("Use this activity")

    page = instructor.submit(form, {"activity": "no-such-activity"})

    assert page.status == 200 and "Choose one of the activities listed." in page.text
    assert _link_slug(tool) is None


def test_learner_on_a_link_without_activity_is_told_it_is_not_set_up(
    tool: Tool, launch: LaunchFactory
) -> None:
    learner = launch(slug=None)

    page = learner.get("/")

    assert "Your instructor has not set up this activity yet" in page.text
    assert page.forms == []
    refused = learner.post_raw(
        learner.url("/choose"), {"csrf_token": learner.csrf, "activity": "mini-activity"}
    )
    assert refused.status_code == 200 and _link_slug(tool) is None


def test_a_launch_without_a_resource_link_is_sent_home(launch: LaunchFactory) -> None:
    deep_linking = launch(
        role=protocol.INSTRUCTOR, link=None, message_type=protocol.MESSAGE_DEEP_LINKING
    )
    response = deep_linking.client.get(deep_linking.url("/"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/a/{deep_linking.token}/")


def test_lms_names_with_markup_are_shown_as_text(launch: LaunchFactory) -> None:
    tab = launch(
        name='<script>alert("name")</script>',
        course_title="<img src=x onerror=alert(1)>Neurology",
    )
    begin(tab)

    record = tab.get("/complete")

    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in record.html
    assert "&lt;img src=x onerror=alert(1)&gt;Neurology" in record.html
    assert "<script>alert" not in record.html and "<img src=x" not in record.html
