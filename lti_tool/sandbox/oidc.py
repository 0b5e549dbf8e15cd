"""OIDC third-party initiated login, platform side: launch initiation and authorization.

1EdTech Security Framework §5.1.1 (https://www.imsglobal.org/spec/security/v1p0/#openid_connect_launch_flow)
and LTI 1.3 Core §4.1 "Third-party initiated login":

1. The platform sends the browser to the tool's login URL with iss, login_hint,
   lti_message_hint, target_link_uri, client_id, lti_deployment_id (and, when the platform
   offers client-side storage, lti_storage_target).
2. The tool redirects the browser to this authorization endpoint with scope=openid,
   response_type=id_token, response_mode=form_post, prompt=none, client_id, redirect_uri,
   login_hint, lti_message_hint, state and nonce.
3. The platform checks all of it, then answers an auto-submitting form that POSTs the signed
   ``id_token`` and the tool's ``state`` to the redirect_uri.

Errors are shown as a page and never sent to an unverified redirect_uri.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from lti_tool.sandbox import vocab
from lti_tool.sandbox.errors import LaunchError
from lti_tool.sandbox.launches import id_token_claims, resolve_and_start
from lti_tool.sandbox.models import LaunchHint, ToolRegistration, utcnow
from lti_tool.sandbox.oauth import current_flavour
from lti_tool.sandbox.sandbox import current_sandbox, request_db

bp = Blueprint("sandbox_oidc", __name__)


@bp.get("/canvas/api/lti/security/jwks")
@bp.get("/moodle/mod/lti/certs.php")
def jwks() -> Response:
    """The platform's public keys (one JWKS URL per flavour, the same key behind both)."""
    return jsonify(current_sandbox().key.jwks())


@bp.route("/canvas/api/lti/authorize_redirect", methods=["GET", "POST"])
def canvas_authorize_redirect() -> WerkzeugResponse:
    # Canvas: the published auth URL only redirects to the account's own /api/lti/authorize
    # (302 for GET; 307 keeps a form POST a POST).
    target = "/canvas/api/lti/authorize"
    if request.method == "GET":
        query = request.query_string.decode("latin-1")
        return redirect(target + (f"?{query}" if query else ""), code=302)
    return redirect(target, code=307)


@bp.route("/canvas/api/lti/authorize", methods=["GET", "POST"])
@bp.route("/moodle/mod/lti/auth.php", methods=["GET", "POST"])
def authorize() -> str:
    sandbox = current_sandbox()
    flavour = current_flavour()
    params = request.values
    db = request_db()

    client_id = params.get("client_id", "")
    registration = db.scalar(
        select(ToolRegistration).where(
            ToolRegistration.flavour == flavour.name, ToolRegistration.client_id == client_id
        )
    )
    if registration is None:
        raise LaunchError("unauthorized_client", f"client_id {client_id!r} is not registered here")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in registration.redirect_uris:
        raise LaunchError(
            "invalid_request",
            f"redirect_uri {redirect_uri!r} is not registered for this tool "
            f"(registered: {', '.join(registration.redirect_uris)})",
        )
    expectations = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
    }
    for name, expected in expectations.items():
        given = params.get(name)
        if name == "scope":
            ok = given is not None and expected in given.split()
        else:
            ok = given == expected
        if not ok:
            raise LaunchError("invalid_request", f"{name} must be {expected!r}, got {given!r}")
    nonce = params.get("nonce")
    if not nonce:
        raise LaunchError("invalid_request", "nonce is missing")
    login_hint = params.get("login_hint")
    if not login_hint:
        raise LaunchError("invalid_request", "login_hint is missing")
    hint = db.get(LaunchHint, params.get("lti_message_hint", ""))
    if hint is None or hint.registration_id != registration.id:
        raise LaunchError(
            "invalid_request", "lti_message_hint is unknown or belongs to another tool"
        )
    if hint.expires_at <= utcnow():
        raise LaunchError(
            "invalid_request", "the launch has expired; start it again from the course"
        )
    if hint.person.sub != login_hint:
        raise LaunchError(
            "login_required", "login_hint does not match the user who started the launch"
        )
    claims = id_token_claims(db, sandbox, flavour, hint, nonce)
    fields = {"id_token": sandbox.key.sign(claims)}
    if "state" in params:
        fields["state"] = params["state"]
    return render_template(
        "sandbox/auto_submit.html",
        action=redirect_uri,
        fields=fields,
        title=f"Launching {registration.name}",
    )


@bp.post("/<any(canvas, moodle):flavour_name>/courses/<int:course_lms_id>/launch")
def launch_from_course(flavour_name: str, course_lms_id: int) -> str:
    """A launch button on the course page: initiation form, rendered inside the tool frame."""
    sandbox = current_sandbox()
    flavour = current_flavour()
    form = request.form
    db = request_db()
    message_type = form.get("message_type", vocab.RESOURCE_LINK_REQUEST)
    try:
        initiation = resolve_and_start(
            db,
            sandbox,
            flavour,
            user=form["user"],
            role=form.get("role") or None,
            course=course_lms_id,
            resource_link_id=form.get("resource_link_id") or None,
            message_type=message_type,
            with_storage_target=form.get("storage") != "off",
            client_id=form.get("client_id") or None,
        )
    except (LookupError, ValueError, KeyError) as exc:
        raise LaunchError("invalid_request", f"cannot start the launch: {exc}") from exc
    db.commit()
    return render_template(
        "sandbox/auto_submit.html",
        action=initiation.login_url,
        fields=initiation.params,
        title="Starting the launch",
    )
