"""Where a launch lands: learners on their next page of the activity, instructors on the
dashboard, deep linking requests on the activity picker.

The launch answers with that page itself (``launch.views``), not with a redirect to
``/a/<token>/``, which would redirect again: fewer round trips before the learner sees
anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy.orm import Session

from lti_tool import protocol
from lti_tool.db import utcnow
from lti_tool.journey.navigation import landing_page
from lti_tool.launch.context import LaunchContext
from lti_tool.launch.records import RecordedLaunch


@dataclass(frozen=True)
class Arrival:
    """What choosing the landing page needs to know of a launch."""

    token: str
    launch_id: str
    role: str
    message_type: str
    user_id: int
    activity_slug: str | None

    @classmethod
    def recorded(cls, launch: RecordedLaunch, token: str) -> Arrival:
        """A launch just recorded, before its first page."""
        return cls(
            token=token,
            launch_id=launch.id,
            role=launch.role,
            message_type=launch.message_type,
            user_id=launch.user_id,
            activity_slug=launch.activity_slug,
        )

    @classmethod
    def of(cls, launch: LaunchContext) -> Arrival:
        link = launch.resource_link
        return cls(
            token=launch.token,
            launch_id=launch.launch.id,
            role=launch.role,
            message_type=launch.launch.message_type,
            user_id=launch.user.id,
            activity_slug=link.activity_slug if link else None,
        )


def landing_url(session: Session, arrival: Arrival) -> str:
    if arrival.message_type == protocol.MESSAGE_DEEP_LINKING:
        return url_for("placement.picker", launch_token=arrival.token)
    if arrival.role in protocol.STAFF:
        return url_for("dashboard.index", launch_token=arrival.token)
    if arrival.role != protocol.LEARNER:
        # The home page explains that the activity is for enrolled learners.
        return url_for("home.start", launch_token=arrival.token)
    endpoint, values = landing_page(
        session, arrival.user_id, arrival.activity_slug, utcnow(), launch_id=arrival.launch_id
    )
    return url_for(endpoint, launch_token=arrival.token, **values)
