"""Registration pages: Dynamic Registration, the Canvas JSON, and the manual setup values.

Thin: each view parses the request, calls :mod:`dynamic` or :mod:`tool_profile`, and
renders. The Dynamic Registration pages are shown inside the LMS (an iframe or a popup),
so their ``frame-ancestors`` name the registering platform, which is not registered yet.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from flask import Blueprint, Response, jsonify, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import event

from lti_tool import csp, protocol
from lti_tool.extensions import db, services
from lti_tool.limits import Limit, check
from lti_tool.registration.dynamic import SCOPE_NAMES, complete_registration, plan_registration
from lti_tool.registration.errors import RegistrationError, StaleRegistrationForm
from lti_tool.registration.outbound import Outbound, origin
from lti_tool.registration.tool_profile import (
    ToolProfile,
    canvas_developer_key,
    manual_setup_values,
)

bp = Blueprint("registration", __name__)

# The review page's form is good for as long as the LMS keeps its token (Canvas and
# Moodle: an hour).
FORM_MAX_AGE_SECONDS = 3600


def profile() -> ToolProfile:
    return ToolProfile.of(services().settings)


def outbound() -> Outbound:
    settings = services().settings
    return Outbound(
        http=services().http,
        timeout=float(settings.http_timeout_seconds),
        strict=settings.is_production,
    )


def _form_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services().settings.secret_key, salt="lti-dynamic-registration")


def _token_digest(registration_token: str) -> str:
    return hashlib.sha256(registration_token.encode()).hexdigest()


def form_token(openid_configuration: str, registration_token: str) -> str:
    """Binds the review form to the configuration URL and token it was shown for."""
    return _form_serializer().dumps(
        {"c": openid_configuration, "t": _token_digest(registration_token)}
    )


def _check_form_token(openid_configuration: str, registration_token: str) -> None:
    try:
        bound = _form_serializer().loads(
            request.form.get("form_token", ""), max_age=FORM_MAX_AGE_SECONDS
        )
    except BadSignature as exc:
        raise StaleRegistrationForm(
            "This registration form has expired or was not issued by the tool."
        ) from exc
    if not (
        isinstance(bound, dict)
        and hmac.compare_digest(str(bound.get("c", "")), openid_configuration)
        and hmac.compare_digest(str(bound.get("t", "")), _token_digest(registration_token))
    ):
        raise StaleRegistrationForm("This registration form belongs to another registration.")


def _framed_by(response: Response, origins: Iterable[str]) -> Response:
    allowed = " ".join(sorted({"'self'", *origins}))
    response.headers["Content-Security-Policy"] = csp.policy(allowed)
    response.headers["Cache-Control"] = "no-store"
    return response


def _requesting_origin() -> set[str]:
    url = request.values.get("openid_configuration", "")
    return {origin(url)} if url.startswith(("https://", "http://")) else set()


@bp.errorhandler(RegistrationError)
def _registration_error(error: RegistrationError) -> Response:
    response = Response(render_template("registration/error.html", error=error), error.status)
    return _framed_by(response, _requesting_origin())


def _count_registration_request() -> None:
    # Every request makes the tool fetch from the platform: counted per client address.
    limit = Limit("lti-register", services().settings.register_rate_per_hour, 3600)
    check(services().session_factory, limit, request.remote_addr or "", "registration requests")


@bp.get("/lti/register")
@bp.get("/lti/register/invitation/<invitation>")
def review(invitation: str | None = None) -> Response:
    _count_registration_request()
    openid_configuration = request.args.get("openid_configuration")
    registration_token = request.args.get("registration_token")
    plan = plan_registration(
        db(),
        outbound(),
        profile(),
        openid_configuration,
        registration_token,
        production=services().settings.is_production,
        invitation=invitation,
    )
    page = render_template(
        "registration/review.html",
        plan=plan,
        profile=profile(),
        scope_names=SCOPE_NAMES,
        openid_configuration=plan.platform.url,
        registration_token=registration_token,
        form_token=form_token(plan.platform.url, registration_token or ""),
        form_action=request.path,
    )
    return _framed_by(Response(page), plan.platform.origins)


@bp.post("/lti/register")
@bp.post("/lti/register/invitation/<invitation>")
def register(invitation: str | None = None) -> Response:
    _count_registration_request()
    openid_configuration = request.form.get("openid_configuration", "")
    registration_token = request.form.get("registration_token", "")
    _check_form_token(openid_configuration, registration_token)
    outcome = complete_registration(
        db(),
        outbound(),
        profile(),
        openid_configuration,
        registration_token,
        production=services().settings.is_production,
        invitation=invitation,
    )
    # A login tried before the registration existed may have cached "unknown".
    tool_conf = services().tool_conf
    event.listen(db(), "after_commit", lambda _session: tool_conf.forget(), once=True)
    page = render_template(
        "registration/registered.html",
        outcome=outcome,
        registration=outcome.registration,
        scope_names=SCOPE_NAMES,
        close_message=protocol.LTI_CLOSE_MESSAGE,
    )
    return _framed_by(Response(page), _requesting_origin())


@bp.get("/lti/config/canvas.json")
def canvas_json() -> Response:
    response = jsonify(canvas_developer_key(profile()))
    # Canvas fetches it server-side when given the URL; browsers may read it to copy it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/lti/setup")
def setup() -> str:
    return render_template(
        "registration/setup.html",
        profile=profile(),
        values=manual_setup_values(profile()),
        canvas_json=canvas_developer_key(profile()),
    )


@bp.get("/lti/logo.svg")
def logo() -> Response:
    response = Response(render_template("registration/logo.svg"), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
