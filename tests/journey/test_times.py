"""Times on the learner's pages are in the learner's zone (sent by the LMS as a custom
parameter, $Person.address.timezone), else in the provider's, always named; the activity is
named by its release or revision date, never by an internal hash."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lti_tool import protocol
from lti_tool.journey.present import learner_zone, moment
from lti_tool.models import Participation

from .conftest import LaunchFactory
from .flows import begin

NEW_YORK = {protocol.CLAIM_CUSTOM: {"timezone": "America/New_York"}}


def test_a_moment_is_written_in_the_zone_and_names_it() -> None:
    at = dt.datetime(2026, 7, 14, 21, 18, tzinfo=dt.UTC)
    assert moment(at, ZoneInfo("America/New_York")) == "July 14, 2026, 17:18 (America/New_York)"
    assert moment(at) == "July 14, 2026, 21:18 (UTC)"


def test_the_learners_zone_wins_then_the_providers_then_utc() -> None:
    assert learner_zone(NEW_YORK, "Europe/Paris").key == "America/New_York"
    unexpanded = {protocol.CLAIM_CUSTOM: {"timezone": "$Person.address.timezone"}}
    assert learner_zone(unexpanded, "Europe/Paris").key == "Europe/Paris"
    moodle_default = {protocol.CLAIM_CUSTOM: {"timezone": "99"}}
    assert learner_zone(moodle_default, "Europe/Paris").key == "Europe/Paris"
    assert learner_zone({protocol.CLAIM_CUSTOM: "junk"}, "Not/AZone").key == "UTC"
    assert learner_zone({}, "../../etc/passwd").key == "UTC"


def test_the_activity_record_shows_local_times_and_the_release_date(
    launch: LaunchFactory,
) -> None:
    tab = launch(claims=NEW_YORK)
    begin(tab)
    with tab.tool.session() as session:
        started = session.scalar(select(Participation.started_at))
    assert started is not None
    local = started.astimezone(ZoneInfo("America/New_York"))

    record = tab.get("/complete")

    assert f"{local:%H:%M} (America/New_York)" in record.text
    assert " UTC" not in record.text
    assert not re.search(r"version [0-9a-f]{12}", record.text)
    assert re.search(r"\((released|revised) [A-Z][a-z]+ \d{1,2}, \d{4}\)", record.text)
