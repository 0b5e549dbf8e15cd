"""Which page of the journey a learner should see next: the one rule behind "resume" and
behind the page a launch lands on."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lti_tool import course
from lti_tool.course import Step
from lti_tool.journey.errors import JourneyPageError
from lti_tool.journey.state import Journey, open_journey
from lti_tool.launch.context import LaunchContext

log = logging.getLogger(__name__)

# The endpoint of each step's page (the content step adds its section).
STEP_ENDPOINTS = {
    Step.OVERVIEW: "journey.overview",
    Step.PRETEST: "journey.pretest",
    Step.CONTENT: "journey.section",
    Step.POSTTEST: "journey.posttest",
    Step.EVALUATION: "journey.evaluation",
}
RESUME = "journey.resume"


def next_page(journey: Journey) -> tuple[str, dict[str, Any]]:
    """The endpoint and URL values of the learner's next page."""
    upcoming = course.next_step(journey.activity, journey.progress, journey.now)
    endpoint = STEP_ENDPOINTS.get(upcoming.step, "journey.complete")
    if upcoming.step is Step.CONTENT:
        return endpoint, {"section_id": upcoming.section_id}
    return endpoint, {}


def landing_page(
    session: Session, launch: LaunchContext, now: datetime
) -> tuple[str, dict[str, Any]]:
    """Where a learner's launch lands: straight on their next page when the journey opens,
    else on ``resume``, whose error page explains why it does not (no activity chosen yet,
    not released, closed, …). Writes nothing it does not keep: a refusal rolls back."""
    try:
        journey = open_journey(session, launch, now)
        course.require_entry(Step.OVERVIEW, journey.activity, journey.progress, now)
        return next_page(journey)
    except (JourneyPageError, course.CourseError):
        session.rollback()
        return RESUME, {}
    except Exception:
        # The launch itself is recorded: a fault here must not cost the learner it.
        log.exception(
            "could not open the journey of launch %s; landing on resume", launch.launch.id
        )
        session.rollback()
        return RESUME, {}
