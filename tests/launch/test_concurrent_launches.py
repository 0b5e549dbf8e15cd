"""First launches that arrive together: each lands, and each natural key is stored once.

Seen under load (benchmarks/journeys.py on PostgreSQL): two learners opening a new course
at the same moment both inserted its row, and the second got an error page.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from lti_tool.extensions import ToolServices
from lti_tool.models import Context, Launch, Participation, Registration, ResourceLink
from lti_tool.sandbox import platform_registration, register_tool
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox_link import add_sandbox_platform
from tests.conftest import Sandbox, Served, launch

TOGETHER = 12


@pytest.fixture(params=["canvas", "moodle"])
def new_platform(
    request: pytest.FixtureRequest, sandbox: Sandbox, tool: Served
) -> tuple[SandboxDriver, int]:
    """A registration the tool has never launched from: its courses and links are new."""
    flavour = request.param
    registered = register_tool(
        sandbox.app, flavour, tool_base_url=tool.base_url, name="Together", primary=False
    )
    details = platform_registration(sandbox.app, flavour, registered.client_id)
    services: ToolServices = tool.app.extensions["lti_tool"]
    with services.session_factory.begin() as session:
        add_sandbox_platform(session, details, f"Sandbox LMS ({flavour}), first launches")
        registration_id = session.scalar(
            select(Registration.id).where(Registration.client_id == registered.client_id)
        )
    assert registration_id is not None
    return sandbox.driver(flavour, client_id=registered.client_id), registration_id


def _launch_all(driver: SandboxDriver, users: list[str]) -> list[requests.Response]:
    with ThreadPoolExecutor(len(users)) as pool:
        return list(pool.map(lambda user: launch(driver, user), users))


def _count(services: ToolServices, model: Any, registration_id: int) -> int:
    with services.session_factory() as session:
        found = session.scalar(
            select(func.count()).select_from(model).where(model.registration_id == registration_id)
        )
    return int(found or 0)


def test_learners_opening_a_new_course_together_all_land_and_it_is_stored_once(
    new_platform: tuple[SandboxDriver, int], tool_services: ToolServices
) -> None:
    driver, registration_id = new_platform
    users = [f"learner{n:02d}" for n in range(1, TOGETHER + 1)]

    responses = _launch_all(driver, users)

    assert [response.status_code for response in responses] == [200] * TOGETHER
    assert _count(tool_services, Context, registration_id) == 1
    assert _count(tool_services, ResourceLink, registration_id) == 1
    assert _count(tool_services, Launch, registration_id) == TOGETHER


def test_a_learner_in_several_tabs_at_once_is_one_user(
    new_platform: tuple[SandboxDriver, int], tool_services: ToolServices
) -> None:
    driver, registration_id = new_platform

    responses = _launch_all(driver, ["learner20"] * 6)

    assert [response.status_code for response in responses] == [200] * 6
    with tool_services.session_factory() as session:
        users = session.scalars(
            select(Launch.user_id).where(Launch.registration_id == registration_id)
        ).all()
    assert len(users) == 6 and len(set(users)) == 1
    # Every tab's first page started the journey; it was started once.
    with tool_services.session_factory() as session:
        participations = session.scalars(
            select(Participation.id).where(Participation.user_id == users[0])
        ).all()
    assert len(participations) == 1
