"""Helpers for the grade passback tests: a sandbox LMS per test, learners with post-tests,
and dispatchers with short backoff so failure-and-recovery tests finish in seconds.

Each test gets its own sandbox (its own gradebook, call log and fault rules) with its own
Canvas issuer; Moodle's issuer is its URL, so both registrations in the tool's shared
database are new, and so are the learners (a user is (issuer, sub)). Dispatchers are limited
to the test's own registrations so rows other tests left behind are never touched.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select

from lti_tool import protocol
from lti_tool.db import transaction, utcnow
from lti_tool.extensions import ToolServices
from lti_tool.grades.dispatcher import Dispatcher, DispatchPolicy
from lti_tool.journey import events
from lti_tool.launch.records import record_launch, resolve_deployment
from lti_tool.models import ActivityVersion, Attempt, Participation, Registration, User
from lti_tool.models.grades import ScoreOutbox
from lti_tool.sandbox import models as lms_models
from lti_tool.sandbox import (
    platform_registration,
    sandbox_of,
)
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.flavours import flavour_named
from lti_tool.sandbox.launches import id_token_claims, resolve_and_start
from lti_tool.sandbox.seed import GRADED_ACTIVITY_TITLE, MAIN_COURSE

ACTIVITY = "cervical-dystonia"


def is_postgres() -> bool:
    return os.environ.get("LTI_TOOL_TEST_DATABASE_URL", "").startswith("postgresql")


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


# Seconds, not minutes: the failure tests watch several retries happen.
FAST = DispatchPolicy(
    batch_size=25,
    concurrency=4,
    lease_seconds=4.0,
    backoff_base_seconds=0.05,
    backoff_cap_seconds=0.4,
    max_attempts=40,
    max_client_error_attempts=3,
    http_timeout_seconds=2.0,
    line_item_wait_seconds=0.05,
)


@dataclass
class Learner:
    username: str
    sub: str
    user_id: int
    participation_id: int
    resource_link_pk: int


@dataclass
class Lms:
    """One sandbox LMS (Canvas and Moodle flavours) trusted by the tool under test."""

    app: Flask
    base_url: str
    services: ToolServices
    registration_ids: dict[str, int] = field(default_factory=dict)
    _links: dict[tuple[str, str], int] = field(default_factory=dict)

    def driver(self, flavour: str) -> SandboxDriver:
        return SandboxDriver(self.base_url, flavour)

    def scores(self, flavour: str, username: str | None = None) -> list[dict[str, Any]]:
        found = self.driver(flavour).scores()
        return [s for s in found if username is None or s["username"] == username]

    def calls(self, contains: str = "") -> list[dict[str, Any]]:
        return [c for c in self.driver("canvas").calls() if contains in c["path"]]

    def dispatcher(self, policy: DispatchPolicy = FAST, **options: Any) -> Dispatcher:
        return Dispatcher(
            self.services.session_factory,
            self.services.tool_conf,
            policy,
            registration_ids=self.registration_ids.values(),
            outbound=self.services.outbound,
            **options,
        )

    # -- the platform's side -------------------------------------------------------------
    def link_id(self, flavour: str, title: str = GRADED_ACTIVITY_TITLE) -> str:
        """The LTI resource_link_id of a seeded placement in the main course."""
        with sandbox_of(self.app).session() as session:
            found = session.scalar(
                select(lms_models.ResourceLink.resource_link_id)
                .join(lms_models.Course)
                .where(
                    lms_models.ResourceLink.flavour == flavour,
                    lms_models.Course.lms_id == MAIN_COURSE[flavour],
                    lms_models.ResourceLink.title == title,
                )
            )
        assert found, f"no {title!r} link in {flavour}"
        return found

    def person(self, flavour: str, username: str) -> lms_models.Person:
        with sandbox_of(self.app).session() as session:
            person = session.scalar(
                select(lms_models.Person).where(
                    lms_models.Person.flavour == flavour, lms_models.Person.username == username
                )
            )
            assert person is not None
            session.expunge(person)
            return person

    def enroll(self, flavour: str, username: str, course: int) -> None:
        """Fix the cause of a 'user not in course' refusal, as an LMS admin would."""
        with sandbox_of(self.app).session() as session:
            course_row = session.scalar(
                select(lms_models.Course).where(
                    lms_models.Course.flavour == flavour, lms_models.Course.lms_id == course
                )
            )
            person = session.scalar(
                select(lms_models.Person).where(
                    lms_models.Person.flavour == flavour, lms_models.Person.username == username
                )
            )
            session.add(lms_models.Enrollment(course=course_row, person=person, role="learner"))

    # -- the tool's side -----------------------------------------------------------------
    def launch(self, flavour: str, username: str, title: str = GRADED_ACTIVITY_TITLE) -> int:
        """Record a launch of ``title`` by ``username``; returns the tool's resource link pk.

        The claims are the platform's own (the sandbox builds the id_token body, AGS endpoint
        claim included) and the tool records them with its own launch recorder; only the
        browser's OIDC round trip, which the launch tests cover, is skipped.
        """
        link_id = self.link_id(flavour, title)
        sandbox = sandbox_of(self.app)
        chosen = flavour_named(flavour)
        with sandbox.session() as lms_session:
            initiation = resolve_and_start(
                lms_session,
                sandbox,
                chosen,
                user=username,
                role="learner",
                resource_link_id=link_id,
            )
            hint = lms_session.get(lms_models.LaunchHint, initiation.hint_id)
            claims = id_token_claims(lms_session, sandbox, chosen, hint, nonce=unique())
        with transaction(self.services.session_factory) as session:
            registration = session.get(Registration, self.registration_ids[flavour])
            assert registration is not None
            deployment = resolve_deployment(
                session, registration, claims[protocol.CLAIM_DEPLOYMENT_ID]
            )
            launch = record_launch(session, registration, deployment, claims, 3600)
            assert launch.resource_link_pk is not None
            pk = launch.resource_link_pk
        self._links[(flavour, title)] = pk
        return pk

    def learner(
        self,
        flavour: str,
        username: str,
        *,
        title: str = GRADED_ACTIVITY_TITLE,
        activity: str = ACTIVITY,
        launch: bool = False,
    ) -> Learner:
        """A learner on a placement: launched for real the first time a placement is used
        (so the tool holds the platform's own AGS claim), then as that launch records them."""
        if launch or (flavour, title) not in self._links:
            link_pk = self.launch(flavour, username, title)
        else:
            link_pk = self._links[(flavour, title)]
        person = self.person(flavour, username)
        issuer = platform_registration(self.app, flavour)["issuer"]
        with transaction(self.services.session_factory) as session:
            user = session.scalar(select(User).where(User.issuer == issuer, User.sub == person.sub))
            if user is None:
                user = User(issuer=issuer, sub=person.sub, name=person.name)
                session.add(user)
            # Not current: grade tests need a participation, not an activity in the catalogue.
            version = ActivityVersion(
                slug=activity, content_hash=unique(), title="CME activity", is_current=False
            )
            session.add(version)
            session.flush()
            participation = Participation(
                user_id=user.id,
                activity_slug=activity,
                activity_version_id=version.id,
                resource_link_pk=link_pk,
            )
            session.add(participation)
            session.flush()
            return Learner(username, person.sub, user.id, participation.id, link_pk)

    def submit_posttest(
        self, learner: Learner, correct: int, total: int = 10
    ) -> ScoreOutbox | None:
        """Score a post-test attempt the way the journey does: attempt and outbox together."""
        with transaction(self.services.session_factory) as session:
            participation = session.get(Participation, learner.participation_id)
            assert participation is not None
            number = len([a for a in participation.attempts if a.kind == "posttest"]) + 1
            attempt = Attempt(
                public_id=uuid.uuid4().hex,
                participation_id=participation.id,
                activity_version_id=participation.activity_version_id,
                kind="posttest",
                number=number,
                correct=correct,
                total=total,
                passed=correct * 10 >= total * 7,
                submitted_at=utcnow(),
            )
            session.add(attempt)
            session.flush()
            events.posttest_submitted(session, participation, attempt)
            return latest_row(session, learner)

    def complete(self, learner: Learner) -> ScoreOutbox | None:
        with transaction(self.services.session_factory) as session:
            participation = session.get(Participation, learner.participation_id)
            assert participation is not None
            participation.evaluation_completed_at = utcnow()
            participation.credit_claimed_at = utcnow()
            events.journey_completed(session, participation)
            return latest_row(session, learner)

    def rows(self) -> list[ScoreOutbox]:
        with self.services.session_factory() as session:
            return list(
                session.scalars(
                    select(ScoreOutbox)
                    .where(ScoreOutbox.registration_id.in_(self.registration_ids.values()))
                    .order_by(ScoreOutbox.id)
                )
            )


def latest_row(session: Any, learner: Learner) -> ScoreOutbox | None:
    return session.scalar(
        select(ScoreOutbox)
        .where(ScoreOutbox.participation_id == learner.participation_id)
        .order_by(ScoreOutbox.id.desc())
        .limit(1)
    )


def wait_until(predicate: Any, timeout: float, pause: float = 0.05) -> bool:
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=timeout)
    while dt.datetime.now(dt.UTC) < deadline:
        if predicate():
            return True
        time.sleep(pause)
    return bool(predicate())
