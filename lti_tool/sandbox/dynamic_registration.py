"""LTI Dynamic Registration 1.0, platform side.

https://www.imsglobal.org/spec/lti-dr/v1p0 — §3.3 registration initiation (the platform opens
the tool's registration URL with ``openid_configuration`` and ``registration_token``), §3.4
the platform's OpenID configuration (with ``https://purl.imsglobal.org/spec/lti-platform-configuration``),
§3.5 the tool's client registration POST (OpenID Connect Dynamic Client Registration with
``https://purl.imsglobal.org/spec/lti-tool-configuration``), §3.6 the response with the new
client_id, §4 the tool closes its window with the ``org.imsglobal.lti.close`` postMessage.

Per LMS:
- Canvas requires the registration token as a Bearer header on the openid-configuration
  GET too, may grant fewer scopes than asked (``canvas_dropped_scopes``), returns the granted
  ``scope`` and no deployment_id (the tool learns it at the first launch).
- Moodle serves its configuration openly, returns the ``deployment_id`` inside the
  lti-tool-configuration, and reports errors as plain text. When a tool on the same host
  exists, Moodle 5.1 asks "Update / Register as a new external tool" and recommends
  Update: the tool's registration POST then changes that tool in place (same client_id and
  deployment) and resets its "Tool configuration usage" to "Show as preconfigured tool".
Registration tokens are single use and expire after an hour in both.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy import select

from lti_tool.sandbox import vocab
from lti_tool.sandbox.errors import ServiceError
from lti_tool.sandbox.flavours import Flavour
from lti_tool.sandbox.models import RegistrationToken, ToolRegistration, utcnow
from lti_tool.sandbox.oauth import current_flavour
from lti_tool.sandbox.paging import with_query
from lti_tool.sandbox.sandbox import Sandbox, current_sandbox, request_db
from lti_tool.sandbox.tools import create_registration, update_registration

bp = Blueprint("sandbox_dynamic_registration", __name__)

# Moodle grants the read scopes with any AGS scope, and lineitem only when asked.
MOODLE_AGS_BUNDLE = (vocab.SCOPE_SCORE, vocab.SCOPE_RESULT_READONLY, vocab.SCOPE_LINEITEM_READONLY)


def new_registration_token(
    sandbox: Sandbox, flavour: Flavour, updates: ToolRegistration | None = None
) -> RegistrationToken:
    with sandbox.session() as session:
        token = RegistrationToken(
            token=secrets.token_urlsafe(32),
            flavour=flavour.name,
            expires_at=utcnow() + timedelta(seconds=sandbox.settings.registration_token_lifetime),
            used_at=None,
            registration_id=None,
            updates_registration_id=updates.id if updates is not None else None,
        )
        session.add(token)
    return token


def registration_start_url(
    sandbox: Sandbox, flavour: Flavour, tool_registration_url: str, token: str
) -> str:
    config_url = flavour.openid_configuration_url(sandbox.root(flavour))
    return with_query(
        tool_registration_url, {"openid_configuration": config_url, "registration_token": token}
    )


def _bearer_token(flavour: Flavour) -> RegistrationToken | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        return None
    token = request_db().get(RegistrationToken, value.strip())
    if token is None or token.flavour != flavour.name:
        return None
    return token


def _token_problem(token: RegistrationToken | None) -> str | None:
    if token is None:
        return "missing_registration_token"
    if token.used_at is not None:
        return "token_already_used"
    if token.expires_at <= utcnow():
        return "registration_token_expired"
    return None


@bp.get("/<any(canvas, moodle):flavour_name>/.well-known/openid-configuration")
def openid_configuration(flavour_name: str) -> Response:
    sandbox = current_sandbox()
    flavour = current_flavour()
    if flavour.name == "canvas":
        # Canvas serves its configuration only to the holder of a live registration token.
        problem = _token_problem(_bearer_token(flavour))
        if problem:
            raise ServiceError("canvas", problem, 401)
    root = sandbox.root(flavour)
    return jsonify(
        {
            "issuer": sandbox.issuer(flavour),
            "authorization_endpoint": flavour.auth_login_url(root),
            "token_endpoint": flavour.token_url(root),
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": flavour.jwks_url(root),
            "registration_endpoint": flavour.registration_endpoint(root),
            "scopes_supported": ["openid", *vocab.ALL_SERVICE_SCOPES],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": [
                "sub",
                "iss",
                "name",
                "given_name",
                "family_name",
                "email",
                "locale",
            ],
            vocab.LTI_PLATFORM_CONFIGURATION: flavour.platform_configuration(),
        }
    )


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate_client_metadata(body: Any) -> str | None:
    """The first problem with the tool's registration request, or None."""
    if not isinstance(body, dict):
        return "the registration request must be a JSON object"
    if body.get("application_type") != "web":
        return "application_type must be web"
    grant_types = body.get("grant_types")
    if not isinstance(grant_types, list) or not {"implicit", "client_credentials"} <= set(
        grant_types
    ):
        return "grant_types must include implicit and client_credentials"
    if not isinstance(body.get("response_types"), list) or "id_token" not in body["response_types"]:
        return "response_types must include id_token"
    uris = body.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(_is_url(uri) for uri in uris):
        return "redirect_uris must be a non-empty list of URLs"
    for name in ("initiate_login_uri", "jwks_uri"):
        if not _is_url(body.get(name)):
            return f"{name} must be a URL"
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        return "token_endpoint_auth_method must be private_key_jwt"
    if not isinstance(body.get("client_name"), str) or not body["client_name"].strip():
        return "client_name is required"
    if not isinstance(body.get("scope", ""), str):
        return "scope must be a space-separated string"
    config = body.get(vocab.LTI_TOOL_CONFIGURATION)
    if not isinstance(config, dict):
        return f"{vocab.LTI_TOOL_CONFIGURATION} is required"
    if not isinstance(config.get("domain"), str) or not config["domain"]:
        return "lti-tool-configuration.domain is required"
    if not _is_url(config.get("target_link_uri")):
        return "lti-tool-configuration.target_link_uri must be a URL"
    if not isinstance(config.get("claims", []), list):
        return "lti-tool-configuration.claims must be a list"
    messages = config.get("messages", [])
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and "type" in m for m in messages
    ):
        return "lti-tool-configuration.messages must be a list of objects with a type"
    custom = config.get("custom_parameters", {})
    if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
        return "lti-tool-configuration.custom_parameters must map names to strings"
    return None


