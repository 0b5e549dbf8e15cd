"""The LTI endpoints: OIDC login, launch, and the tool's public key set.

Thin: each view parses the request, calls the launch package, and renders or redirects.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, render_template, request
from pylti1p3.contrib.flask import FlaskRequest
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.extensions import db, services
from lti_tool.home.landing import Arrival, landing_url
from lti_tool.launch.errors import LaunchError
from lti_tool.launch.login import ToolOIDCLogin, check_parameter_sizes
from lti_tool.launch.service import AskPlatformStorage
from lti_tool.launch.storage import state_key
from lti_tool.limits import Limit, check
from lti_tool.web import page_in_place

bp = Blueprint("launch", __name__)


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
    # A login writes nothing (its state is signed and travels with the browser), so only
    # refused ones are counted per client address: each writes a failure row for the console.
    limit = Limit("lti-login", settings.login_rate_per_minute, 60)
    try:
        check_parameter_sizes(values)
        oidc = ToolOIDCLogin(_flask_request(), services().tool_conf)
        begun = oidc.begin(
            values,
            states=services().login_states,
            launch_url=settings.base_url + "/lti/launch",
            tool_origin=settings.base_url,
        )
    except LaunchError:
        check(services().session_factory, limit, request.remote_addr or "", "sign-in requests")
        raise
    response: BaseResponse
    if begun.storage_target:
        # Store the state's proof in the platform's frame first (LTI Client Side
        # postMessages, lti.put_data), then continue to the platform.
        response = Response(
            render_template(
                "launch/login_storage.html",
                auth_url=begun.auth_url,
                storage_target=begun.storage_target,
                storage_key=state_key(begun.state_id),
                storage_value=begun.storage_value,
                platform_origin=begun.platform_origin,
            )
        )
    else:
        # No HTML body (Flask's redirect writes one, with the long URL escaped in it).
        response = Response(status=302, headers={"Location": begun.auth_url})
    _set_state_cookies(response, begun.state_id)
    return response


def _cookie_names(state_id: str) -> tuple[str, str]:
    """The state's cookie, and its plain-http twin for development (below)."""
    name = state_key(state_id)
    return name, name + "-plain"


def _set_state_cookies(response: BaseResponse, state_id: str) -> None:
    settings = services().settings
    max_age = settings.login_state_ttl_seconds
    secure_name, plain_name = _cookie_names(state_id)
    # Inside an LMS iframe the tool is a third party: only SameSite=None; Secure cookies
    # travel, and browsers that block third-party cookies still keep Partitioned (CHIPS)
    # ones. Browsers treat http://localhost and http://127.0.0.1 as secure for this.
    response.set_cookie(
        secure_name,
        state_id,
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
            plain_name,
            state_id,
            max_age=max_age,
            httponly=True,
            path="/lti/",
        )


def _cookie_bound(state_id: str) -> bool:
    for name in _cookie_names(state_id):
        value = request.cookies.get(name)
        if value and hmac.compare_digest(value, state_id):
            return True
    return False


@bp.route("/lti/launch", methods=["POST"])
def launch() -> BaseResponse | str:
    outcome = services().launches.complete(
        db(),
        state=request.form.get("state", ""),
        id_token=request.form.get("id_token", ""),
        cookie_bound=_cookie_bound,
        storage_proof=request.form.get("lti_storage_value") or "",
    )
    if isinstance(outcome, AskPlatformStorage):
        return render_template(
            "launch/launch_storage.html",
            id_token=outcome.id_token,
            state=outcome.state,
            storage_target=outcome.storage_target,
            storage_key=outcome.storage_key,
            platform_origin=outcome.platform_origin,
            new_window_url=outcome.new_window_url,
        )
    landing = landing_url(db(), Arrival.recorded(outcome.launch, outcome.token))
    services().launches.admit(db(), outcome)
    response = page_in_place(landing, db())
    # The state is spent: drop its cookies so repeated launches do not pile them up.
    secure_name, plain_name = _cookie_names(outcome.login_state.id)
    if secure_name in request.cookies:
        response.delete_cookie(secure_name, path="/lti/", secure=True, samesite="None")
    if plain_name in request.cookies:
        response.delete_cookie(plain_name, path="/lti/")
    return response
