"""Blueprints for pages after a launch: ``/a/<launch_token>/…``.

Every such blueprint restores the launch from the token into ``g.launch`` before its
views run, checks the launch-bound CSRF token on every POST, and gives templates
``launch_url(endpoint, **values)`` and ``csrf_token``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request, url_for

from lti_tool.extensions import db, services
from lti_tool.launch.context import NO_LAUNCH, LaunchContext
from lti_tool.launch.errors import LaunchExpired, NotEnrolled

URL_PREFIX = "/a/<launch_token>"


def launch_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix=URL_PREFIX + url_prefix)

    @bp.url_value_preprocessor
    def _restore_launch(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        token = (values or {}).pop("launch_token", "")
        g.launch = services().tokens.restore(db(), token)
        # The one role gate for every page of a launch: observers and unknown roles see a
        # page saying the activity is for enrolled learners, whatever URL they try.
        if not g.launch.is_enrolled:
            raise NotEnrolled(f"role {g.launch.role!r}")

    @bp.url_defaults
    def _keep_token(_endpoint: str, values: dict[str, Any]) -> None:
        launch = getattr(g, "launch", None)
        if launch and "launch_token" not in values:
            values["launch_token"] = launch.token

    @bp.before_request
    def _check_csrf() -> None:
        if request.method == "POST":
            services().tokens.check_csrf(g.launch.launch.id, request.form.get("csrf_token"))

    return bp


def current_launch() -> LaunchContext:
    """The launch of a page under /a/<launch_token>/ (restored before every view there)."""
    launch: LaunchContext | None = g.get("launch")
    if launch is None:
        raise LaunchExpired("this page belongs to no launch")
    return launch


def template_globals() -> dict[str, Any]:
    launch = getattr(g, "launch", None)
    # Set when a launch answers with its landing page itself (its address is the page's).
    page_url = g.get("page_url", "")
    if not launch:
        return {"launch": NO_LAUNCH, "csrf_token": "", "page_url": page_url}
    return {
        "launch": launch,
        "csrf_token": services().tokens.csrf_token(launch.launch.id),
        "page_url": page_url,
    }


def launch_url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, **values)
