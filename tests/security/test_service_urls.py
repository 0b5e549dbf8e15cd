"""Issue 10 scenario 3: service URLs from a launch go only to the platform's own origins.

A launch validly signed by a registered platform names AGS and NRPS URLs on another site (a
real listener on loopback, another origin than the sandbox LMS). The tool ignores them,
records a warning the operator sees in the console, and sends nothing there: no score, no
roster call, no access token. Before the rule, the score and the platform's access token
went to whatever URL the launch named.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool import protocol
from lti_tool.admin.operators import create_operator
from lti_tool.db import transaction, utcnow
from lti_tool.extensions import ToolServices
from lti_tool.grades.worker import dispatcher_for, drain, policy_for
from lti_tool.journey import events
from lti_tool.models import (
    ActivityVersion,
    Attempt,
    Launch,
    Participation,
    ResourceLink,
)
from lti_tool.models.grades import OutboxStatus, ScoreOutbox
from lti_tool.sandbox.driver import SandboxDriver
from tests.conftest import Served, serve, unique


class Listener:
    """A third party's server: counts every request and answers like a platform would."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self.lock:
            self.requests.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"id": "x", "members": []}']


@pytest.fixture
def listener() -> Iterator[tuple[Listener, Served]]:
    counting = Listener()
    served = serve("127.0.0.1", lambda _base_url: counting)
    yield counting, served
    served.stop()


def _tampered_launch(
    driver: SandboxDriver, username: str, role: str, elsewhere: str, link_id: str
) -> requests.Response:
    """A real launch whose id_token the platform signed with foreign service URLs."""
    changes = {
        # A learner of this test only (a participation is one per learner and activity).
        "sub": unique(f"{username}-"),
        protocol.CLAIM_RESOURCE_LINK: {"id": link_id, "title": "Elsewhere"},
        protocol.CLAIM_CUSTOM: {"activity": "cervical-dystonia"},
        protocol.CLAIM_AGS_ENDPOINT: {
            "scope": [protocol.SCOPE_SCORE, protocol.SCOPE_LINEITEM],
            "lineitems": elsewhere + "/api/lti/courses/1/line_items",
            "lineitem": elsewhere + "/api/lti/courses/1/line_items/7",
        },
        protocol.CLAIM_NRPS: {
            "context_memberships_url": elsewhere + "/api/lti/courses/1/names_and_roles",
            "service_versions": ["2.0"],
        },
    }
    browser = requests.Session()
    return driver.launch(
        browser,
        username,
        role,
        tamper=lambda token: driver.forge(token, "resigned", changes=changes),
    )


def _launch_row(services: ToolServices, link_id: str, role: str) -> Launch:
    with services.session_factory() as session:
        row = session.scalar(
            select(Launch)
            .join(ResourceLink, Launch.resource_link_pk == ResourceLink.id)
            .where(ResourceLink.resource_link_id == link_id, Launch.role == role)
            .order_by(Launch.created_at.desc())
        )
        assert row is not None
        session.expunge(row)
        return row


def _posttest(services: ToolServices, launch: Launch) -> None:
    """A passed post-test on the launch's placement, recorded as the journey records it."""
    with transaction(services.session_factory) as session:
        # The launch's landing page opened the journey, which started the participation.
        participation = session.scalar(
            select(Participation).where(
                Participation.user_id == launch.user_id,
                Participation.activity_slug == "cervical-dystonia",
            )
        )
        if participation is None:
            version = ActivityVersion(
                slug="cervical-dystonia", content_hash=unique(), title="CME", is_current=False
            )
            session.add(version)
            session.flush()
            participation = Participation(
                user_id=launch.user_id,
                activity_slug="cervical-dystonia",
                activity_version_id=version.id,
                resource_link_pk=launch.resource_link_pk,
            )
            session.add(participation)
            session.flush()
        attempt = Attempt(
            public_id=uuid.uuid4().hex,
            participation_id=participation.id,
            activity_version_id=participation.activity_version_id,
            kind="posttest",
            number=1,
            correct=9,
            total=10,
            passed=True,
            submitted_at=utcnow(),
        )
        session.add(attempt)
        session.flush()
        events.posttest_submitted(session, participation, attempt)


