"""Console sign-in, sign-out and the overview page."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from lti_tool.admin import queries
from lti_tool.admin.blueprint import bp
from lti_tool.admin.operators import sign_in
from lti_tool.admin.security import begin_session, current_operator, end_session, safe_next
from lti_tool.extensions import db, services
from lti_tool.grades.outbox import outbox_counts
from lti_tool.models import Deployment, DeploymentStatus, Registration
from lti_tool.models.admin import ApprovalState, RegistrationRecord

log = logging.getLogger("lti_tool.admin")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if request.method == "GET":
        return render_template(
            "admin/login.html", expired=bool(request.args.get("expired")), error=None
        )
    session = db()
    username = request.form.get("username", "")
    result = sign_in(
        session,
        services().session_factory,
        username,
        request.form.get("password", ""),
        request.remote_addr or "",
    )
    # The attempt is recorded whatever the outcome; failures must count even though the
    # page answers an error status (the request boundary rolls those back).
    session.commit()
    if result.throttled:
        minutes = max(1, round((result.retry_after or 60) / 60))
        log.warning("console sign-in throttled for %r from %s", username, request.remote_addr)
        page = render_template(
            "admin/login.html",
            expired=False,
            error=f"Too many failed sign-ins. Try again in about {minutes} minute(s).",
        )
        return page, 429, {"Retry-After": str(result.retry_after)}
    if result.operator is None:
        log.warning("console sign-in failed for %r from %s", username, request.remote_addr)
        page = render_template(
            "admin/login.html", expired=False, error="Wrong username or password."
        )
        return page, 401
    begin_session(result.operator)
    log.info("operator %s signed in from %s", result.operator.username, request.remote_addr)
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> Response:
    end_session()
    flash("You are signed out.")
    return redirect(url_for("admin.login"))


@bp.get("/")
def dashboard() -> str:
    session = db()
    pending_platforms = session.scalars(
        select(Registration)
        .join(RegistrationRecord, RegistrationRecord.registration_id == Registration.id)
        .where(RegistrationRecord.approval == ApprovalState.PENDING)
        .order_by(Registration.id)
    ).all()
    pending_deployments = session.scalars(
        select(Deployment)
        .where(Deployment.status == DeploymentStatus.PENDING)
        .order_by(Deployment.id)
    ).all()
    return render_template(
        "admin/dashboard.html",
        operator=current_operator(),
        platform_count=len(queries.platform_rows(session)),
        pending_platforms=pending_platforms,
        pending_deployments=pending_deployments,
        failures=queries.recent_failures(session, limit=10),
        outbox=outbox_counts(session),
    )
