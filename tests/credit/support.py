"""Helpers of the credit tests: learners in the sandbox, eligible participations, the forms
of each profession, reading PDFs and pages.

``make_eligible`` and ``eligible_participation`` write the rows the journey would have
written for a learner who acknowledged the disclosures, viewed every section, passed the
post-test and completed the evaluation (``Participation``, ``Attempt``,
``EvaluationResponse``), so a test reaches the claim in one step. The journey itself is
tested in tests/journey, and ``test_claim_over_http`` walks its real pages once.
"""

from __future__ import annotations

import email
import io
import re
import uuid
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.catalog import activity_for_version, current_version
from lti_tool.course import content_hash
from lti_tool.credit.forms import read_claim_form
from lti_tool.credit.issue import Issued, claim_and_issue
from lti_tool.credit.settings import CreditConfig
from lti_tool.db import utcnow
from lti_tool.models import (
    ActivityVersion,
    Attempt,
    EvaluationResponse,
    Launch,
    Participation,
    User,
)
from lti_tool.sandbox import sandbox_of
from lti_tool.sandbox.flavours import FLAVOURS
from lti_tool.sandbox.models import Course, Enrollment, Person
from lti_tool.sandbox.seed import add_resource_link, next_lms_id
from lti_tool.sandbox.tools import find_registration
from tests.conftest import launch
from tests.journey.pages import Page

ACTIVITY = "cervical-dystonia"
NABP_ID = "4123456"  # seeded in the CPE Monitor stand-in with birth date 0314
BIRTH = {"birth_month": "3", "birth_day": "14"}

FORMS: dict[str, dict[str, str]] = {
    "physician": {
        "degree": "MD",
        "time_spent_minutes": "45",
        "credits": "0.75",
        "attestation": "yes",
    },
    "pharmacist": {"degree": "PharmD", "nabp_eprofile_id": NABP_ID, **BIRTH},
    "nurse": {"degree": "RN, BSN", "licence_number": "RN-204518", "licence_state": "NY"},
    "physician_assistant": {"degree": "PA-C"},
    "nurse_practitioner": {"degree": "DNP, FNP-BC"},
    "other": {"degree": ""},
}


def claim_form(profession: str, name: str = "Amelia Okonkwo", **overrides: str) -> dict[str, str]:
    form = {
        "certificate_name": name,
        "profession": profession,
        "email": f"{uuid.uuid4().hex[:8]}@example.org",
        **FORMS[profession],
    }
    form.update(overrides)
    return form


# -- PDFs, mail and pages ---------------------------------------------------------------------
def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives, or refuses recipients with
    ``refuse`` (an SMTP reply such as ``"550 5.1.1 No such user here"``)."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.refuse = ""

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def page(response: requests.Response) -> Page:
    return Page(response.status_code, urlsplit(response.url).path, response.text)


