"""Fixtures: a sandbox LMS (both flavours) trusted by the session's tool server, and one
dashboard course per flavour with learners in every state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lti_tool.extensions import ToolServices
from placement.lms import FLAVOURS, Lms, running_lms

from .scenario import DashboardCourse, build_scenario


@pytest.fixture(scope="session")
def lms(
    tool, tool_services: ToolServices, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lms]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("dashboard-lms")
    with running_lms(tool_services, tool.app, tool.base_url, root, "dashboard") as running:
        yield running


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
