"""The NRPS client (lti_tool.grades.nrps) against the sandbox's seeded main course: 28
members, read in pages of 5 through ``Link: rel="next"`` on Canvas and Moodle."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from lti_tool import protocol
from lti_tool.grades.nrps import NrpsClient, RosterUnavailable, nrps_client
from lti_tool.models import Registration
from tests.placement.lms import FLAVOURS, Lms


def client_and_url(lms: Lms, flavour: str) -> tuple[NrpsClient, str]:
    """The client for the tool's registration of this flavour, and the memberships URL a
    real instructor launch into the main course carried."""
    page = lms.driver(flavour).launch(requests.Session(), "instructor")
    url = lms.launch_claims(page.url)[protocol.CLAIM_NRPS]["context_memberships_url"]
    with lms.services.session_factory() as session:
        registration = session.scalar(
            select(Registration).where(
                Registration.issuer == lms.issuer(flavour),
                Registration.client_id == lms.client_id(flavour),
            )
        )
        assert registration is not None
        client = nrps_client(
            registration,
            tool_conf=lms.services.tool_conf,
            session_factory=lms.services.session_factory,
            http=lms.services.http,
            timeout_seconds=5,
        )
    return client, url


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_page_of_the_roster_is_read_by_following_next_links(lms: Lms, flavour: str) -> None:
    client, url = client_and_url(lms, flavour)
    if flavour == "moodle":
        assert "/CourseSection/" in url
    roster = client.roster(url, page_size=5)
    assert roster.pages == 6
    assert len(roster.members) == 28
    assert len({member.user_id for member in roster.members}) == 28
    assert len(roster.learners) == 26
    names = {member.display_name for member in roster.learners}
    assert {"Amina Haddad", "Liam O'Connor", "Zara Ahmed"} <= names
    teachers = [m for m in roster.members if m.role == protocol.INSTRUCTOR]
    assert len(teachers) == 2  # the instructor and the teaching assistant


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_roster_longer_than_the_page_bound_is_refused_not_cut_short(
    lms: Lms, flavour: str
) -> None:
    client, url = client_and_url(lms, flavour)
    bounded = NrpsClient(client.connector, max_pages=2)
    with pytest.raises(RosterUnavailable, match="more than 2 pages"):
        bounded.roster(url, page_size=5)


def test_a_platform_error_becomes_a_reason_an_instructor_can_read(lms: Lms) -> None:
    client, url = client_and_url(lms, "moodle")
    lms.driver("moodle").set_fault(status=500, path_contains="/memberships")
    try:
        with pytest.raises(RosterUnavailable) as refused:
            client.roster(url)
    finally:
        lms.driver("moodle").clear_faults()
    assert "500" in refused.value.reason
