"""A party that is not the LMS but publishes an LMS-shaped configuration on the issuer's
origin (through an open redirect or any page it controls there), registers itself by
Dynamic Registration and signs launches with its own key, over real HTTP.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import jsonify

from lti_tool import protocol
from tests.registration.rogue import RoguePlatform, served_platform

KID = "attacker-key"


class Attacker(RoguePlatform):
    def __init__(self) -> None:
        super().__init__()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.app.add_url_rule("/jwks", view_func=self._jwks)
        self.registration_answer = {
            "client_id": "attacker-client",
            # Moodle-style: the deployment comes with the answer, so it is live at once.
            protocol.LTI_TOOL_CONFIGURATION: {"deployment_id": "attacker-deployment"},
        }

    def _jwks(self) -> Any:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return jsonify({"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]})

    def launch_as(
        self, tool_url: str, sub: str, *, client_id: str = "attacker-client"
    ) -> tuple[requests.Response, requests.Session]:
        """Login then a launch signed with the attacker's key, naming ``sub``.

        Returns the first refusal, or the launch's answer, and the browser session.
        """
        browser = requests.Session()
        login = browser.post(
            f"{tool_url}/lti/login",
            data={
                "iss": self.base_url,
                "login_hint": sub,
                "target_link_uri": f"{tool_url}/lti/launch",
                "client_id": client_id,
                "lti_deployment_id": "attacker-deployment",
            },
            allow_redirects=False,
            timeout=10,
        )
        if login.status_code != 302:
            return login, browser
        query = parse_qs(urlsplit(login.headers["Location"]).query)
        now = int(time.time())
        claims = {
            "iss": self.base_url,
            "aud": client_id,
            "sub": sub,
            "nonce": query["nonce"][0],
            "iat": now,
            "exp": now + 300,
            "name": "Attacker Chosen",
            "email": "attacker@evil.example",
            protocol.CLAIM_MESSAGE_TYPE: protocol.MESSAGE_RESOURCE_LINK,
            protocol.CLAIM_VERSION: protocol.LTI_VERSION,
            protocol.CLAIM_DEPLOYMENT_ID: "attacker-deployment",
            protocol.CLAIM_TARGET_LINK_URI: f"{tool_url}/lti/launch",
            protocol.CLAIM_RESOURCE_LINK: {"id": f"rl-{uuid.uuid4().hex[:8]}"},
            protocol.CLAIM_ROLES: [protocol.ROLE_LEARNER],
            protocol.CLAIM_CONTEXT: {"id": "attacker-course"},
        }
        id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KID})
        answer = browser.post(
            f"{tool_url}/lti/launch",
            data={"id_token": id_token, "state": query["state"][0]},
            allow_redirects=False,
            timeout=10,
        )
        return answer, browser


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    yield from served_platform(Attacker())
