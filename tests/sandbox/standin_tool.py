"""A tiny stand-in LTI tool for the sandbox's own tests, built on Flask and PyJWT only.

It is just enough of a tool to exercise the platform: an OIDC login that redirects to the
platform, a launch endpoint that verifies the id_token against the platform's JWKS (state,
nonce, aud, signature), a JWKS of its own, and helpers that sign client assertions and deep
linking responses. It is deliberately not the real tool.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, render_template_string, request

from lti_tool.sandbox import vocab
from lti_tool.sandbox.keys import generate_private_key, public_jwk

# With lti_storage_target, the login page keeps the state in the platform's storage frame
# (LTI Client Side postMessages) instead of a cookie, then goes on to the platform.
STORE_STATE_PAGE = """<!doctype html><p id="status">storing state</p>
<a id="continue" href="{{ auth_url }}">continue</a>
<script>
  // Not "var name": a global of that name is window.name, the frame's own name.
  var targetName = {{ target|tojson }};
  var target = targetName === "_parent" ? window.parent : window.parent.frames[targetName];
  var platformOrigin = new URL({{ auth_url|tojson }}).origin;
  window.addEventListener("message", function (event) {
    if (event.origin !== platformOrigin) { return; }
    var data = event.data;
    if (data.subject === "lti.capabilities.response") {
      var subjects = data.supported_messages.map(function (m) { return m.subject; });
      if (subjects.indexOf("lti.put_data") === -1) { return; }
      target.postMessage({subject: "lti.put_data", message_id: "put-1",
                          key: "state-" + {{ state|tojson }}, value: {{ nonce|tojson }}},
                         platformOrigin);
    } else if (data.subject === "lti.put_data.response" && !data.error) {
      window.location.href = {{ auth_url|tojson }};
    }
  });
  target.postMessage({subject: "lti.capabilities", message_id: "cap-1"}, platformOrigin);
</script>"""

# After the launch, read the state back through both the current and the legacy message
# names and ask the platform to resize the frame.
CHECK_STATE_PAGE = """<!doctype html><p id="launched">launched</p>
<p id="storage">checking</p><p id="legacy-storage">checking</p>
<script>
  // Not "var name": a global of that name is window.name, the frame's own name.
  var targetName = {{ target|tojson }};
  var target = targetName === "_parent" ? window.parent : window.parent.frames[targetName];
  var platformOrigin = {{ platform_origin|tojson }};
  var key = "state-" + {{ state|tojson }};
  var expected = {{ nonce|tojson }};
  window.addEventListener("message", function (event) {
    if (event.origin !== platformOrigin) { return; }
    var data = event.data;
    var verdict = data.value === expected ? "storage ok" : "storage mismatch: " + data.value;
    if (data.subject === "lti.get_data.response") {
      document.getElementById("storage").textContent = verdict;
    } else if (data.subject === "org.imsglobal.lti.get_data.response") {
      document.getElementById("legacy-storage").textContent = verdict;
    }
  });
  target.postMessage({subject: "lti.get_data", message_id: "get-1", key: key}, platformOrigin);
  target.postMessage({subject: "org.imsglobal.lti.get_data", message_id: "get-2", key: key},
                     platformOrigin);
  window.parent.postMessage({subject: "lti.frameResize", height: 777}, "*");
