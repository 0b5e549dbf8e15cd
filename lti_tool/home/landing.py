"""Where a launch lands: learners on their next page of the activity, instructors on the
dashboard, deep linking requests on the activity picker.

The launch answers with one redirect straight to that page (not to ``/a/<token>/``, which
would redirect again): fewer round trips before the learner sees anything.
"""

from __future__ import annotations

from flask import url_for
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.journey.navigation import landing_page
from lti_tool.launch.context import LaunchContext


def landing_url(session: Session, launch: LaunchContext) -> str:
    if launch.is_deep_linking:
        return url_for("placement.picker", launch_token=launch.token)
    if launch.is_instructor:
        return url_for("dashboard.index", launch_token=launch.token)
    if not launch.is_enrolled:
        # The home page explains that the activity is for enrolled learners.
        return url_for("home.start", launch_token=launch.token)
    endpoint, values = landing_page(session, launch, utcnow())
    return url_for(endpoint, launch_token=launch.token, **values)
