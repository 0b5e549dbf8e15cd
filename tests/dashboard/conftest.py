"""Fixtures: the session's sandbox LMS and tool, and one dashboard course per flavour with
learners in every state."""

from __future__ import annotations

import pytest

from tests.conftest import Sandbox, Served
from tests.placement.lms import FLAVOURS, Lms, prepared_lms

from .scenario import DashboardCourse, build_scenario


@pytest.fixture(scope="session")
def lms(tool: Served, sandbox: Sandbox) -> Lms:
    return prepared_lms(tool.app, tool.base_url, sandbox.app, sandbox.base_url)


@pytest.fixture(scope="session")
def built_courses() -> dict[str, DashboardCourse]:
    return {}


@pytest.fixture(params=FLAVOURS)
def course(
    request: pytest.FixtureRequest, lms: Lms, built_courses: dict[str, DashboardCourse]
) -> DashboardCourse:
    flavour: str = request.param
    if flavour not in built_courses:
        built_courses[flavour] = build_scenario(lms, flavour)
    return built_courses[flavour]
