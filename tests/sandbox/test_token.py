"""The token endpoint: client-credentials grant with an RS256 client assertion (RFC 7523)."""

from __future__ import annotations

import time

import jwt
import pytest
import requests

from lti_tool.sandbox import register_tool, vocab
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.keys import generate_private_key

from .conftest import Running
from .services import MEMBERSHIPS
from .standin_tool import StandInTool


def test_valid_assertion_gets_a_bearer_token_with_the_granted_scopes(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    platform = driver.platform_registration()

    response = standin.request_token(platform, [vocab.SCOPE_SCORE, vocab.SCOPE_LINEITEM])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {vocab.SCOPE_SCORE, vocab.SCOPE_LINEITEM}
    assert len(body["access_token"]) >= 32


def test_issuer_is_accepted_as_the_assertion_audience(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    platform = driver.platform_registration()
    assertion = standin.client_assertion(platform, aud=platform["issuer"])

    assert standin.request_token(platform, [vocab.SCOPE_SCORE], assertion).status_code == 200


def test_replayed_jti_is_refused(driver: SandboxDriver, standin: StandInTool) -> None:
    platform = driver.platform_registration()
    first = standin.client_assertion(platform, jti="jti-used-once")
    second = standin.client_assertion(platform, jti="jti-used-once")

    assert standin.request_token(platform, [vocab.SCOPE_SCORE], first).status_code == 200
    replay = standin.request_token(platform, [vocab.SCOPE_SCORE], second)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("assertion_options", "reason"),
    [
        ({"key": generate_private_key()}, "Signature verification failed"),
        ({"lifetime": -120}, "ExpiredSignatureError"),
        ({"aud": "https://somewhere-else.example/token"}, "InvalidAudienceError"),
        ({"sub": "someone-else"}, "sub of the client assertion"),
    ],
    ids=["wrong-key", "expired", "wrong-audience", "wrong-sub"],
)
def test_bad_client_assertion_is_refused(
    driver: SandboxDriver, standin: StandInTool, assertion_options: dict, reason: str
) -> None:
    platform = driver.platform_registration()
    assertion = standin.client_assertion(platform, **assertion_options)

    response = standin.request_token(platform, [vocab.SCOPE_SCORE], assertion)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert reason in response.json()["error_description"]


def test_unsigned_and_hs256_assertions_are_refused(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    platform = driver.platform_registration()
    now = int(time.time())
    claims = {
        "iss": platform["client_id"],
        "sub": platform["client_id"],
        "aud": platform["auth_token_url"],
        "iat": now,
        "exp": now + 60,
    }
    unsigned = jwt.encode(
        {**claims, "jti": "a"}, None, algorithm="none", headers={"kid": standin.kid}
    )
    hmac_signed = jwt.encode(
        {**claims, "jti": "b"}, "a-shared-secret-of-32-bytes-long!", algorithm="HS256"
    )

    for assertion in (unsigned, hmac_signed):
        response = standin.request_token(platform, [vocab.SCOPE_SCORE], assertion)
        assert response.status_code == 401
        assert "RS256 is required" in response.json()["error_description"]


def test_unknown_client_is_refused(driver: SandboxDriver, standin: StandInTool) -> None:
    platform = {**driver.platform_registration(), "client_id": "not-registered"}

    response = standin.request_token(platform, [vocab.SCOPE_SCORE])

    assert response.status_code == 401
    assert "unknown client_id" in response.json()["error_description"]


def test_wrong_grant_type_is_refused(driver: SandboxDriver, standin: StandInTool) -> None:
    platform = driver.platform_registration()
    response = requests.post(
        platform["auth_token_url"],
        data={"grant_type": "password", "username": "x", "password": "y"},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def _limited_tool(running: Running, flavour: str) -> dict:
    registered = register_tool(
        running.app,
        flavour,
        tool_base_url=running.tool.base_url,
        name="Score-only tool",
        scopes=[vocab.SCOPE_SCORE],
        primary=False,
    )
    return SandboxDriver(
        running.base_url, flavour, client_id=registered.client_id
    ).platform_registration()


def test_canvas_refuses_a_scope_the_tool_was_not_granted(
    running: Running, standin: StandInTool
) -> None:
    platform = _limited_tool(running, "canvas")

    response = standin.request_token(platform, [vocab.SCOPE_SCORE, vocab.SCOPE_NRPS])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_moodle_grants_only_the_scopes_the_tool_was_granted(
    running: Running, standin: StandInTool
) -> None:
    platform = _limited_tool(running, "moodle")

    response = standin.request_token(platform, [vocab.SCOPE_SCORE, vocab.SCOPE_NRPS])

    assert response.status_code == 200
    assert response.json()["scope"] == vocab.SCOPE_SCORE


def test_service_call_without_a_token_is_unauthorised(driver: SandboxDriver) -> None:
    url = {
        "canvas": f"{driver.base_url}/canvas/api/lti/courses/7/line_items",
        "moodle": f"{driver.base_url}/moodle/mod/lti/services.php/2/lineitems?type_id=1",
    }[driver.flavour]

    response = requests.get(url, timeout=5)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_service_call_with_the_wrong_scope_is_forbidden(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    token = standin.access_token(driver.platform_registration(), [vocab.SCOPE_SCORE])
    url = driver.base_url + MEMBERSHIPS[driver.flavour]

    response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