class _FormFields(HTMLParser):
    """What a browser sends for each form: text, email and hidden inputs, checked radios and
    checkboxes, selected options (tests/journey/pages.py reads radios and text areas only)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str], list[str]]] = []
        self._fields: dict[str, str] | None = None
        self._select: str | None = None
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._fields = {}
            self.forms.append((values.get("action", ""), self._fields, []))
        elif self._fields is None:
            return
        elif tag == "input":
            kind, name = values.get("type", "text"), values.get("name", "")
            if name and (kind not in ("radio", "checkbox") or "checked" in values):
                self._fields[name] = values.get("value", "")
        elif tag == "select":
            self._select = values.get("name", "")
            self._fields.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in values:
            self._fields[self._select] = values.get("value", "")
        elif tag == "button":
            self._button = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None
        elif tag == "button" and self._button is not None and self.forms:
            self.forms[-1][2].append(" ".join("".join(self._button).split()))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)


def form_fields(html: str, button: str) -> tuple[str, dict[str, str]]:
    """The action and the fields a browser would submit with the form of ``button``."""
    parser = _FormFields()
    parser.feed(html)
    found = [(a, f) for a, f, buttons in parser.forms if any(button in b for b in buttons)]
    assert len(found) == 1, f"expected one form with button {button!r}"
    return found[0]


# -- learners ---------------------------------------------------------------------------------
class SandboxPeople:
    """A sandbox course per flavour for the credit tests alone (placed with their tool), and a
    new learner in it for every test, so no two tests share a learner and no other test's
    roster grows."""

    def __init__(self, sandbox_app: Flask, client_ids: dict[str, str]) -> None:
        self.sandbox = sandbox_of(sandbox_app)
        self.client_ids = client_ids
        self.courses: dict[str, int] = {}

    def course(self, flavour: str) -> int:
        """The course's LMS number, created with its placement on first use."""
        if flavour not in self.courses:
            chosen = FLAVOURS[flavour]
            with self.sandbox.write_lock, self.sandbox.session() as session:
                lms_id = next_lms_id(session, Course, chosen, 9000)
                course = Course(
                    flavour=flavour,
                    lms_id=lms_id,
                    context_id=chosen.context_id(lms_id),
                    label="CME-CREDIT",
                    title="CME credit tests",
                )
                session.add(course)
                session.flush()
                registration = find_registration(session, chosen, self.client_ids[flavour])
                assert registration is not None
                add_resource_link(
                    session,
                    chosen,
                    registration,
                    course,
                    title="Cervical dystonia (credit tests)",
                    custom={"activity": ACTIVITY},
                )
            self.courses[flavour] = lms_id
        return self.courses[flavour]

    def add(
        self,
        flavour: str = "canvas",
        given_name: str = "Amelia",
        family_name: str = "Okonkwo",
        email: str | None = None,
    ) -> str:
        chosen = FLAVOURS[flavour]
        course_number = self.course(flavour)
        username = f"credit-{uuid.uuid4().hex[:10]}"
        with self.sandbox.write_lock, self.sandbox.session() as session:
            lms_id = next_lms_id(session, Person, chosen, 5000)
            person = Person(
                flavour=flavour,
                lms_id=lms_id,
                sub=chosen.sub(lms_id),
                username=username,
                given_name=given_name,
                family_name=family_name,
                email=email or f"{username}@{flavour}.sandbox.test",
            )
            course = session.scalar(
                select(Course).where(Course.flavour == flavour, Course.lms_id == course_number)
            )
            session.add(person)
            session.add(Enrollment(course=course, person=person, role="learner"))
        return username


def launch_learner(credit_tool: Any, flavour: str = "canvas", **person: str) -> Learner:
    """A new sandbox learner launched into the activity; lands on the journey."""
    username = credit_tool.people.add(flavour, **person)
    landed = launch(
        credit_tool.driver(flavour), username, course=credit_tool.people.course(flavour)
    )
    assert landed.status_code == 200, landed.text[:500]
    token = urlsplit(landed.url).path.split("/")[2]
    return Learner(credit_tool, landed.session, token, landed)  # type: ignore[attr-defined]


class Learner:
    """One launch of one learner: a browser session and the launch's pages."""

    def __init__(self, credit_tool: Any, http: requests.Session, token: str, landed: Any) -> None:
        self.tool = credit_tool
        self.http = http
        self.token = token
        self.landed = landed

    def url(self, path: str) -> str:
        """An absolute URL: ``path`` is under the launch unless it is already absolute."""
        if path.startswith("http"):
            return path
        if path.startswith(("/a/", "/certificates/verify")):
            return self.tool.base_url + path
        return f"{self.tool.base_url}/a/{self.token}{path}"

    def get(self, path: str, **options: Any) -> requests.Response:
        return self.http.get(self.url(path), timeout=30, **options)

    def post(self, path: str, data: dict[str, str], **options: Any) -> requests.Response:
        return self.http.post(self.url(path), data=data, timeout=60, **options)

    @property
    def launch_row(self) -> Launch:
        with self.tool.services.session_factory() as session:
            restored = self.tool.services.tokens.restore(session, self.token)
            row = restored.launch
            session.expunge_all()
            return row

    @property
    def csrf(self) -> str:
        return self.tool.services.tokens.csrf_token(self.launch_row.id)

    @property
    def participation_id(self) -> int:
        with self.tool.services.session_factory() as session:
            found = session.scalar(
                select(Participation.id).where(
                    Participation.user_id == self.launch_row.user_id,
                    Participation.activity_slug == ACTIVITY,
                )
            )
            assert found is not None
            return found

    def claim(self, form: dict[str, str]) -> requests.Response:
        return self.post("/certificates/claim", {"csrf_token": self.csrf, **form})


