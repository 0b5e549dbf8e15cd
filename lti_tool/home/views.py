"""Where a launch lands: learners go to their activity, instructors to the dashboard,
deep linking requests to the activity picker."""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug.wrappers import Response

from lti_tool.launch.pages import current_launch, launch_blueprint

bp = launch_blueprint("home", __name__)


@bp.route("/")
def start() -> Response:
    launch = current_launch()
    if launch.is_deep_linking:
        return redirect(url_for("placement.picker"))
    if launch.is_instructor:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("journey.resume"))
