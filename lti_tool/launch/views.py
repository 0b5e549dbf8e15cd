"""The LTI endpoints: OIDC login, launch, and the tool's public key set.

Thin: each view parses the request, calls the launch package, and renders or redirects.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, redirect, render_template, request
from pylti1p3.contrib.flask import FlaskRequest
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.extensions import db, services
from lti_tool.home.landing import Arrival, landing_url
from lti_tool.launch.errors import LaunchError
from lti_tool.launch.login import ToolOIDCLogin, check_parameter_sizes
from lti_tool.launch.service import AskPlatformStorage
from lti_tool.limits import Limit, RateLimited, check, count, hit
from lti_tool.web import page_in_place

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
    values = {key: str(value) for key, value in request.values.items()}
    # Unauthenticated, and each one writes a login state: counted per client address. The
    # count is written with the state, in one short write transaction (on SQLite every
    # other login and launch waits for its lock); a refused login is counted on its own.
    limit = Limit("lti-login", settings.login_rate_per_minute, 60)
    address = request.remote_addr or ""
    try:
        check_parameter_sizes(values)
        oidc = ToolOIDCLogin(_flask_request(), services().tool_conf)
        begun = oidc.begin(
            db(),
            values,
            launch_url=settings.base_url + "/lti/launch",
            tool_origin=settings.base_url,
            secret_key=settings.secret_key,
            state_ttl_seconds=settings.login_state_ttl_seconds,
        )
        wait = count(db(), limit, address)
    except LaunchError:
        db().rollback()
        check(services().session_factory, limit, address, "sign-in requests")
        raise
    if wait:
        db().rollback()  # no state for a login over the limit; the hit is counted alone
        hit(services().session_factory, limit, address)
        raise RateLimited(limit, wait, "sign-in requests")
    db().commit()
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


def _cookie_bound(state: str) -> bool:
    for name in (STATE_COOKIE_PREFIX + state, STATE_COOKIE_PREFIX + state + "-plain"):
        value = request.cookies.get(name)
        if value and hmac.compare_digest(value, state):
            return True
    return False


@bp.route("/lti/launch", methods=["POST"])
def launch() -> BaseResponse | str:
    state = request.form.get("state", "")
    outcome = services().launches.complete(
        db(),
        state=state,
        id_token=request.form.get("id_token", ""),
        cookie_bound=bool(state) and _cookie_bound(state),
        storage_proof=request.form.get("lti_storage_value") or "",
    )
    if isinstance(outcome, AskPlatformStorage):
        return render_template(
            "launch/launch_storage.html",
            id_token=outcome.id_token,
            state=outcome.state,
            storage_target=outcome.storage_target,
            platform_origin=outcome.platform_origin,
            new_window_url=outcome.new_window_url,
        )
    landing = landing_url(db(), Arrival.recorded(outcome.launch, outcome.token))
    services().launches.admit(db(), outcome)
    response = page_in_place(landing, db())
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