def granted_scopes(sandbox: Sandbox, flavour: Flavour, requested: list[str]) -> list[str]:
    supported = [scope for scope in requested if scope in vocab.ALL_SERVICE_SCOPES]
    if flavour.name == "canvas":
        # Canvas: the admin may untick services on the developer key before saving.
        return [scope for scope in supported if scope not in sandbox.settings.canvas_dropped_scopes]
    granted: list[str] = []
    if any(scope in vocab.AGS_SCOPES for scope in supported):
        granted += MOODLE_AGS_BUNDLE
    if vocab.SCOPE_LINEITEM in supported:
        granted.append(vocab.SCOPE_LINEITEM)
    if vocab.SCOPE_NRPS in supported:
        granted.append(vocab.SCOPE_NRPS)
    return granted


@bp.post("/canvas/api/lti/registrations")
@bp.post("/moodle/mod/lti/openid-registration.php")
def register() -> tuple[Response, int]:
    sandbox = current_sandbox()
    flavour = current_flavour()
    db = request_db()
    with sandbox.write_lock:
        token = _bearer_token(flavour)
        problem = _token_problem(token)
        if problem or token is None:
            raise ServiceError(flavour.name, problem or "missing_registration_token", 401)
        body = request.get_json(silent=True)
        invalid = validate_client_metadata(body)
        if invalid is not None or not isinstance(body, dict):
            message = invalid or "the registration request must be a JSON object"
            if flavour.name == "canvas":
                raise ServiceError(
                    "canvas",
                    message,
                    400,
                    body={"error": "invalid_client_metadata", "error_description": message},
                )
            raise ServiceError("moodle", message, 400)
        config = body[vocab.LTI_TOOL_CONFIGURATION]
        deep_link_uri = next(
            (
                m.get("target_link_uri")
                for m in config.get("messages", [])
                if m.get("type") == vocab.DEEP_LINKING_REQUEST and m.get("target_link_uri")
            ),
            None,
        )
        scopes = granted_scopes(sandbox, flavour, body.get("scope", "").split())
        fields: dict[str, Any] = {
            "name": body["client_name"],
            "initiate_login_uri": body["initiate_login_uri"],
            "redirect_uris": body["redirect_uris"],
            "jwks_uri": body["jwks_uri"],
            "target_link_uri": config["target_link_uri"],
            "deep_link_uri": deep_link_uri,
            "scopes": scopes,
            "custom_parameters": config.get("custom_parameters", {}),
        }
        updating = (
            db.get(ToolRegistration, token.updates_registration_id)
            if token.updates_registration_id is not None
            else None
        )
        if updating is not None:
            registration = update_registration(db, updating, **fields)
        else:
            registration = create_registration(
                db, flavour, **fields, primary=False, created_via="dynamic"
            )
        token.used_at = utcnow()
        token.registration_id = registration.id
        db.commit()
    tool_configuration = dict(config)
    response = {**body, "client_id": registration.client_id, "scope": " ".join(scopes)}
    if flavour.name == "moodle":
        # Moodle tells the tool its deployment (the tool type id) right away.
        tool_configuration["deployment_id"] = registration.deployment_id
    else:
        response["https://canvas.instructure.com/lti/registration_config_url"] = (
            f"{sandbox.root(flavour)}/api/lti/registrations/{registration.id}/view"
        )
    response[vocab.LTI_TOOL_CONFIGURATION] = tool_configuration
    return jsonify(response), 200