# -- eligibility ------------------------------------------------------------------------------
def make_eligible(
    factory: sessionmaker[Session], participation_id: int, completed_at: datetime | None = None
) -> None:
    """Record, for an existing participation, what the journey records up to a completed
    evaluation (see the module docstring)."""
    completed_at = completed_at or utcnow()
    with factory.begin() as session:
        participation = session.get(Participation, participation_id)
        assert participation is not None
        activity = activity_for_version(participation.activity_version)
        start = completed_at - timedelta(minutes=50)
        participation.disclosures_acknowledged_at = start
        participation.pretest_skipped_at = start
        participation.sections_viewed = list(activity.section_ids)
        participation.last_viewed_section = activity.section_ids[-1]
        participation.seconds_on_content = 40 * 60
        total = len(activity.posttest.questions)
        session.add(
            Attempt(
                public_id=uuid.uuid4().hex,
                participation_id=participation.id,
                activity_version_id=participation.activity_version_id,
                kind="posttest",
                number=1,
                question_order=list(activity.posttest.question_ids),
                answers={q.id: q.correct for q in activity.posttest.questions},
                correct=total,
                total=total,
                passed=True,
                opened_at=completed_at - timedelta(minutes=5),
                submitted_at=completed_at - timedelta(minutes=3),
            )
        )
        session.add(
            EvaluationResponse(
                participation_id=participation.id,
                activity_version_id=participation.activity_version_id,
                answers={},
                submitted_at=completed_at,
            )
        )
        participation.evaluation_completed_at = completed_at


def eligible_participation(
    factory: sessionmaker[Session],
    *,
    completed_at: datetime | None = None,
    passed: bool = True,
    name: str = "Amelia Okonkwo",
) -> int:
    """A new learner (no launch) with a participation in the model activity; eligible for
    credit unless ``passed`` is False (then nothing past the content is recorded)."""
    with factory.begin() as session:
        user = User(issuer="https://lms.credit-tests.example", sub=uuid.uuid4().hex, name=name)
        session.add(user)
        session.flush()
        version = current_version(session, ACTIVITY)
        assert version is not None
        participation = Participation(
            user_id=user.id,
            activity_slug=ACTIVITY,
            activity_version_id=version.id,
            sections_viewed=[],
            evaluation_draft={},
        )
        session.add(participation)
        session.flush()
        participation_id = participation.id
    if passed:
        make_eligible(factory, participation_id, completed_at)
    return participation_id


def issue(
    factory: sessionmaker[Session],
    config: CreditConfig,
    participation_id: int,
    form: dict[str, str],
    now: datetime | None = None,
) -> Issued:
    """Claim through the service, as the claim view does, in one committed transaction."""
    with factory.begin() as session:
        participation = session.get(Participation, participation_id)
        assert participation is not None
        activity = activity_for_version(participation.activity_version)
        result = read_claim_form(form, activity)
        assert result.request is not None, result.errors
        return claim_and_issue(
            session,
            config,
            participation.user,
            participation,
            activity,
            result.request,
            now or utcnow(),
        )


def expired_version(factory: sessionmaker[Session]) -> int:
    """A version of the model activity that expired on 1 October 2026 (not current): the
    same files with earlier dates, stored as the catalog stores a version."""
    with factory.begin() as session:
        current = current_version(session, ACTIVITY)
        assert current is not None
        files = dict(current.files)
        meta = files["activity.yaml"]
        meta = re.sub(r"(?m)^release_date: .*$", "release_date: 2024-10-01", meta)
        meta = re.sub(r"(?m)^expiration_date: .*$", "expiration_date: 2026-10-01", meta)
        files["activity.yaml"] = meta
        digest = content_hash({path: text.encode("utf-8") for path, text in files.items()})
        found = session.scalar(
            select(ActivityVersion.id).where(
                ActivityVersion.slug == ACTIVITY, ActivityVersion.content_hash == digest
            )
        )
        if found is not None:
            return found
        version = ActivityVersion(
            slug=ACTIVITY,
            content_hash=digest,
            title=current.title,
            files=files,
            source_dir="",
            is_current=False,
        )
        session.add(version)
        session.flush()
        return version.id


def pin_to_version(factory: sessionmaker[Session], participation_id: int, version_id: int) -> None:
    with factory.begin() as session:
        participation = session.get(Participation, participation_id)
        assert participation is not None
        participation.activity_version_id = version_id
