"""One activity placed in several courses: every placement the learner launched it through
gets the learner's current best score and completion (issue 11, seen on a real Moodle 5.1).

Over real HTTP with the sandbox LMS: the learner fails the post-test through placement A,
passes it through placement B, completes the activity, then opens placement C for the first
time. Each gradebook column must end at 100 and Completed, and A's dashboard must show what
was delivered to A.

The test registers the tool a second time with the sandbox's Canvas (its own client_id) and
delivers with a dispatcher limited to that registration, so no other test's queued scores
are sent. Canvas only: Moodle's login initiation names no client_id, so a second Moodle
registration would make every other test's Moodle launch ambiguous. The rule does not
depend on the platform.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from sqlalchemy import select

from lti_tool.catalog import activity_for_version
from lti_tool.course import Activity
from lti_tool.grades.dispatcher import Dispatcher
from lti_tool.grades.worker import drain
from lti_tool.models import Participation, ParticipationPlacement
from lti_tool.models.grades import OutboxStatus, ScoreOutbox
from lti_tool.sandbox import platform_registration, register_tool
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.flavours import FLAVOURS
from lti_tool.sandbox.models import Course, Enrollment, Person
from lti_tool.sandbox.seed import add_line_item, add_resource_link, next_lms_id
from lti_tool.sandbox.tools import find_registration
from lti_tool.sandbox_link import add_sandbox_platform
from tests.grades.support import FAST
from tests.journey.pages import Page
from tests.placement.lms import ACTIVITY, Lms

from .test_dashboard import rows

PLACEMENTS = ("A", "B", "C")


@dataclass
class ThreeCourses:
    flavour: str
    client_id: str
    courses: dict[str, int]  # placement name -> the course's LMS number
    line_items: dict[str, int]  # placement name -> the column's LMS number
    learner: str
    learner_sub: str
    instructor: str


@dataclass
class OwnRegistration:
    client_id: str
    registration_id: int


@pytest.fixture(scope="module")
def own_registration(lms: Lms) -> OwnRegistration:
    registered = register_tool(
        lms.app,
        "canvas",
        tool_base_url=lms.tool_base_url,
        name="Per-placement scores",
        primary=False,
    )
    details = platform_registration(lms.app, "canvas", registered.client_id)
    with lms.services.session_factory.begin() as session:
        registration = add_sandbox_platform(session, details, "Sandbox LMS (per-placement scores)")
        registration_id = registration.id
    return OwnRegistration(registered.client_id, registration_id)


def three_courses(lms: Lms, flavour_name: str, client_id: str) -> ThreeCourses:
    """Three courses, each with the activity placed and graded; one learner in all three."""
    flavour = FLAVOURS[flavour_name]
    tag = uuid.uuid4().hex[:8]
    courses: dict[str, int] = {}
    line_items: dict[str, int] = {}
    with lms.sandbox.write_lock, lms.sandbox.session() as session:
        people = []
        for role in ("learner", "instructor"):
            lms_id = next_lms_id(session, Person, flavour, 7000)
            person = Person(
                flavour=flavour_name,
                lms_id=lms_id,
                sub=flavour.sub(lms_id),
                username=f"per-link-{role}-{tag}",
                given_name="Per-link",
                family_name=role.title(),
                email=f"per-link-{role}-{tag}@{flavour_name}.sandbox.test",
            )
            session.add(person)
            session.flush()
            people.append(person)
        registration = find_registration(session, flavour, client_id)
        assert registration is not None
        for name in PLACEMENTS:
            lms_id = next_lms_id(session, Course, flavour, 8000)
            course = Course(
                flavour=flavour_name,
                lms_id=lms_id,
                context_id=flavour.context_id(lms_id),
                label=f"LINK-{name}-{tag}",
                title=f"Placement {name} {tag}",
            )
            session.add(course)
            session.add(Enrollment(course=course, person=people[0], role="learner"))
            session.add(Enrollment(course=course, person=people[1], role="instructor"))
            link = add_resource_link(
                session,
                flavour,
                registration,
                course,
                title=f"Cervical dystonia ({name})",
                custom={"activity": ACTIVITY},
            )
            column = add_line_item(
                session,
                flavour,
                registration,
                course,
                label=f"Cervical dystonia ({name})",
                score_maximum=Decimal(100),
                resource_link=link,
                resource_id=ACTIVITY,
            )
            courses[name] = lms_id
            line_items[name] = column.lms_id
        learner, instructor = people[0].username, people[1].username
        learner_sub = people[0].sub
    return ThreeCourses(
        flavour_name, client_id, courses, line_items, learner, learner_sub, instructor
    )


class LearnerTab:
    """The learner's browser on one placement: the launch's pages, followed by their forms."""

    def __init__(self, lms: Lms, setup: ThreeCourses, placement: str) -> None:
        self.lms = lms
        self.http = requests.Session()
        landed = SandboxDriver(lms.base_url, setup.flavour, client_id=setup.client_id).launch(
            self.http, setup.learner, course=setup.courses[placement]
        )
        assert landed.status_code == 200, landed.text[:500]
        self.token = urlsplit(landed.url).path.split("/")[2]
        self.page = self._page(landed)

    @staticmethod
    def _page(response: requests.Response) -> Page:
        return Page(response.status_code, urlsplit(response.url).path, response.text)

    def get(self, path: str) -> Page:
        response = self.http.get(f"{self.lms.tool_base_url}/a/{self.token}{path}", timeout=30)
        self.page = self._page(response)
        return self.page

    def submit(self, button: str, answers: dict[str, str] | None = None) -> Page:
        form = self.page.form(button)
        response = self.http.post(
            urljoin(self.lms.tool_base_url, form.action), data=form.data(answers), timeout=60
        )
        self.page = self._page(response)
        assert self.page.status == 200, self.page.text[:500]
        return self.page


def learner_activity(lms: Lms, learner_sub: str) -> Activity:
    """The activity version the learner's participation is pinned to."""
    with lms.services.session_factory() as session:
        participation = session.scalar(
            select(Participation).where(
                Participation.activity_slug == ACTIVITY,
                Participation.user.has(sub=learner_sub),
            )
        )
        assert participation is not None
        return activity_for_version(participation.activity_version)


