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
from urllib.parse import urlencode

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request

from lti_tool.sandbox import vocab
from lti_tool.sandbox.keys import generate_private_key, public_jwk


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
            self.pending[state] = {"nonce": nonce, "platform": platform}
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
            return redirect(f"{platform['auth_login_url']}?{urlencode(query)}")

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
