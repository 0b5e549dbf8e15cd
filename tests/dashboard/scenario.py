"""A course of the dashboard tests: 26 learners in the sandbox, some of them far along.

The course, its people and its placement are added to the sandbox's own database (as an LMS
administrator would), so no other test's learners are touched; the tool-side records are
written as the journey would have left them. Some learner names are hostile on purpose.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool import protocol
from lti_tool.catalog import current_version
from lti_tool.db import utcnow
from lti_tool.models import (
    Attempt,
    EvaluationResponse,
    Participation,
    Registration,
    ResourceLink,
    User,
)
from lti_tool.models.grades import OutboxStatus, ScoreOutbox
from lti_tool.sandbox.flavours import FLAVOURS
from lti_tool.sandbox.models import Course, Enrollment, Person
from lti_tool.sandbox.seed import add_line_item, add_resource_link
from lti_tool.sandbox.tools import find_registration
from tests.placement.lms import ACTIVITY, Lms

HOSTILE_NAMES = [
    ("<script>alert('x')</script>", "Smith"),
    ('=HYPERLINK("http://evil.example","open")', "Formula"),
    ("+1", "Plus"),
    ("@SUM(A1)", "At"),
    ("Rosa", "Jiménez"),
]
PLAIN_NAMES = [(f"Learner{n:02d}", f"Family{n:02d}") for n in range(21)]
# Which learner (by position) is in which state.
ROLES = {
    "not_started": 0,
    "formula_passed": 1,
    "in_progress": 5,
    "posttest_failed": 6,
    "passed": 7,
    "evaluation_done": 8,
    "dead_letter": 9,
    "inactive": 10,
}
# The person's position in the course (the instructor is 0, learners follow).
INACTIVE_OFFSET = ROLES["inactive"] + 1
DEAD_REASON = "the LMS refused the grade (400): the learner is not enrolled"


@dataclass
class Learner:
    username: str
    sub: str
    given_name: str
    family_name: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass
class DashboardCourse:
    flavour: str
    lms_id: int
    instructor: str
    learners: list[Learner]
    issuer: str
    # Who is where, by role in the scenario.
    named: dict[str, Learner] = field(default_factory=dict)

    def learner(self, role: str) -> Learner:
        return self.named[role]


def _next(session: Session, column: object, flavour: str, model: type) -> int:
    highest = session.scalar(select(func.max(column)).where(model.flavour == flavour))  # type: ignore[attr-defined]
    return (highest or 0) + 1000


def add_sandbox_course(lms: Lms, flavour_name: str) -> DashboardCourse:
    flavour = FLAVOURS[flavour_name]
    tag = uuid.uuid4().hex[:8]
    with lms.sandbox.write_lock, lms.sandbox.session() as session:
        course_id = _next(session, Course.lms_id, flavour_name, Course)
        course = Course(
            flavour=flavour_name,
            lms_id=course_id,
            context_id=flavour.context_id(course_id),
            label=f"DASH-{tag}",
            title=f"Dashboard course {tag}",
        )
        session.add(course)
        first_person = _next(session, Person.lms_id, flavour_name, Person)
        people = []
        for offset, (given, family) in enumerate(
            [("Ida", "Instructor"), *HOSTILE_NAMES, *PLAIN_NAMES]
        ):
            lms_id = first_person + offset
            person = Person(
                flavour=flavour_name,
                lms_id=lms_id,
                sub=flavour.sub(lms_id),
                username=f"dash-{tag}-{offset:02d}",
                given_name=given,
                family_name=family,
                email=f"dash-{tag}-{offset:02d}@{flavour_name}.sandbox.test",
            )
            people.append(person)
            session.add(person)
            session.add(
                Enrollment(
                    course=course,
                    person=person,
                    role="instructor" if offset == 0 else "learner",
                    # One learner's enrolment is suspended (NRPS status Inactive).
                    status="Inactive" if offset == INACTIVE_OFFSET else "Active",
                )
            )
        registration = find_registration(session, flavour, None)
        assert registration is not None
        link = add_resource_link(
            session,
            flavour,
            registration,
            course,
            title="Dashboard activity",
            custom={"activity": ACTIVITY},
        )
        add_line_item(
            session,
            flavour,
            registration,
            course,
            label="Dashboard activity",
            score_maximum=Decimal(100),
            resource_link=link,
            resource_id=ACTIVITY,
        )
        learners = [Learner(p.username, p.sub, p.given_name, p.family_name) for p in people[1:]]
        return DashboardCourse(
            flavour=flavour_name,
            lms_id=course_id,
            instructor=people[0].username,
            learners=learners,
            issuer=lms.issuer(flavour_name),
        )


# -- tool-side records, as the journey and the grade outbox leave them ---------------------
def tool_user(session: Session, issuer: str, learner: Learner) -> User:
    user = session.scalar(select(User).where(User.issuer == issuer, User.sub == learner.sub))
    if user is None:
        user = User(
            issuer=issuer,
            sub=learner.sub,
            given_name=learner.given_name,
            family_name=learner.family_name,
        )
        session.add(user)
        session.flush()
    return user


def participation(session: Session, user: User, link: ResourceLink) -> Participation:
    version = current_version(session, ACTIVITY)
    assert version is not None
    row = Participation(
        user_id=user.id,
        activity_slug=ACTIVITY,
        activity_version_id=version.id,
        resource_link_pk=link.id,
    )
    session.add(row)
    session.flush()
    return row


def attempt(
    session: Session,
    row: Participation,
    kind: str,
    number: int,
    correct: int,
    total: int,
    passed: bool,
) -> None:
    session.add(
        Attempt(
            public_id=uuid.uuid4().hex,
            participation_id=row.id,
            activity_version_id=row.activity_version_id,
            kind=kind,
            number=number,
            correct=correct,
            total=total,
            passed=passed,
            submitted_at=utcnow(),
        )
    )


def evaluation(session: Session, row: Participation) -> None:
    session.add(
        EvaluationResponse(participation_id=row.id, activity_version_id=row.activity_version_id)
    )
    row.evaluation_completed_at = utcnow()


def outbox(
    session: Session, row: Participation, issuer: str, status: OutboxStatus, last_error: str = ""
) -> ScoreOutbox:
    # The registration the learner launched through (the issuer may hold several).
    link = session.get(ResourceLink, row.resource_link_pk)
    assert link is not None
    registration = session.get(Registration, link.registration_id)
    assert registration is not None and registration.issuer == issuer
    score = ScoreOutbox(
        registration_id=registration.id,
        user_id=row.user_id,
        participation_id=row.id,
        resource_link_pk=row.resource_link_pk,
        event_key=f"posttest:{uuid.uuid4().hex}",
        pair_key=f"dashboard:{row.user_id}",
        payload={"scoreGiven": 100},
        score_timestamp=utcnow() - dt.timedelta(minutes=5),
        status=status,
        attempts=3,
        last_error=last_error,
    )
    session.add(score)
    session.flush()
    return score


def placed_link(lms: Lms, course: DashboardCourse) -> int:
    """The tool's resource link of the course, recorded by a first instructor launch."""
    browser = requests.Session()
    launch = lms.driver(course.flavour).launch_form(
        browser, course.instructor, course=course.lms_id
    )
    landed = browser.post(launch.action, data=launch.fields, allow_redirects=False, timeout=10)
    link_id = launch.claims[protocol.CLAIM_RESOURCE_LINK]["id"]
    assert landed.status_code == 200
    with lms.services.session_factory() as session:
        link = session.scalar(
            select(ResourceLink)
            .join(Registration, Registration.id == ResourceLink.registration_id)
            .where(Registration.issuer == course.issuer, ResourceLink.resource_link_id == link_id)
        )
        assert link is not None
        return link.id


