"""Where a launch lands: learners go to their activity, instructors to the dashboard,
deep linking requests to the activity picker."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from werkzeug.wrappers import Response

from lti_tool.launch.pages import current_launch, launch_blueprint

bp = launch_blueprint("home", __name__)


def _has(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


@bp.route("/")
def start() -> Response | str:
    launch = current_launch()
    if launch.is_deep_linking and _has("placement.picker"):
        return redirect(url_for("placement.picker"))
    if launch.is_instructor and _has("dashboard.index"):
        return redirect(url_for("dashboard.index"))
    if not launch.is_instructor and _has("journey.resume"):
        return redirect(url_for("journey.resume"))
    return render_template("home/start.html")
