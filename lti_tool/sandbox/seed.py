"""The seeded LMS content: people, two courses per flavour, and where a tool gets placed.

The main course has an instructor, a teaching assistant and 26 learners (28 members, so NRPS
paging at the default page size of 10 gives three pages). The small course has the instructor,
``learner01`` and ``visitor``, who is enrolled nowhere else: scoring ``visitor`` on a
main-course line item is how tests reach "user not in course".

The same usernames exist in both flavours; their LMS ids and LTI ``sub`` differ per flavour.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.sandbox.flavours import Flavour
from lti_tool.sandbox.models import (
    Course,
    Enrollment,
    LineItem,
    Person,
    ResourceLink,
    SandboxBase,
    ToolRegistration,
)

LEARNER_NAMES = [
    ("Amina", "Haddad"),
    ("Bruno", "Costa"),
    ("Chiara", "Bianchi"),
    ("Dmitri", "Volkov"),
    ("Efua", "Mensah"),
    ("Farid", "Rahimi"),
    ("Greta", "Lindqvist"),
    ("Hiroshi", "Tanaka"),
    ("Ines", "Duarte"),
    ("Jonas", "Becker"),
    ("Kavya", "Iyer"),
    ("Liam", "O'Connor"),
    ("Mei", "Chen"),
    ("Nadia", "Kowalski"),
    ("Oluwaseun", "Adeyemi"),
    ("Priya", "Nair"),
    ("Quentin", "Moreau"),
    ("Rosa", "Jiménez"),
    ("Sven", "Eriksen"),
    ("Tala", "Nasser"),
    ("Umar", "Siddiqui"),
    ("Valentina", "Rossi"),
    ("Wen", "Zhao"),
    ("Ximena", "Ortega"),
    ("Yusuf", "Demir"),
    ("Zara", "Ahmed"),
]
MAIN_COURSE = {"canvas": 7, "moodle": 2}
SMALL_COURSE = {"canvas": 8, "moodle": 3}
GRADED_ACTIVITY_TITLE = "Cervical dystonia: botulinum toxin update (CME)"
UNGRADED_ACTIVITY_TITLE = "Cervical dystonia: practice cases (ungraded)"
ACTIVITY_SLUG = "cervical-dystonia"


def _person_ids(flavour: Flavour) -> dict[str, int]:
    """LMS user numbers: Moodle's admin is user 2 (1 is guest); Canvas ids are larger."""
    if flavour.name == "moodle":
        ids = {"admin": 2, "instructor": 3, "ta": 4, "visitor": 31}
        ids.update({f"learner{n:02d}": 4 + n for n in range(1, 27)})
    else:
        ids = {"admin": 1, "instructor": 101, "ta": 102, "visitor": 301}
        ids.update({f"learner{n:02d}": 200 + n for n in range(1, 27)})
    return ids


def _people(flavour: Flavour) -> list[Person]:
    names = {
        "admin": ("Sandbox", "Admin"),
        "instructor": ("Amara", "Okafor"),
        "ta": ("Sam", "Rivera"),
        "visitor": ("Vera", "Visitor"),
    }
    names.update({f"learner{n:02d}": pair for n, pair in enumerate(LEARNER_NAMES, start=1)})
    people = []
    for username, lms_id in _person_ids(flavour).items():
        given, family = names[username]
        people.append(
            Person(
                flavour=flavour.name,
                lms_id=lms_id,
                sub=flavour.sub(lms_id),
                username=username,
                given_name=given,
                family_name=family,
                email=f"{username}@{flavour.name}.sandbox.test",
                is_admin=username == "admin",
            )
        )
    return people