</script>"""


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class StandInTool:
    def __init__(self) -> None:
        self.key = generate_private_key()
        self.base_url = ""
        # (issuer, client_id) -> platform_registration() of that platform.
        self.platforms: dict[tuple[str, str], dict[str, Any]] = {}
        self.pending: dict[str, dict[str, Any]] = {}
        self.logins: list[dict[str, str]] = []
        self.app = self._build_app()

    @property
    def kid(self) -> str:
        return public_jwk(self.key.public_key())["kid"]

    def trust(self, platform: dict[str, Any]) -> dict[str, Any]:
        self.platforms[(platform["issuer"], platform["client_id"])] = platform
        return platform

    def _build_app(self) -> Flask:
        app = Flask("standin_tool")

        @app.get("/.well-known/jwks.json")
        def jwks() -> Any:
            return jsonify(keys=[public_jwk(self.key.public_key())])

        @app.route("/lti/login", methods=["GET", "POST"])
        def login() -> Any:
            params = request.values.to_dict()
            self.logins.append(params)
            platform = self.platforms.get((params.get("iss", ""), params.get("client_id", "")))
            if platform is None:
                return jsonify(error="unknown platform"), 400
            state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
            storage_target = params.get("lti_storage_target")
            self.pending[state] = {"nonce": nonce, "platform": platform, "storage": storage_target}
            query = {
                "scope": "openid",
                "response_type": "id_token",
                "response_mode": "form_post",
                "prompt": "none",
                "client_id": platform["client_id"],
                "redirect_uri": f"{self.base_url}/lti/launch",
                "login_hint": params["login_hint"],
                "lti_message_hint": params.get("lti_message_hint", ""),
                "state": state,
                "nonce": nonce,
            }
            auth_url = f"{platform['auth_login_url']}?{urlencode(query)}"
            if storage_target:
                return render_template_string(
                    STORE_STATE_PAGE,
                    auth_url=auth_url,
                    target=storage_target,
                    state=state,
                    nonce=nonce,
                )
            return redirect(auth_url)

        @app.post("/lti/launch")
        def launch() -> Any:
            pending = self.pending.pop(request.form.get("state", ""), None)
            if pending is None:
                return jsonify(ok=False, error="unknown state"), 400
            platform = pending["platform"]
            try:
                keys = requests.get(platform["key_set_url"], timeout=5).json()["keys"]
                kid = jwt.get_unverified_header(request.form["id_token"]).get("kid")
                jwk = next(key for key in keys if key["kid"] == kid)
                claims = jwt.decode(
                    request.form["id_token"],
                    jwt.PyJWK(jwk).key,
                    algorithms=["RS256"],
                    audience=platform["client_id"],
                    issuer=platform["issuer"],
                )
            except (jwt.InvalidTokenError, StopIteration, KeyError) as exc:
                return jsonify(ok=False, error=f"{type(exc).__name__}: {exc}"), 400
            if claims.get("nonce") != pending["nonce"]:
                return jsonify(ok=False, error="nonce mismatch"), 400
            if pending["storage"] and "text/html" in request.headers.get("Accept", ""):
                return render_template_string(
                    CHECK_STATE_PAGE,
                    target=pending["storage"],
                    state=request.form["state"],
                    nonce=pending["nonce"],
                    platform_origin=origin_of(platform["auth_login_url"]),
                )
            return jsonify(ok=True, claims=claims)

        return app

    # Signing -----------------------------------------------------------------------------
    def client_assertion(
        self,
        platform: dict[str, Any],
        *,
        jti: str | None = None,
        aud: str | None = None,
        lifetime: int = 60,
        key: rsa.RSAPrivateKey | None = None,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": platform["client_id"],
            "sub": platform["client_id"],
            "aud": aud or platform["auth_token_url"],
            "iat": now,
            "exp": now + lifetime,
            "jti": jti or f"jti-{uuid.uuid4()}",
            **overrides,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def request_token(
        self, platform: dict[str, Any], scopes: list[str], assertion: str | None = None
    ) -> requests.Response:
        return requests.post(
            platform["auth_token_url"],
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": vocab.CLIENT_ASSERTION_TYPE,
                "client_assertion": assertion or self.client_assertion(platform),
                "scope": " ".join(scopes),
            },
            timeout=5,
        )

    def access_token(self, platform: dict[str, Any], scopes: list[str] | None = None) -> str:
        response = self.request_token(platform, scopes or list(vocab.ALL_SERVICE_SCOPES))
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def deep_link_response(
        self,
        platform: dict[str, Any],
        *,
        data: str,
        deployment_id: str,
        items: list[dict[str, Any]],
        key: rsa.RSAPrivateKey | None = None,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": platform["client_id"],
            "aud": [platform["issuer"]],
            "iat": now,
            "exp": now + 600,
            "nonce": f"nonce-{uuid.uuid4()}",
            vocab.CLAIM_DEPLOYMENT_ID: deployment_id,
            vocab.CLAIM_MESSAGE_TYPE: vocab.DEEP_LINKING_RESPONSE,
            vocab.CLAIM_VERSION: vocab.LTI_VERSION,
            vocab.CLAIM_DL_CONTENT_ITEMS: items,
            vocab.CLAIM_DL_DATA: data,
            **overrides,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})
