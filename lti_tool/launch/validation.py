"""Strict validation of an LTI 1.3 launch.

pylti1p3 supplies, through its public API only, the registration lookup (our tool
configuration implements its ``ToolConfAbstract`` port) and the message validators for
each message type. We do the steps it gets wrong or leaves open (LTI Security Framework
§5.1.3, https://www.imsglobal.org/spec/security/v1p0/#authentication-response-validation):

- the signature: RS256 only, against the platform's cached JWKS, with ``aud``,
  ``azp``, ``iss``, ``exp`` and ``iat`` checked and a clock-skew leeway;
- state and nonce: each good exactly once (pylti1p3 never consumes them);
- the deployment: registered and approved, and equal to the login's lti_deployment_id;
- target_link_uri: one of the tool's own URLs;
- the required claims of a resource link launch.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from pylti1p3.exception import LtiException
from pylti1p3.message_validators import get_validators
from pylti1p3.registration import Registration as LtiRegistration
from sqlalchemy.orm import Session

from lti_tool import protocol
from lti_tool.launch.errors import (
    DeploymentMismatch,
    InvalidClaims,
    InvalidSignature,
    LaunchError,
    MalformedRequest,
    StateMissing,
    TokenExpired,
    UnknownRegistration,
    WrongMessageType,
)
from lti_tool.launch.platform_keys import PlatformKeyCache
from lti_tool.launch.storage import LoginStateData, check_unused, use_up
from lti_tool.launch.tool_conf import DatabaseToolConf
from lti_tool.models import Registration


@dataclass(frozen=True)
class ValidatedLaunch:
    claims: dict[str, Any]
    registration: Registration  # our row, as cached by the tool configuration (detached)
    login_state: LoginStateData


class LaunchValidator:
    """Validates launches for one tool; one instance serves every request."""

    def __init__(
        self,
        tool_conf: DatabaseToolConf,
        *,
        key_cache: PlatformKeyCache,
        leeway_seconds: int,
        tool_origin: str,
    ) -> None:
        self.tool_conf = tool_conf
        self.key_cache = key_cache
        self.leeway = leeway_seconds
        self.tool_origin = tool_origin

    # -- the order of checks ---------------------------------------------------
    def validate(
        self,
        session: Session,
        *,
        login_state: LoginStateData,
        id_token: str,
        state_bound: bool,
    ) -> ValidatedLaunch:
        """Validate everything about a launch whose state this tool signed; ``state_bound``
        says the browser proved it began this login (state cookie, or the platform's
        postMessage storage)."""
        header, unverified = _parts(id_token)
        registration = self._named_registration(unverified)
        body = self.verify_signature(id_token, header, registration)
        row = self.tool_conf.registration_row(
            registration.get_issuer() or "", registration.get_client_id()
        )
        if row is None or row.id != login_state.registration_id:
            raise UnknownRegistration("the login and the launch name different registrations")
        if not state_bound:
            raise StateMissing("the state cookie is missing")
        check_unused(login_state, str(body.get("nonce", "")))
        try:
            check_deployment_matches_login(login_state, body)
            self.check_message(body)
        except LaunchError:
            # Signed for this login and bound to this browser, but refused: used up all the
            # same (committed alone: nothing else is written yet).
            use_up(session, login_state)
            session.commit()
            raise
        return ValidatedLaunch(body, row, login_state)

    # -- steps -------------------------------------------------------------------
    def _named_registration(self, unverified: dict[str, Any]) -> LtiRegistration:
        """The registration the token names (iss and aud, not yet verified)."""
        issuer = unverified.get("iss")
        aud = unverified.get("aud")
        client_id = aud[0] if isinstance(aud, list) and aud else aud
        if not isinstance(issuer, str) or not isinstance(client_id, str):
            raise UnknownRegistration("the id_token names no issuer or audience")
        registration = self.tool_conf.find_registration_by_params(issuer, client_id)
        if registration is None or registration.get_client_id() != client_id:
            raise UnknownRegistration("no registration was found for this launch")
        return registration

    def verify_signature(
        self, id_token: str, header: dict[str, Any], registration: LtiRegistration
    ) -> dict[str, Any]:
        if header.get("alg") != "RS256":
            # Refuses alg "none" and HS256-signed-with-the-public-key confusion outright.
            raise InvalidSignature(f"id_token alg {header.get('alg')!r} is not RS256")
        kid = header.get("kid")
        if not kid:
            raise InvalidSignature("the id_token header names no key (kid)")
        key = self.key_cache.key_for(registration.get_key_set_url() or "", kid)
        client_id = registration.get_client_id()
        try:
            body: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=["RS256"],
                audience=client_id,
                issuer=registration.get_issuer() or "",
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
            raise TokenExpired(str(exc)) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidClaims(str(exc)) from exc
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as exc:
            raise UnknownRegistration(str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise InvalidSignature(str(exc)) from exc
        aud = body["aud"]
        # Core §5.1.2: with several audiences, azp must be present and be our client_id.
        if isinstance(aud, list) and (len(aud) > 1 or "azp" in body):
            if body.get("azp") != client_id:
                raise UnknownRegistration("azp does not name this tool's client_id")
        elif "azp" in body and body["azp"] != client_id:
            raise UnknownRegistration("azp does not name this tool's client_id")
        return body

    def check_message(self, body: dict[str, Any]) -> None:
        check_message(body, self.tool_origin)


def check_deployment_matches_login(login_state: LoginStateData, body: dict[str, Any]) -> None:
    deployment_id = body.get(protocol.CLAIM_DEPLOYMENT_ID)
    if not isinstance(deployment_id, str) or not deployment_id:
        raise InvalidClaims("the deployment_id claim is missing")
    expected = login_state.login_deployment_id
    if expected and not hmac.compare_digest(expected, deployment_id):
        raise DeploymentMismatch(
            f"login said deployment {expected!r}, the id_token says {deployment_id!r}"
        )


def check_message(body: dict[str, Any], tool_origin: str) -> None:
    message_type = body.get(protocol.CLAIM_MESSAGE_TYPE)
    if message_type not in protocol.LAUNCH_MESSAGE_TYPES:
        raise WrongMessageType(f"message type {message_type!r}")
    if body.get(protocol.CLAIM_VERSION) != protocol.LTI_VERSION:
        raise InvalidClaims(f"LTI version {body.get(protocol.CLAIM_VERSION)!r}")
    if not isinstance(body.get("sub"), str) or not body["sub"]:
        # Anonymous launches (no sub) carry no learner to give credit to.
        raise InvalidClaims("the sub claim is missing")
    roles = body.get(protocol.CLAIM_ROLES)
    if roles is None or not isinstance(roles, list):
        raise InvalidClaims("the roles claim is missing (an empty list is allowed)")
    target = body.get(protocol.CLAIM_TARGET_LINK_URI, "")
    if not _is_own_url(target, tool_origin):
        raise InvalidClaims(f"target_link_uri {target!r} is not one of this tool's URLs")
    if message_type == protocol.MESSAGE_RESOURCE_LINK:
        link = body.get(protocol.CLAIM_RESOURCE_LINK)
        if not isinstance(link, dict) or not link.get("id"):
            raise InvalidClaims("the resource_link claim has no id")
    else:
        settings = body.get(protocol.CLAIM_DL_SETTINGS)
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
            raise InvalidClaims("deep_linking_settings has no deep_link_return_url")
    second_opinion(body)


def second_opinion(body: dict[str, Any]) -> None:
    """pylti1p3's validator for the message type (its public ``get_validators``)."""
    validators = [v for v in get_validators() if v.can_validate(body)]
    if len(validators) != 1:
        raise InvalidClaims("the message type has no single validator")
    try:
        if not validators[0].validate(body):
            raise InvalidClaims("pylti1p3 refused the message")
    except LtiException as exc:
        raise InvalidClaims(str(exc)) from exc