def build_scenario(lms: Lms, flavour: str) -> DashboardCourse:
    course = add_sandbox_course(lms, flavour)
    course.named = {role: course.learners[index] for role, index in ROLES.items()}
    link_pk = placed_link(lms, course)
    with lms.services.session_factory.begin() as session:
        link = session.get(ResourceLink, link_pk)
        assert link is not None

        def started(role: str) -> Participation:
            user = tool_user(session, course.issuer, course.learner(role))
            return participation(session, user, link)

        attempt(session, started("in_progress"), "pretest", 1, 2, 5, False)

        failed = started("posttest_failed")
        attempt(session, failed, "pretest", 1, 1, 5, False)
        attempt(session, failed, "posttest", 1, 2, 5, False)

        passed = started("passed")
        attempt(session, passed, "posttest", 1, 3, 5, False)
        attempt(session, passed, "posttest", 2, 5, 5, True)
        outbox(session, passed, course.issuer, OutboxStatus.DELIVERED)

        formula = started("formula_passed")
        attempt(session, formula, "posttest", 1, 4, 5, True)

        evaluated = started("evaluation_done")
        attempt(session, evaluated, "posttest", 1, 4, 5, True)
        evaluation(session, evaluated)
        outbox(session, evaluated, course.issuer, OutboxStatus.DELIVERED)

        dead = started("dead_letter")
        attempt(session, dead, "posttest", 1, 5, 5, True)
        outbox(session, dead, course.issuer, OutboxStatus.DEAD, DEAD_REASON)
    return course


def add_unplaced_link(lms: Lms, course: DashboardCourse) -> str:
    """A link added by hand in the LMS: it names no activity."""
    flavour = FLAVOURS[course.flavour]
    with lms.sandbox.write_lock, lms.sandbox.session() as session:
        registration = find_registration(session, flavour, None)
        sandbox_course = session.scalar(
            select(Course).where(Course.flavour == course.flavour, Course.lms_id == course.lms_id)
        )
        assert registration is not None and sandbox_course is not None
        link = add_resource_link(
            session, flavour, registration, sandbox_course, title="Added by hand", custom={}
        )
        return link.resource_link_id
