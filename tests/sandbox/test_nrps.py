"""NRPS 2.0: the course roster, paged with Link headers that must be followed exactly."""

from __future__ import annotations

import re

import pytest

from lti_tool.sandbox import vocab
from lti_tool.sandbox.driver import SandboxDriver

from .services import MEMBERSHIPS, ToolClient
from .standin_tool import StandInTool


@pytest.fixture
def client(driver: SandboxDriver, standin: StandInTool) -> ToolClient:
    return ToolClient(driver, standin)


def next_link(link_header: str) -> str | None:
    match = re.search(r'<([^>]*)>;\s*rel="next"', link_header)
    return match.group(1) if match else None


def test_all_members_arrive_by_following_next_links(
    driver: SandboxDriver, client: ToolClient
) -> None:
    url: str | None = (
        MEMBERSHIPS[driver.flavour] + "?limit=10"
        if driver.flavour == "moodle"
        else MEMBERSHIPS[driver.flavour]
    )
    members: list[dict] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == vocab.MEDIA_MEMBERSHIP_CONTAINER
        body = response.json()
        assert body["context"]["title"] == "CME: Cervical Dystonia Update 2025"
        members += body["members"]
        pages += 1
        url = next_link(response.headers.get("Link", ""))

    assert pages == 3
    assert len(members) == 28
    assert len({member["user_id"] for member in members}) == 28
    roles = [member["roles"] for member in members]
    assert roles.count([vocab.ROLE_LEARNER]) == 26
    assert all(member["status"] == "Active" for member in members)


def test_limit_sets_the_page_size(driver: SandboxDriver, client: ToolClient) -> None:
    response = client.get(MEMBERSHIPS[driver.flavour], params={"limit": 5})

    assert len(response.json()["members"]) == 5
    assert next_link(response.headers["Link"])


def test_moodle_next_link_is_case_sensitive(moodle: SandboxDriver, standin: StandInTool) -> None:
    client = ToolClient(moodle, standin)
    first = client.get(MEMBERSHIPS["moodle"], params={"limit": 10})
    link = next_link(first.headers["Link"])
    assert link is not None
    assert "/CourseSection/" in link
    assert first.headers["Link"] == f'<{link}>; rel="next"'

    assert client.get(link).status_code == 200
    assert client.get(link.lower()).status_code == 404


def test_canvas_link_header_names_current_next_first_and_last(
    canvas: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(canvas, standin)

    response = client.get(MEMBERSHIPS["canvas"], params={"limit": 10})

    rels = re.findall(r'rel="(\w+)"', response.headers["Link"])
    assert rels == ["current", "next", "first", "last"]
    assert "page=2&per_page=10" in next_link(response.headers["Link"]) or ""


def test_canvas_members_carry_no_email_and_moodle_members_do(
    canvas: SandboxDriver, moodle: SandboxDriver, standin: StandInTool
) -> None:
    canvas_members = ToolClient(canvas, standin).get(MEMBERSHIPS["canvas"]).json()["members"]
    moodle_members = ToolClient(moodle, standin).get(MEMBERSHIPS["moodle"]).json()["members"]

    assert all("email" not in member for member in canvas_members)
    assert all(member["lti11_legacy_user_id"] for member in canvas_members)
    assert all(member["email"].endswith("@moodle.sandbox.test") for member in moodle_members)


def test_role_filter_returns_only_instructors(driver: SandboxDriver, client: ToolClient) -> None:
    response = client.get(MEMBERSHIPS[driver.flavour], params={"role": vocab.ROLE_INSTRUCTOR})

    members = response.json()["members"]
    assert members
    assert all(vocab.ROLE_INSTRUCTOR in member["roles"] for member in members)
    assert "next" not in response.headers.get("Link", "")