def seed_flavour(session: Session, flavour: Flavour) -> None:
    """Create the flavour's people and courses unless they exist (idempotent)."""
    exists = session.scalar(select(Course.id).where(Course.flavour == flavour.name).limit(1))
    if exists is not None:
        return
    people = {person.username: person for person in _people(flavour)}
    session.add_all(people.values())
    main = Course(
        flavour=flavour.name,
        lms_id=MAIN_COURSE[flavour.name],
        context_id=flavour.context_id(MAIN_COURSE[flavour.name]),
        label="CME-CD-2025",
        title="CME: Cervical Dystonia Update 2025",
    )
    small = Course(
        flavour=flavour.name,
        lms_id=SMALL_COURSE[flavour.name],
        context_id=flavour.context_id(SMALL_COURSE[flavour.name]),
        label="GR-NEURO",
        title="Neurology Grand Rounds",
    )
    session.add_all([main, small])
    main_roster = {"instructor": "instructor", "ta": "ta"}
    main_roster.update({f"learner{n:02d}": "learner" for n in range(1, 27)})
    for username, role in main_roster.items():
        session.add(Enrollment(course=main, person=people[username], role=role))
    for username, role in {
        "instructor": "instructor",
        "learner01": "learner",
        "visitor": "learner",
    }.items():
        session.add(Enrollment(course=small, person=people[username], role=role))
    session.flush()


def next_lms_id(session: Session, model: type[SandboxBase], flavour: Flavour, first: int) -> int:
    column = model.__table__.c.lms_id  # type: ignore[attr-defined]
    flavour_column = model.__table__.c.flavour  # type: ignore[attr-defined]
    current = session.scalar(select(func.max(column)).where(flavour_column == flavour.name))
    return first if current is None else current + 1


def add_resource_link(
    session: Session,
    flavour: Flavour,
    registration: ToolRegistration,
    course: Course,
    *,
    title: str,
    custom: dict[str, str],
    text: str = "",
    target_link_uri: str | None = None,
    created_via: str = "seed",
) -> ResourceLink:
    lms_id = next_lms_id(session, ResourceLink, flavour, flavour.first_resource_link_id)
    link = ResourceLink(
        flavour=flavour.name,
        lms_id=lms_id,
        course=course,
        registration=registration,
        resource_link_id=flavour.new_resource_link_id(registration, lms_id),
        title=title,
        text=text,
        target_link_uri=target_link_uri,
        custom=custom,
        created_via=created_via,
    )
    session.add(link)
    session.flush()
    return link


def add_line_item(
    session: Session,
    flavour: Flavour,
    registration: ToolRegistration,
    course: Course,
    *,
    label: str,
    score_maximum: Decimal,
    resource_link: ResourceLink | None = None,
    resource_id: str = "",
    tag: str = "",
    start_date_time: str | None = None,
    end_date_time: str | None = None,
) -> LineItem:
    line_item = LineItem(
        flavour=flavour.name,
        lms_id=next_lms_id(session, LineItem, flavour, flavour.first_line_item_id),
        course=course,
        registration_id=registration.id,
        resource_link=resource_link,
        label=label,
        score_maximum=score_maximum,
        resource_id=resource_id,
        tag=tag,
        start_date_time=start_date_time,
        end_date_time=end_date_time,
    )
    session.add(line_item)
    session.flush()
    return line_item


def place_tool(session: Session, flavour: Flavour, registration: ToolRegistration) -> None:
    """Put the tool in every course: a graded activity in each, an ungraded one in the main one."""
    courses = session.scalars(
        select(Course).where(Course.flavour == flavour.name).order_by(Course.lms_id)
    ).all()
    for course in courses:
        graded = add_resource_link(
            session,
            flavour,
            registration,
            course,
            title=GRADED_ACTIVITY_TITLE,
            custom={"activity": ACTIVITY_SLUG},
        )
        add_line_item(
            session,
            flavour,
            registration,
            course,
            label=GRADED_ACTIVITY_TITLE,
            score_maximum=Decimal(100),
            resource_link=graded,
            resource_id=ACTIVITY_SLUG,
        )
        if course.lms_id == MAIN_COURSE[flavour.name]:
            add_resource_link(
                session,
                flavour,
                registration,
                course,
                title=UNGRADED_ACTIVITY_TITLE,
                custom={"activity": ACTIVITY_SLUG},
            )
