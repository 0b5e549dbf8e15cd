"""``/a/<token>/``: the start of a launch's pages, for links that name no page."""

from __future__ import annotations

from flask import redirect
from werkzeug.wrappers import Response

from lti_tool.extensions import db
from lti_tool.home.landing import Arrival, landing_url
from lti_tool.launch.pages import current_launch, launch_blueprint

bp = launch_blueprint("home", __name__)


@bp.route("/")
def start() -> Response:
    return redirect(landing_url(db(), Arrival.of(current_launch())))
