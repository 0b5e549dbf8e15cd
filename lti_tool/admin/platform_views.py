"""Console pages for platforms (registrations) and their deployments."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import event
from werkzeug.wrappers import Response

from lti_tool.admin import queries
from lti_tool.admin.blueprint import bp
from lti_tool.admin.security import current_operator
from lti_tool.extensions import db, services
from lti_tool.models import DeploymentStatus, Registration
from lti_tool.registration.platforms import (
    PlatformError,
    PlatformInUse,
    add_deployment,
    approve_platform,
    create_platform,
    delete_deployment,
    delete_platform,
    deletion_consequences,
    get_deployment,
    get_platform,
    platform_usage,
    registration_history,
    registration_record,
    reject_platform,
    set_deployment_status,
    set_platform_active,
    update_platform,
)
from lti_tool.registration.self_check import check_platform
from lti_tool.registration.services import service_status
from lti_tool.registration.views import outbound

log = logging.getLogger("lti_tool.admin")

PLATFORM_FIELDS = (
    "name",
    "issuer",
    "client_id",
    "auth_login_url",
    "auth_token_url",
    "key_set_url",
    "auth_audience",
)


def _form_values() -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in PLATFORM_FIELDS}


def _checked(name: str) -> bool:
    return request.form.get(name) == "on"


def _registrations_changed() -> None:
    # Logins cache registrations for a few seconds; once the change is committed, this
    # worker forgets them so the next launch sees it.
    tool_conf = services().tool_conf
    event.listen(db(), "after_commit", lambda _session: tool_conf.forget(), once=True)


def _to_platform(registration: Registration) -> Response:
    return redirect(url_for("admin.platform", registration_id=registration.id))


@bp.get("/platforms")
def platforms() -> str:
    return render_template("admin/platforms.html", rows=queries.platform_rows(db()))


@bp.route("/platforms/new", methods=["GET", "POST"])
def new_platform() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("admin/platform_form.html", values={}, registration=None)
    values = _form_values()
    try:
        registration = create_platform(
            db(),
            source="console",
            deployment_ids=request.form.get("deployment_ids", "").split(),
            product_family=request.form.get("product_family", "").strip().lower()[:64],
            auto_approve_deployments=_checked("auto_approve_deployments"),
            name=values["name"],
            issuer=values["issuer"],
            client_id=values["client_id"],
            auth_login_url=values["auth_login_url"],
            auth_token_url=values["auth_token_url"],
            key_set_url=values["key_set_url"],
            auth_audience=values["auth_audience"],
        )
    except PlatformError as error:
        page = render_template(
            "admin/platform_form.html", values=values, registration=None, error=str(error)
        )
        return page, 400
    _registrations_changed()
    log.info("operator %s added platform #%s", current_operator().username, registration.id)
    flash(f"Registered {registration.name}.")
    return _to_platform(registration)


@bp.get("/platforms/<int:registration_id>")
def platform(registration_id: int) -> str:
    session = db()
    registration = get_platform(session, registration_id)
    return render_template(
        "admin/platform.html",
        registration=registration,
        record=registration_record(session, registration),
        row=queries.PlatformRow(registration, registration_record(session, registration)),
        usage=platform_usage(session, registration),
        services=service_status(registration),
        launches=queries.recent_launches(session, registration_id=registration.id, limit=20),
        failures=queries.recent_failures(session, registration=registration, limit=20),
        statuses=DeploymentStatus,
        history=registration_history(session, registration)[:50],
    )


@bp.route("/platforms/<int:registration_id>/edit", methods=["GET", "POST"])
def edit_platform(registration_id: int) -> Response | str | tuple[str, int]:
    session = db()
    registration = get_platform(session, registration_id)
    if request.method == "GET":
        values = {name: getattr(registration, name) or "" for name in PLATFORM_FIELDS}
        return render_template("admin/platform_form.html", values=values, registration=registration)
    values = _form_values()
    try:
        update_platform(
            session,
            registration,
            auto_approve_deployments=_checked("auto_approve_deployments"),
            **values,
        )
    except PlatformError as error:
        page = render_template(
            "admin/platform_form.html", values=values, registration=registration, error=str(error)
        )
        return page, 400
    _registrations_changed()
    flash("Saved.")
    return _to_platform(registration)


@bp.post("/platforms/<int:registration_id>/approve")
def approve(registration_id: int) -> Response:
    registration = get_platform(db(), registration_id)
    approve_platform(db(), registration, current_operator().username)
    if _checked("trust_new_deployments"):
        registration.auto_approve_deployments = True
    _registrations_changed()
    log.info("operator %s approved platform #%s", current_operator().username, registration.id)
    flash(f"{registration.name} is approved; its launches are accepted.")
    return _to_platform(registration)


@bp.post("/platforms/<int:registration_id>/reject")
def reject(registration_id: int) -> Response:
    registration = get_platform(db(), registration_id)
    try:
        reject_platform(db(), registration, current_operator().username)
    except PlatformError as error:
        flash(str(error))
        return _to_platform(registration)
    _registrations_changed()
    log.info("operator %s rejected platform #%s", current_operator().username, registration.id)
    flash(f"Rejected: {registration.name} stays refused; its record is kept.")
    return _to_platform(registration)


@bp.post("/platforms/<int:registration_id>/disable")
def disable(registration_id: int) -> Response:
    registration = get_platform(db(), registration_id)
    set_platform_active(db(), registration, False, current_operator().username)
    _registrations_changed()
    flash(f"{registration.name} is disabled: its launches are refused, its records are kept.")
    return _to_platform(registration)


@bp.post("/platforms/<int:registration_id>/enable")
def enable(registration_id: int) -> Response:
    registration = get_platform(db(), registration_id)
    set_platform_active(db(), registration, True, current_operator().username)
    _registrations_changed()
    flash(f"{registration.name} is enabled.")
    return _to_platform(registration)


@bp.route("/platforms/<int:registration_id>/delete", methods=["GET", "POST"])
def delete(registration_id: int) -> Response | str | tuple[str, int]:
    session = db()
    registration = get_platform(session, registration_id)
    usage = platform_usage(session, registration)
    page_values = {
        "registration": registration,
        "usage": usage,
        "consequences": deletion_consequences(usage),
    }
    if request.method == "GET":
        return render_template("admin/platform_delete.html", **page_values)
    # With learners, the operator types the client ID, so a stray click deletes nothing.
    typed = request.form.get("confirm_client_id", "").strip()
    confirmed = typed == registration.client_id
    try:
        delete_platform(session, registration, confirm=confirmed)
    except PlatformInUse as error:
        page = render_template("admin/platform_delete.html", error=str(error), **page_values)
        return page, 409
    _registrations_changed()
    log.warning(
        "operator %s deleted platform #%s (%s, client_id=%s)",
        current_operator().username,
        registration_id,
        registration.issuer,
        registration.client_id,
    )
    flash(f"Deleted {registration.name}.")
    return redirect(url_for("admin.platforms"))


@bp.post("/platforms/<int:registration_id>/check")
def check(registration_id: int) -> str:
    session = db()
    registration = get_platform(session, registration_id)
    report = check_platform(session, registration, services().key_store, outbound())
    return render_template("admin/check.html", registration=registration, report=report)


# -- deployments -------------------------------------------------------------------------------
@bp.post("/platforms/<int:registration_id>/deployments")
def new_deployment(registration_id: int) -> Response:
    registration = get_platform(db(), registration_id)
    try:
        add_deployment(db(), registration, request.form.get("deployment_id", ""))
    except PlatformError as error:
        flash(str(error), "error")
    return _to_platform(registration)


@bp.post("/deployments/<int:deployment_pk>/<any(approve, disable, enable):action>")
def deployment_status(deployment_pk: int, action: str) -> Response:
    deployment = get_deployment(db(), deployment_pk)
    status = DeploymentStatus.DISABLED if action == "disable" else DeploymentStatus.ACTIVE
    set_deployment_status(db(), deployment, status)
    flash(f"Deployment {deployment.deployment_id} is {status.value}.")
    return _to_platform(deployment.registration)


@bp.post("/deployments/<int:deployment_pk>/delete")
def deployment_delete(deployment_pk: int) -> Response:
    deployment = get_deployment(db(), deployment_pk)
    registration = deployment.registration
    try:
        delete_deployment(db(), deployment, confirm=_checked("confirm"))
    except PlatformInUse as error:
        flash(str(error), "error")
        return _to_platform(registration)
    flash(f"Deleted deployment {deployment.deployment_id}.")
    return _to_platform(registration)


@bp.errorhandler(PlatformError)
def _missing(error: PlatformError) -> tuple[str, int]:
    return render_template("admin/message.html", title="Not found", message=str(error)), 404
