"""Strict validation of an LTI 1.3 launch, on pylti1p3's MessageLaunch.

pylti1p3 supplies the registration lookup (through our tool configuration port),
the JWT format check and the message validators for each message type. We replace
the steps it gets wrong or leaves open (LTI Security Framework §5.1.3,
https://www.imsglobal.org/spec/security/v1p0/#authentication-response-validation):

- the signature: RS256 only, against the platform's cached JWKS, with ``aud``,
  ``azp``, ``iss``, ``exp`` and ``iat`` checked and a clock-skew leeway;
- state and nonce: each good exactly once (pylti1p3 never consumes them);
- the deployment: registered and approved, and equal to the login's lti_deployment_id;
- target_link_uri: one of the tool's own URLs;
- the required claims of a resource link launch.
"""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import urlsplit

import jwt
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration as LtiRegistration
from sqlalchemy.orm import Session

from lti_tool import protocol
from lti_tool.launch.errors import (
    DeploymentMismatch,
    InvalidClaims,
    InvalidSignature,
    MalformedRequest,
    StateMissing,
    TokenExpired,
    UnknownRegistration,
    WrongMessageType,
)
from lti_tool.launch.platform_keys import PlatformKeyCache
from lti_tool.launch.storage import consume_login_state, find_login_state
from lti_tool.launch.tool_conf import DatabaseToolConf
from lti_tool.models import LoginState


class ToolMessageLaunch(FlaskMessageLaunch):  # type: ignore[misc]
    """One launch being validated. Construct per request; call :meth:`validate_strictly`."""

    def __init__(
        self,
        request: FlaskRequest,
        tool_conf: DatabaseToolConf,
        launch_data_storage: Any,
        *,
        key_cache: PlatformKeyCache,
        leeway_seconds: int,
        tool_origin: str,
    ) -> None:
        super().__init__(request, tool_conf, launch_data_storage=launch_data_storage)
        self._key_cache = key_cache
        self._leeway = leeway_seconds
        self._tool_origin = tool_origin
        self.login_state: LoginState | None = None

    # -- the order of checks ---------------------------------------------------
    def validate_strictly(self, session: Session, *, state_bound: bool) -> dict[str, Any]:
        """Validate everything; ``state_bound`` says the browser proved it began this login
        (state cookie, or the platform's postMessage storage). Returns the id_token body."""
        state = self._get_request_param("state")
        if not state:
            raise MalformedRequest("the launch has no state parameter")
        if not self._get_request_param("id_token"):
            raise MalformedRequest("the launch has no id_token")
        self.login_state = find_login_state(session, state)
        # pylti1p3's getters would otherwise run its own validate() (cookie state check).
        self._validated = True
        try:
            self.validate_jwt_format()
        except LtiException as exc:
            raise MalformedRequest("the id_token is not a well-formed JWT") from exc
        try:
            self.validate_registration()
        except LtiException as exc:
            raise UnknownRegistration(str(exc)) from exc
        body = self.verify_signature()
        if self._registration_issuer_mismatch():
            raise UnknownRegistration("the login and the launch name different registrations")
        if not state_bound:
            raise StateMissing("the state cookie is missing")
        consume_login_state(session, self.login_state, str(body.get("nonce", "")))
        self.check_deployment_matches_login(body)
        self.check_message(body)
        return body

    # -- steps -------------------------------------------------------------------
    def verify_signature(self) -> dict[str, Any]:
        header = self._jwt.get("header", {})
        if header.get("alg") != "RS256":
            # Refuses alg "none" and HS256-signed-with-the-public-key confusion outright.
            raise InvalidSignature(f"id_token alg {header.get('alg')!r} is not RS256")
        kid = header.get("kid")
        if not kid:
            raise InvalidSignature("the id_token header names no key (kid)")
        registration = self._lti_registration()
        key = self._key_cache.key_for(registration.get_key_set_url() or "", kid)
        client_id = registration.get_client_id()
        try:
            body: dict[str, Any] = jwt.decode(
                self._get_request_param("id_token"),
                key=key,
                algorithms=["RS256"],
                audience=client_id,
                issuer=registration.get_issuer() or "",
                leeway=self._leeway,
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
        self._jwt["body"] = body  # type: ignore[typeddict-item]
        return body

    def _lti_registration(self) -> LtiRegistration:
        if self._registration is None:
            raise UnknownRegistration("no registration was found for this launch")
        return self._registration

    def _registration_issuer_mismatch(self) -> bool:
        assert self.login_state is not None
        login_registration_id = self.login_state.registration_id
        registration = self._lti_registration()
        row = self._tool_config.registration_row(
            registration.get_issuer() or "", registration.get_client_id()
        )
        return row is None or row.id != login_registration_id

    def check_deployment_matches_login(self, body: dict[str, Any]) -> None:
        assert self.login_state is not None
        deployment_id = body.get(protocol.CLAIM_DEPLOYMENT_ID)
        if not isinstance(deployment_id, str) or not deployment_id:
            raise InvalidClaims("the deployment_id claim is missing")
        expected = self.login_state.login_deployment_id
        if expected and not hmac.compare_digest(expected, deployment_id):
            raise DeploymentMismatch(
                f"login said deployment {expected!r}, the id_token says {deployment_id!r}"
            )

    def check_message(self, body: dict[str, Any]) -> None:
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
        if not _is_own_url(target, self._tool_origin):
            raise InvalidClaims(f"target_link_uri {target!r} is not one of this tool's URLs")
        if message_type == protocol.MESSAGE_RESOURCE_LINK:
            link = body.get(protocol.CLAIM_RESOURCE_LINK)
            if not isinstance(link, dict) or not link.get("id"):
                raise InvalidClaims("the resource_link claim has no id")
        else:
            settings = body.get(protocol.CLAIM_DL_SETTINGS)
            if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
                raise InvalidClaims("deep_linking_settings has no deep_link_return_url")
        try:
            self.validate_message()  # pylti1p3's per-message validators, as a second opinion
        except LtiException as exc:
            raise InvalidClaims(str(exc)) from exc


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
