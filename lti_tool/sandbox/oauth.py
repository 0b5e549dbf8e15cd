"""The platform's OAuth 2 token endpoint and the bearer check every service call goes through.

1EdTech Security Framework §4.1 "Using JSON Web Tokens with OAuth 2.0 Client Credentials
Grant": the tool POSTs ``grant_type=client_credentials`` with a JWT ``client_assertion``
(RFC 7523) signed by its own key; iss = sub = client_id, aud = the token endpoint (the issuer
is accepted too), a fresh ``jti`` each time. The platform answers an opaque bearer token
with the granted scopes. https://www.imsglobal.org/spec/security/v1p0/#using-json-web-tokens-with-oauth-2-0-client-credentials-grant
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import delete, select

from lti_tool.sandbox import vocab
from lti_tool.sandbox.errors import OAuthError, ServiceError
from lti_tool.sandbox.faults import service_endpoint
from lti_tool.sandbox.flavours import Flavour, flavour_named
from lti_tool.sandbox.models import AccessToken, ToolRegistration, UsedAssertion, utcnow
from lti_tool.sandbox.sandbox import current_sandbox, request_db
from lti_tool.sandbox.tool_jwt import ToolJwtError, unverified_claims, verify_tool_jwt

bp = Blueprint("sandbox_oauth", __name__)


def current_flavour() -> Flavour:
    """The flavour a request is for, from the first path segment (/canvas or /moodle)."""
    return flavour_named(request.path.split("/")[1])


def _granted_scopes(
    flavour: Flavour, requested: list[str], registration: ToolRegistration
) -> list[str]:
    allowed = set(registration.scopes)
    if flavour.name == "canvas":
        # Canvas refuses the whole request when one scope is not enabled on the key.
        refused = [scope for scope in requested if scope not in allowed]
        if refused:
            raise OAuthError("invalid_scope", f"scopes not allowed for this client: {refused}")
        return requested
    # Moodle grants what it can and leaves out the rest.
    granted = [scope for scope in requested if scope in allowed]
    if not granted:
        raise OAuthError("invalid_scope", "none of the requested scopes is allowed")
    return granted


@bp.post("/canvas/login/oauth2/token")
@bp.post("/moodle/mod/lti/token.php")
@service_endpoint
def token() -> Response:
    sandbox = current_sandbox()
    flavour = current_flavour()
    form = request.form
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != vocab.CLIENT_ASSERTION_TYPE:
        raise OAuthError(
            "invalid_request", f"client_assertion_type must be {vocab.CLIENT_ASSERTION_TYPE}"
        )
    assertion = form.get("client_assertion", "")
    requested = form.get("scope", "").split()
    if not assertion:
        raise OAuthError("invalid_request", "client_assertion is missing")
    if not requested:
        raise OAuthError("invalid_scope", "scope is missing")
    try:
        claimed = unverified_claims(assertion)
    except ToolJwtError as exc:
        raise OAuthError("invalid_client", str(exc), 401) from exc
    client_id = str(claimed.get("iss", ""))
    db = request_db()
    registration = db.scalar(
        select(ToolRegistration).where(
            ToolRegistration.flavour == flavour.name, ToolRegistration.client_id == client_id
        )
    )
    if registration is None:
        raise OAuthError("invalid_client", f"unknown client_id {client_id!r}", 401)
    root = sandbox.root(flavour)
    try:
        claims = verify_tool_jwt(
            assertion,
            jwks_uri=registration.jwks_uri,
            issuer=client_id,
            audience=[flavour.token_url(root), sandbox.issuer(flavour)],
            required=["iss", "sub", "aud", "exp", "iat", "jti"],
            timeout=sandbox.settings.http_timeout,
            leeway=sandbox.settings.clock_leeway,
        )
    except ToolJwtError as exc:
        raise OAuthError("invalid_client", f"client assertion refused: {exc}", 401) from exc
    if claims["sub"] != client_id:
        raise OAuthError("invalid_client", "sub of the client assertion must be the client_id", 401)
    granted = _granted_scopes(flavour, requested, registration)
    now = utcnow()
    with sandbox.write_lock:
        db.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now))
        jti = str(claims["jti"])
        reused = db.scalar(
            select(UsedAssertion.id).where(
                UsedAssertion.client_id == client_id, UsedAssertion.jti == jti
            )
        )
        if reused is not None:
            raise OAuthError("invalid_grant", f"jti {jti!r} was already used")
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC) + timedelta(
            seconds=sandbox.settings.clock_leeway
        )
        db.add(UsedAssertion(client_id=client_id, jti=jti, expires_at=expires))
        access = AccessToken(
            token=secrets.token_urlsafe(32),
            registration_id=registration.id,
            scopes=granted,
            expires_at=now + timedelta(seconds=sandbox.settings.access_token_lifetime),
        )
        db.add(access)
        db.commit()
    return jsonify(
        access_token=access.token,
        token_type="Bearer",  # noqa: S106 - the RFC 6750 token type, not a secret
        expires_in=sandbox.settings.access_token_lifetime,
        scope=" ".join(granted),
    )


@dataclass(frozen=True)
class Grant:
    """A valid bearer token: which tool called, with which scopes."""

    registration: ToolRegistration
    scopes: tuple[str, ...]


def require_grant(flavour: Flavour, *accepted_scopes: str) -> Grant:
    """RFC 6750 bearer check: a live token holding at least one of ``accepted_scopes``."""
    if flavour.name == "canvas" and not request.headers.get("User-Agent"):
        # Canvas's API refuses requests that carry no User-Agent header.
        raise ServiceError(flavour.name, "A User-Agent header is required", 403)
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise OAuthError("invalid_token", "a Bearer access token is required", 401)
    db = request_db()
    access = db.get(AccessToken, value.strip())
    if access is None or access.registration.flavour != flavour.name:
        raise OAuthError("invalid_token", "unknown access token", 401)
    if access.expires_at <= utcnow():
        raise OAuthError("invalid_token", "the access token has expired", 401)
    if not set(accepted_scopes) & set(access.scopes):
        raise OAuthError(
            "insufficient_scope", f"this call needs one of the scopes {list(accepted_scopes)}", 403
        )
    return Grant(access.registration, tuple(access.scopes))
