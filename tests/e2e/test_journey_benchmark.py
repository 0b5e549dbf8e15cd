"""The journey benchmark's learner (benchmarks/journey_learner.py) walks today's pages.

The benchmark is run on purpose, not by the tests; this runs its learner once against the
session's served tool and sandbox so that a changed page or form breaks a test, not the
next measurement.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from benchmarks.journey_learner import JourneyFailed, Learner, the_activity
from benchmarks.journey_targets import enrol
from benchmarks.journeys import STEPS
from lti_tool.extensions import ToolServices
from lti_tool.models import Certificate, Participation, User
from lti_tool.sandbox import sandbox_of
from lti_tool.sandbox.flavours import flavour_named
from tests.conftest import Sandbox, Served, unique


def test_the_benchmark_learner_walks_the_whole_journey_to_the_certificate(
    sandbox: Sandbox, tool_services: ToolServices
) -> None:
    username = unique("bench-")
    lms_id = 900_000 + int(username[-6:], 16) % 99_999  # clear of the seeded user numbers
    with sandbox_of(sandbox.app).session() as lms_session:
        enrol(lms_session, "moodle", username, lms_id)
    learner = Learner(sandbox.driver("moodle"), username, the_activity())

    learner.run()

    assert learner.certificate_pdf.startswith(b"%PDF")
    assert [step for step in STEPS if step not in learner.timings] == []
    with tool_services.session_factory() as session:
        issued = session.scalars(
            select(Certificate)
            .join(Participation, Certificate.participation_id == Participation.id)
            .join(User, Participation.user_id == User.id)
            .where(User.sub == flavour_named("moodle").sub(lms_id))
        ).all()
    assert len(issued) == 1


def test_the_benchmark_learner_reports_a_refused_page_with_its_status_and_words(
    sandbox: Sandbox, tool: Served
) -> None:
    learner = Learner(sandbox.driver("canvas"), "learner01", the_activity())

    with pytest.raises(JourneyFailed) as refused:
        learner.get("content section", tool.base_url + "/a/not-a-launch-token/activity/")

    assert refused.value.step == "content section"
    assert refused.value.status.startswith("4")
    assert refused.value.first_line and "<" not in refused.value.first_line