def _same_host_tools(flavour: Flavour, tool_url: str) -> list[ToolRegistration]:
    host = urlsplit(tool_url).netloc
    return [
        tool
        for tool in request_db().scalars(
            select(ToolRegistration)
            .where(ToolRegistration.flavour == flavour.name)
            .order_by(ToolRegistration.id)
        )
        if urlsplit(tool.initiate_login_uri).netloc == host
    ]


@bp.post("/<any(canvas, moodle):flavour_name>/admin/dynamic-registration")
def start_dynamic_registration(flavour_name: str) -> str:
    """The admin's "Register a tool by URL" button: open the tool's page in a frame.

    Moodle first asks "Update / Register as a new external tool" when a tool on the same
    host exists (``choice`` is then ``update:<id>`` or ``new``).
    """
    sandbox = current_sandbox()
    flavour = current_flavour()
    tool_url = request.form.get("registration_url", "")
    if not _is_url(tool_url):
        raise ServiceError(flavour.name, "registration_url must be an http(s) URL", 400)
    updates = None
    if flavour.name == "moodle":
        same_host = _same_host_tools(flavour, tool_url)
        choice = request.form.get("choice", "")
        if same_host and not choice:
            return render_template(
                "sandbox/dynamic_registration_choice.html",
                flavour=flavour,
                tools=same_host,
                registration_url=tool_url,
            )
        if choice.startswith("update:"):
            updates = next((t for t in same_host if str(t.id) == choice[7:]), None)
            if updates is None:
                raise ServiceError(flavour.name, "the tool to update does not exist", 400)
    token = new_registration_token(sandbox, flavour, updates)
    start_url = registration_start_url(sandbox, flavour, tool_url, token.token)
    parts = urlsplit(tool_url)
    return render_template(
        "sandbox/dynamic_registration.html",
        flavour=flavour,
        start_url=start_url,
        tool_origin=f"{parts.scheme}://{parts.netloc}",
    )
