"""Which page of the journey a learner should see next: the one rule behind "resume" and
behind the page a launch lands on."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lti_tool import course
from lti_tool.catalog import activity_for_version, current_version
from lti_tool.course import Activity, Progress, Step
from lti_tool.journey.participation_read import find_participation
from lti_tool.journey.state import hand_over, progress_of

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


def next_page(activity: Activity, progress: Progress, now: datetime) -> tuple[str, dict[str, Any]]:
    """The endpoint and URL values of the learner's next page."""
    upcoming = course.next_step(activity, progress, now)
    endpoint = STEP_ENDPOINTS.get(upcoming.step, "journey.complete")
    if upcoming.step is Step.CONTENT:
        return endpoint, {"section_id": upcoming.section_id}
    return endpoint, {}


def landing_page(
    session: Session, user_id: int, activity_slug: str | None, now: datetime, *, launch_id: str
) -> tuple[str, dict[str, Any]]:
    """Where a learner's launch lands: straight on their next page when it opens, else on
    ``resume``, whose page explains why not (no activity chosen, not released, closed…).

    Only reads: the page itself starts the participation and records the placement, as it
    does for any link, so the launch commits once and a refusal here cannot undo it.
    """
    if not activity_slug:
        return RESUME, {}
    try:
        participation = find_participation(session, user_id, activity_slug)
        if participation is None:
            version = current_version(session, activity_slug)
            hand_over(session, user_id, activity_slug, None, version)
            if version is None or version.retired_at is not None:
                return RESUME, {}
            activity = activity_for_version(version)
            progress = Progress(activity_version=activity.content_hash)
        else:
            hand_over(session, user_id, activity_slug, participation)
            activity = activity_for_version(participation.activity_version)
            progress = progress_of(participation, activity)
        course.require_entry(Step.OVERVIEW, activity, progress, now)
        return next_page(activity, progress, now)
    except course.CourseError:
        return RESUME, {}
    except Exception:
        # The launch is recorded with this request: a fault in choosing its first page
        # must not cost the learner the launch; resume shows what is wrong.
        log.exception("no landing page for launch %s; landing on resume", launch_id)
        return RESUME, {}
