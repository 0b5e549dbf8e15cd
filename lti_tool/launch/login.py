"""OIDC third-party initiated login (LTI 1.3 Core §5.1.1 / Security Framework §5.1.1).

1. The platform sends the browser to ``/lti/login`` with ``iss``, ``login_hint``,
   ``target_link_uri`` and usually ``client_id``, ``lti_message_hint``,
   ``lti_deployment_id`` and ``lti_storage_target``.
2. We find the registration through pylti1p3 (our database tool configuration), issue a
   signed, single-use state and nonce (``storage``: nothing is written), bind the state
   to this browser (a cookie, and the platform's postMessage storage when it offers one),
   and
3. send the browser to the platform's authorization endpoint, which answers with a
   form POST of ``id_token`` + ``state`` to ``/lti/launch``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from pylti1p3.contrib.flask import FlaskOIDCLogin, FlaskRequest
from pylti1p3.exception import OIDCException

from lti_tool.launch.errors import (
    InvalidClaims,
    LoginParameterTooLong,
    MalformedRequest,
    RegistrationDisabled,
    RegistrationPending,
    RegistrationRejected,
    UnknownRegistration,
)
from lti_tool.launch.storage import LoginStates
from lti_tool.launch.tool_conf import DatabaseToolConf

# Parameters a platform may send to the login endpoint (Core §4.1 and LMS additions).
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
    # Canvas sends the older name too, and the region of its cloud.
    "deployment_id",
    "canvas_region",
    "canvas_environment",
    "lti_storage_target",
)
# Longest value accepted for any of them. Canvas and Moodle send hints of a few hundred
# bytes; anything longer is refused before it is stored or sent back in a redirect.
MAX_PARAM_BYTES = 4096


def check_parameter_sizes(values: dict[str, str]) -> None:
    """Refuse oversized login parameters; the error names the parameter, never its value."""
    for key in LOGIN_PARAMS:
        size = len(values.get(key, "").encode())
        if size > MAX_PARAM_BYTES:
            raise LoginParameterTooLong(f"{key} is {size} bytes; at most {MAX_PARAM_BYTES}")


@dataclass(frozen=True)
class LoginRedirect:
    state: str
    # Names the state's cookie and its entry in the platform's storage (the state is long).
    state_id: str
    auth_url: str
    storage_target: str | None
    storage_value: str
    platform_origin: str


class ToolOIDCLogin(FlaskOIDCLogin):  # type: ignore[misc]
    def __init__(self, request: FlaskRequest, tool_conf: DatabaseToolConf) -> None:
        super().__init__(request, tool_conf)
        self._tool_conf = tool_conf

    def _why_unknown(self, params: dict[str, str]) -> UnknownRegistration:
        state = self._tool_conf.inactive_state(params["iss"], params.get("client_id"))
        error = {
            "pending": RegistrationPending,
            "rejected": RegistrationRejected,
            "disabled": RegistrationDisabled,
        }.get(state or "", UnknownRegistration)
        return error("no active registration for this issuer and client ID")

    def begin(
        self,
        values: Mapping[str, str],
        *,
        states: LoginStates,
        launch_url: str,
        tool_origin: str,
    ) -> LoginRedirect:
        params = {key: values[key] for key in LOGIN_PARAMS if values.get(key)}
        if not params.get("iss"):
            raise MalformedRequest("the login request has no iss")
        if not params.get("login_hint"):
            raise MalformedRequest("the login request has no login_hint")
        target = params.get("target_link_uri", "")
        parts, own = urlsplit(target), urlsplit(tool_origin)
        if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
            raise InvalidClaims(f"target_link_uri {target!r} is not one of this tool's URLs")
        try:
            registration = self.validate_oidc_login()
        except OIDCException as exc:
            raise self._why_unknown(params) from exc
        row = self._tool_conf.registration_row(
            registration.get_issuer() or "", registration.get_client_id()
        )
        if row is None:
            raise UnknownRegistration("the registration disappeared during login")
        deployment_id = params.get("lti_deployment_id") or params.get("deployment_id")
        state, login_state = states.issue(
            registration_id=row.id,
            login_deployment_id=deployment_id,
            storage_target=params.get("lti_storage_target"),
            login_params=params,
        )
        auth_params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": row.client_id,
            "redirect_uri": launch_url,
            "state": state,
            "nonce": login_state.nonce,
            "login_hint": params["login_hint"],
        }
        if params.get("lti_message_hint"):
            auth_params["lti_message_hint"] = params["lti_message_hint"]
        separator = "&" if "?" in row.auth_login_url else "?"
        auth = urlsplit(row.auth_login_url)
        return LoginRedirect(
            state=state,
            state_id=login_state.id,
            auth_url=row.auth_login_url + separator + urlencode(auth_params),
            storage_target=login_state.storage_target,
            storage_value=states.proof(login_state.id),
            platform_origin=f"{auth.scheme}://{auth.netloc}",
        )
