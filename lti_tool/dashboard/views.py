"""The instructor dashboard: ``/a/<launch_token>/dashboard/``.

GET ``/`` shows the roster with each learner's status, best scores and grade delivery;
GET ``/roster.csv`` exports the same table; POST ``/resend`` puts this course's failed
grade deliveries back in the queue. Instructors and administrators only.
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from lti_tool.dashboard.errors import DashboardError, InstructorsOnly
from lti_tool.dashboard.export import csv_filename, dashboard_csv, score_text
from lti_tool.dashboard.roster import read_roster
from lti_tool.dashboard.service import Dashboard, build_dashboard
from lti_tool.db import utcnow
from lti_tool.extensions import db, services
from lti_tool.grades.outbox import resend_all_dead
from lti_tool.launch.pages import current_launch, launch_blueprint

bp = launch_blueprint("dashboard", __name__, "/dashboard")


@bp.before_request
def _instructors_only() -> None:
    if not current_launch().is_instructor:
        raise InstructorsOnly()


@bp.errorhandler(DashboardError)
def _refused(error: DashboardError) -> tuple[str, int]:
    return (
        render_template("errors/generic.html", title=error.title, message=error.message),
        error.status,
    )


def _dashboard() -> Dashboard:
    launch = current_launch()
    return build_dashboard(db(), launch, read_roster(launch, services()))


@bp.get("/")
def index() -> str:
    return render_template(
        "dashboard/index.html",
        dashboard=_dashboard(),
        score_text=score_text,
        resent=request.args.get("resent", type=int),
        choose_url=url_for("journey.choose"),
        activity_url=url_for("journey.resume"),
    )


@bp.get("/roster.csv")
def export() -> Response:
    launch = current_launch()
    dashboard = _dashboard()
    label = launch.context.label if launch.context else ""
    filename = csv_filename(dashboard, label, utcnow().date())
    response = Response(dashboard_csv(dashboard), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Learner data: never kept by a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/resend")
def resend() -> WerkzeugResponse:
    """Requeue this course's dead letters (this link's, for a launch without a course)."""
    launch = current_launch()
    requeued: list[int] = []
    if launch.context is not None:
        requeued = resend_all_dead(
            db(), registration_id=launch.registration.id, context_pk=launch.context.id
        )
    elif launch.resource_link is not None:
        requeued = resend_all_dead(
            db(), registration_id=launch.registration.id, resource_link_pk=launch.resource_link.id
        )
    return redirect(url_for("dashboard.index", resent=len(requeued)), code=303)
