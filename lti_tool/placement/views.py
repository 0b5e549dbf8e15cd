"""The activity picker: ``/a/<launch_token>/placement/``.

1. A deep linking launch lands here (``home.start`` redirects it).
2. GET shows the open catalog: radio buttons when the platform accepts one item,
   checkboxes when ``accept_multiple`` is true.
3. POST re-reads the catalog, checks the choice, and answers a page whose form posts the
   signed ``JWT`` to the platform's ``deep_link_return_url`` — submitted by script at once,
   and by its visible button where scripts do not run.

Instructors and administrators only; anyone else gets a refusal page.
"""

from __future__ import annotations

from flask import Response, render_template, request

from lti_tool.catalog import CatalogEntry, open_catalog
from lti_tool.db import utcnow
from lti_tool.extensions import db, services
from lti_tool.launch.pages import current_launch, launch_blueprint
from lti_tool.placement.choice import DeepLinkSettings, choose
from lti_tool.placement.errors import (
    ChoiceError,
    InstructorsOnly,
    NotADeepLinkingLaunch,
    PlacementError,
)
from lti_tool.placement.response import signed_response

bp = launch_blueprint("placement", __name__, "/placement")


@bp.before_request
def _instructors_only() -> None:
    launch = current_launch()
    if not launch.is_instructor:
        raise InstructorsOnly(f"role {launch.role!r}")
    if not launch.is_deep_linking:
        raise NotADeepLinkingLaunch(f"message type {launch.launch.message_type!r}")


@bp.errorhandler(PlacementError)
def _refused(error: PlacementError) -> tuple[str, int]:
    return (
        render_template("errors/generic.html", title=error.title, message=error.message),
        error.status,
    )


def _settings() -> DeepLinkSettings:
    settings = DeepLinkSettings.from_claims(current_launch().claims)
    settings.require_resource_links()
    return settings


def _picker(
    settings: DeepLinkSettings,
    catalog: list[CatalogEntry],
    *,
    error: str | None = None,
    chosen: tuple[str, ...] = (),
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "placement/picker.html",
        settings=settings,
        catalog=catalog,
        error=error,
        chosen=chosen,
    )
    return page, status


@bp.get("/")
def picker() -> tuple[str, int]:
    return _picker(_settings(), open_catalog(db(), utcnow()))


@bp.post("/")
def place() -> Response | tuple[str, int]:
    settings = _settings()
    catalog = open_catalog(db(), utcnow())
    slugs = request.form.getlist("activity")
    try:
        entries = choose(catalog, slugs, accept_multiple=settings.accept_multiple)
    except ChoiceError as error:
        return _picker(
            settings, catalog, error=error.message, chosen=tuple(slugs), status=error.status
        )
    launch = current_launch()
    svc = services()
    token = signed_response(
        svc.tool_conf.to_lti_registration(launch.registration),
        launch.deployment.deployment_id,
        settings,
        entries,
        launch_url=svc.settings.base_url + "/lti/launch",
    )
    response = Response(
        render_template(
            "placement/return.html", return_url=settings.return_url, jwt=token, entries=entries
        )
    )
    # The page holds a signed, single-purpose token: keep it out of caches and history.
    response.headers["Cache-Control"] = "no-store"
    return response