def _deliver(services: ToolServices, registration_id: int) -> None:
    policy = replace(policy_for(services), backoff_base_seconds=0.05, backoff_cap_seconds=0.1)
    dispatcher = dispatcher_for(services, policy, registration_ids=[registration_id])
    try:
        drain(dispatcher, timeout=5)
    finally:
        dispatcher.close()


def test_service_urls_on_another_site_get_no_score_no_roster_call_and_a_warning(
    canvas: SandboxDriver,
    tool_services: ToolServices,
    listener: tuple[Listener, Served],
) -> None:
    counting, served = listener
    link_id = unique("elsewhere-")

    learner = _tampered_launch(canvas, "learner05", "learner", served.base_url, link_id)
    assert learner.status_code == 200, learner.text[:300]
    row = _launch_row(tool_services, link_id, protocol.LEARNER)
    assert any(served.base_url in warning for warning in row.warnings), row.warnings
    assert any("AGS lineitem" in warning for warning in row.warnings)
    assert any("NRPS memberships" in warning for warning in row.warnings)
    with tool_services.session_factory() as session:
        link = session.get(ResourceLink, row.resource_link_pk)
        assert link is not None
        assert link.lineitem_url is None and link.lineitems_url is None and link.nrps_url is None

    _posttest(tool_services, row)
    _deliver(tool_services, row.registration_id)

    instructor = _tampered_launch(canvas, "instructor", "instructor", served.base_url, link_id)
    assert instructor.status_code == 200, instructor.text[:300]
    assert instructor.url.endswith("/dashboard/")

    assert counting.requests == []
    with tool_services.session_factory() as session:
        queued = session.scalars(
            select(ScoreOutbox).where(ScoreOutbox.resource_link_pk == row.resource_link_pk)
        ).all()
        assert queued == []  # the placement has no line item: nothing to send anywhere


def test_the_console_shows_the_launch_warning(
    canvas: SandboxDriver,
    tool_services: ToolServices,
    listener: tuple[Listener, Served],
    tool: Served,
) -> None:
    counting, served = listener
    link_id = unique("elsewhere-")
    assert (
        _tampered_launch(canvas, "learner06", "learner", served.base_url, link_id).status_code
        == 200
    )
    username = unique("op-")
    with transaction(tool_services.session_factory) as session:
        create_operator(session, username, "correct horse battery staple")
    console = requests.Session()
    login = console.get(f"{tool.base_url}/admin/login", timeout=10)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert csrf is not None
    signed = console.post(
        f"{tool.base_url}/admin/login",
        data={
            "username": username,
            "password": "correct horse battery staple",
            "csrf_token": csrf.group(1),
        },
        timeout=10,
    )
    assert signed.status_code == 200
    page = console.get(f"{tool.base_url}/admin/launches", timeout=10)
    assert page.status_code == 200
    assert f"Ignored the AGS lineitem URL {served.base_url}" in page.text
    assert counting.requests == []


def test_a_stored_foreign_line_item_url_is_refused_when_sending(
    canvas: SandboxDriver,
    tool_services: ToolServices,
    listener: tuple[Listener, Served],
) -> None:
    """Defence in depth: a link that holds a foreign URL from before the rule (or from a
    platform's own answer) still sends nothing there; the score is a dead letter that says
    why."""
    counting, served = listener
    link_id = unique("stored-")
    learner = _tampered_launch(canvas, "learner07", "learner", served.base_url, link_id)
    assert learner.status_code == 200
    row = _launch_row(tool_services, link_id, protocol.LEARNER)
    with transaction(tool_services.session_factory) as session:
        link = session.get(ResourceLink, row.resource_link_pk)
        assert link is not None
        link.lineitem_url = served.base_url + "/api/lti/courses/1/line_items/7"
        link.ags_scopes = [protocol.SCOPE_SCORE]
    _posttest(tool_services, row)
    _deliver(tool_services, row.registration_id)

    assert counting.requests == []
    with tool_services.session_factory() as session:
        sent = session.scalars(
            select(ScoreOutbox).where(ScoreOutbox.resource_link_pk == row.resource_link_pk)
        ).all()
        assert len(sent) == 1
        assert sent[0].status is OutboxStatus.DEAD
        assert "not on the platform's own site" in sent[0].last_error
        assert sent[0].user_id == row.user_id