_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")


def _segment(segment: bytes) -> dict[str, Any]:
    if not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise MalformedRequest("the id_token is not a well-formed JWT")
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4)))
    except (ValueError, RecursionError) as exc:
        raise MalformedRequest("the id_token is not a well-formed JWT") from exc
    if not isinstance(value, dict):
        raise MalformedRequest("the id_token is not a well-formed JWT")
    return value


def _parts(id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and the unverified body of a compact JWT, read only to find the
    registration whose key then verifies it (``jwt.decode``, which re-reads everything).
    Read here rather than by a second ``jwt.decode``: PyJWT checks the base64 alphabet one
    character at a time in Python, a fifth of a launch's validation."""
    segments = id_token.encode().split(b".")
    if len(segments) != 3:
        raise MalformedRequest("the id_token is not a well-formed JWT")
    return _segment(segments[0]), _segment(segments[1])


def _is_own_url(url: str, tool_origin: str) -> bool:
    if not isinstance(url, str) or not url:
        return False
    parts, own = urlsplit(url), urlsplit(tool_origin)
    return (parts.scheme, parts.netloc) == (own.scheme, own.netloc)


def peek_claims(id_token: str) -> dict[str, Any]:
    """The unverified body, only to log which issuer a refused launch came from."""
    try:
        return dict(jwt.decode(id_token, options={"verify_signature": False}))
    except (jwt.PyJWTError, json.JSONDecodeError):
        return {}
