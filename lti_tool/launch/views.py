"""The LTI endpoints: OIDC login, launch, and the tool's public key set.

Thin: each view parses the request, calls the launch package, and renders or redirects.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from pylti1p3.contrib.flask import FlaskRequest
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from lti_tool import protocol
from lti_tool.extensions import db, services
from lti_tool.launch.errors import LaunchError, StateMissing
from lti_tool.launch.login import ToolOIDCLogin, check_parameter_sizes, storage_value
from lti_tool.launch.records import record_launch, record_pending_deployment, resolve_deployment
from lti_tool.launch.validation import ToolMessageLaunch
from lti_tool.limits import Limit, check
from lti_tool.models import LoginState, Registration

bp = Blueprint("launch", __name__)

STATE_COOKIE_PREFIX = "lti1p3-"


def _flask_request() -> FlaskRequest:
    # No Flask session: launches never depend on the session cookie.
    return FlaskRequest(session={})


@bp.route("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(services().key_store.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> BaseResponse:
    settings = services().settings
    # Unauthenticated and each one writes a login state: counted per client address first.
    limit = Limit("lti-login", settings.login_rate_per_minute, 60)
    check(services().session_factory, limit, request.remote_addr or "", "sign-in requests")
    check_parameter_sizes({key: str(value) for key, value in request.values.items()})
    oidc = ToolOIDCLogin(_flask_request(), services().tool_conf)
    begun = oidc.begin(
        db(),
        launch_url=settings.base_url + "/lti/launch",
        tool_origin=settings.base_url,
        secret_key=settings.secret_key,
        state_ttl_seconds=settings.login_state_ttl_seconds,
    )
    response: BaseResponse
    if begun.storage_target:
        # Store the state's proof in the platform's frame first (LTI Client Side
        # postMessages, lti.put_data), then continue to the platform.
        response = Response(
            render_template(
                "launch/login_storage.html",
                auth_url=begun.auth_url,
                storage_target=begun.storage_target,
                storage_key=begun.state,
                storage_value=begun.storage_value,
                platform_origin=begun.platform_origin,
            )
        )
    else:
        response = redirect(begun.auth_url, code=302)
    _set_state_cookies(response, begun.state)
    return response


def _set_state_cookies(response: BaseResponse, state: str) -> None:
    settings = services().settings
    max_age = settings.login_state_ttl_seconds
    # Inside an LMS iframe the tool is a third party: only SameSite=None; Secure cookies
    # travel, and browsers that block third-party cookies still keep Partitioned (CHIPS)
    # ones. Browsers treat http://localhost and http://127.0.0.1 as secure for this.
    response.set_cookie(
        STATE_COOKIE_PREFIX + state,
        state,
        max_age=max_age,
        secure=True,
        httponly=True,
        samesite="None",
        partitioned=True,
        path="/lti/",
    )
    if not request.is_secure:
        # Development over plain http only: non-browser HTTP clients (the sandbox
        # driver, curl) do not return Secure cookies over http, so give them a plain one.
        response.set_cookie(
            STATE_COOKIE_PREFIX + state + "-plain",
            state,
            max_age=max_age,
            httponly=True,
            path="/lti/",
        )


def _state_bound(state: str) -> bool:
    for name in (STATE_COOKIE_PREFIX + state, STATE_COOKIE_PREFIX + state + "-plain"):
        value = request.cookies.get(name)
        if value and hmac.compare_digest(value, state):
            return True
    proof = request.form.get("lti_storage_value") or ""
    expected = storage_value(services().settings.secret_key, state)
    return bool(proof) and hmac.compare_digest(proof, expected)


@bp.route("/lti/launch", methods=["POST"])
def launch() -> BaseResponse | str:
    svc = services()
    session = db()
    state = request.form.get("state", "")
    bound = bool(state) and _state_bound(state)
    if state and not bound:
        login_state = session.get(LoginState, state)
        if (
            login_state is not None
            and login_state.storage_target
            and login_state.consumed_at is None
        ):
            # No cookie came back (third-party cookies blocked): ask the platform's frame
            # for what the login stored, then post again with it.
            return render_template(
                "launch/launch_storage.html",
                id_token=request.form.get("id_token", ""),
                state=state,
                storage_target=login_state.storage_target,
                platform_origin=_platform_origin(login_state),
                new_window_url=_new_window_url(login_state),
            )
    message_launch = ToolMessageLaunch(
        _flask_request(),
        svc.tool_conf,
        svc.launch_storage,
        key_cache=svc.platform_keys,
        leeway_seconds=svc.settings.jwt_leeway_seconds,
        tool_origin=svc.settings.base_url,
    )
    try:
        claims = message_launch.validate_strictly(session, state_bound=bound)
    except StateMissing as error:
        login_state = session.get(LoginState, state) if state else None
        if login_state is not None and login_state.consumed_at is None:
            error.retry = _new_window_url(login_state)  # type: ignore[attr-defined]
        raise
    registration = session.scalar(
        select(Registration).where(
            Registration.issuer == claims["iss"],
            Registration.client_id == message_launch.get_client_id(),
        )
    )
    assert registration is not None  # validate_strictly found it
    deployment_id = claims[protocol.CLAIM_DEPLOYMENT_ID]
    try:
        deployment = resolve_deployment(session, registration, deployment_id)
    except LaunchError:
        session.rollback()
        with svc.session_factory.begin() as pending:
            record_pending_deployment(pending, pending.merge(registration), deployment_id)
        raise
    launch_row = record_launch(session, registration, deployment, claims, svc.tokens.ttl_seconds)
    session.commit()
    token = svc.tokens.issue(launch_row.id)
    response = redirect(url_for("home.start", launch_token=token), code=303)
    # The state is spent: drop its cookies so repeated launches do not pile them up.
    for name in (STATE_COOKIE_PREFIX + state, STATE_COOKIE_PREFIX + state + "-plain"):
        if name in request.cookies:
            response.delete_cookie(
                name,
                path="/lti/",
                secure=name.endswith(state),
                samesite="None" if name.endswith(state) else None,
            )
    return response


def _platform_origin(login_state: LoginState) -> str:
    registration = db().get(Registration, login_state.registration_id)
    parts = urlsplit(registration.auth_login_url if registration else "")
    return f"{parts.scheme}://{parts.netloc}"


def _new_window_url(login_state: LoginState) -> str:
    params = dict(login_state.login_params)
    params.pop("lti_storage_target", None)  # a top-level window has its own cookies
    params["lti1p3_new_window"] = "1"
    return services().settings.base_url + "/lti/login?" + urlencode(params)
