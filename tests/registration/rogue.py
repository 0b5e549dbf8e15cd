"""A misbehaving registration-capable platform, served over real HTTP for bad-input tests.

Its OpenID configuration is right by default (issuer = its own address); a test changes
``configuration_changes`` or ``registration_answer`` to make it wrong in one way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
from flask import Flask, jsonify, request

from lti_tool import protocol
from tests.conftest import Served
from tests.registration.fixtures import serve_briefly


class RoguePlatform:
    def __init__(self) -> None:
        self.base_url = ""
        self.configuration_changes: dict[str, Any] = {}
        self.registration_answer: dict[str, Any] | None = None
        self.registrations: list[dict[str, Any]] = []
        self.app = Flask(__name__)
        self.app.add_url_rule("/.well-known/openid-configuration", view_func=self._configuration)
        self.app.add_url_rule("/register", view_func=self._register, methods=["POST"])

    @property
    def configuration_url(self) -> str:
        return self.base_url + "/.well-known/openid-configuration"

    def configuration(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "issuer": self.base_url,
            "authorization_endpoint": self.base_url + "/auth",
            "token_endpoint": self.base_url + "/token",
            "jwks_uri": self.base_url + "/jwks",
            "registration_endpoint": self.base_url + "/register",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", *protocol.TOOL_SCOPES],
            protocol.LTI_PLATFORM_CONFIGURATION: {
                "product_family_code": "rogue",
                "version": "1.0",
                "messages_supported": [
                    {"type": protocol.MESSAGE_RESOURCE_LINK},
                    {"type": protocol.MESSAGE_DEEP_LINKING},
                ],
            },
        }
        document.update(self.configuration_changes)
        return {key: value for key, value in document.items() if value is not None}

    def _configuration(self) -> Any:
        return jsonify(self.configuration())

    def _register(self) -> Any:
        self.registrations.append(request.get_json(silent=True) or {})
        answer = self.registration_answer
        if answer is None:
            answer = {"client_id": f"rogue-{len(self.registrations)}"}
        return jsonify({**(request.get_json(silent=True) or {}), **answer})

    def token(self) -> dict[str, str]:
        return {"openid_configuration": self.configuration_url, "registration_token": "any-token"}


_Platform = TypeVar("_Platform", bound=RoguePlatform)


def served_platform(platform: _Platform) -> Iterator[_Platform]:
    """Serve ``platform`` on loopback for one test; it learns its own address first."""

    def build(base_url: str) -> Flask:
        platform.base_url = base_url
        return platform.app

    served: Served = serve_briefly("127.0.0.1", build)
    yield platform
    served.stop()


@pytest.fixture
def rogue() -> Iterator[RoguePlatform]:
    yield from served_platform(RoguePlatform())