def posttest_answers(lms: Lms, learner_sub: str, correct: bool) -> dict[str, str]:
    activity = learner_activity(lms, learner_sub)
    answers = {}
    for question in activity.posttest.questions:
        wrong = next(choice.key for choice in question.choices if choice.key != question.correct)
        answers[question.id] = question.correct if correct else wrong
    return answers


def columns(lms: Lms, setup: ThreeCourses) -> dict[str, dict[str, Any]]:
    """The learner's latest score in each placement's gradebook column."""
    latest: dict[str, dict[str, Any]] = {}
    names = {number: name for name, number in setup.line_items.items()}
    for score in lms.driver(setup.flavour).scores():
        if score["username"] == setup.learner and score["line_item"] in names:
            latest[names[score["line_item"]]] = score  # scores come oldest first
    return latest


def wait_for_columns(
    lms: Lms, setup: ThreeCourses, dispatcher: Dispatcher, expected: dict[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """Send what is queued, then read the gradebook until each named column shows
    (score, activityProgress)."""
    drain(dispatcher, timeout=20)
    deadline = time.monotonic() + 10
    while True:
        seen = {
            name: (score["score_given"], score["activity_progress"])
            for name, score in columns(lms, setup).items()
        }
        if all(seen.get(name) == value for name, value in expected.items()):
            return seen
        if time.monotonic() > deadline:
            return seen
        time.sleep(0.1)


def test_every_placement_the_learner_came_through_gets_the_best_score_and_completion(
    lms: Lms, own_registration: OwnRegistration
) -> None:
    flavour = "canvas"
    setup = three_courses(lms, flavour, own_registration.client_id)
    dispatcher = Dispatcher(
        lms.services.session_factory,
        lms.services.tool_conf,
        FAST,
        registration_ids=[own_registration.registration_id],
        outbound=lms.services.outbound,
    )

    # Placement A: disclosures, no pre-test, every section, a failed post-test (0 %).
    tab_a = LearnerTab(lms, setup, "A")
    tab_a.submit("I have read the disclosures")
    tab_a.submit("Skip the pre-test")
    for section_id in learner_activity(lms, setup.learner_sub).section_ids:
        assert tab_a.get(f"/activity/sections/{section_id}").status == 200
    tab_a.get("/activity/posttest")
    tab_a.submit("Submit my answers", posttest_answers(lms, setup.learner_sub, correct=False))
    assert wait_for_columns(lms, setup, dispatcher, {"A": ("0", "Submitted")})["A"] == (
        "0",
        "Submitted",
    )

    # Placement B, same activity: the learner carries on where they were and passes (100 %).
    tab_b = LearnerTab(lms, setup, "B")
    tab_b.get("/activity/posttest")
    tab_b.submit("Submit my answers", posttest_answers(lms, setup.learner_sub, correct=True))
    both = {"A": ("100", "Submitted"), "B": ("100", "Submitted")}
    assert wait_for_columns(lms, setup, dispatcher, both) == both

    # The evaluation completes the activity: both columns say Completed.
    tab_b.get("/activity/evaluation")
    form = tab_b.page.form("Submit the evaluation")
    answers = {name: values[0] for name, values in form.radios.items()}
    tab_b.submit("Submit the evaluation", answers)
    completed = {"A": ("100", "Completed"), "B": ("100", "Completed")}
    assert wait_for_columns(lms, setup, dispatcher, completed) == completed

    # A placement opened for the first time after all that gets the learner's state at once.
    LearnerTab(lms, setup, "C")
    every = {name: ("100", "Completed") for name in PLACEMENTS}
    assert wait_for_columns(lms, setup, dispatcher, every) == every

    # Each column got each state once: no duplicate sends to any placement.
    sent = [
        (score["line_item"], score["score_given"], score["activity_progress"])
        for score in lms.driver(flavour).scores()
        if score["username"] == setup.learner
    ]
    a, b, c = (setup.line_items[name] for name in PLACEMENTS)
    assert sorted(sent) == sorted(
        [
            (a, "0", "Submitted"),
            (a, "100", "Submitted"),
            (a, "100", "Completed"),
            (b, "100", "Submitted"),
            (b, "100", "Completed"),
            (c, "100", "Completed"),
        ]
    )
    with lms.services.session_factory() as session:
        placements = session.scalars(
            select(ParticipationPlacement.resource_link_pk)
            .join(Participation)
            .where(Participation.user.has(sub=setup.learner_sub))
        ).all()
        assert len(set(placements)) == 3
        undelivered = session.scalars(
            select(ScoreOutbox).where(
                ScoreOutbox.resource_link_pk.in_(placements),
                ScoreOutbox.status.not_in((OutboxStatus.DELIVERED, OutboxStatus.SUPERSEDED)),
            )
        ).all()
        assert undelivered == []

    # Placement A's dashboard shows what A's column got: delivered, 100 %.
    browser = requests.Session()
    driver = SandboxDriver(lms.base_url, flavour, client_id=setup.client_id)
    dashboard = driver.launch(browser, setup.instructor, course=setup.courses["A"])
    assert dashboard.status_code == 200 and dashboard.url.endswith("/dashboard/")
    status, cells = rows(dashboard)[setup.learner_sub]
    assert status == "EVALUATION_DONE"
    assert cells[4:6] == ["100.00%", "delivered"]
    dispatcher.close()
