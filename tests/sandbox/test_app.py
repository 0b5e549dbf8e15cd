"""The app factory: independent instances, the key file, base URL binding, forged tokens."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import jwt
import pytest
import requests

from lti_tool.sandbox import (
    SandboxSettings,
    ToolSettings,
    create_sandbox_app,
    platform_registration,
    register_tool,
    sandbox_of,
    serve_in_thread,
)
from lti_tool.sandbox.driver import FORGERIES, SandboxDriver

from .standin_tool import StandInTool


def test_two_sandboxes_run_side_by_side_in_one_process(
    tmp_path: Path, standin: StandInTool
) -> None:
    apps = [
        create_sandbox_app(
            SandboxSettings(
                base_url="http://localhost:0",
                database_path=tmp_path / f"sandbox-{n}.sqlite",
                keys_dir=tmp_path / f"keys-{n}",
                tool=ToolSettings(standin.base_url),
            )
        )
        for n in (1, 2)
    ]
    served = [serve_in_thread(app) for app in apps]
    try:
        first, second = (SandboxDriver(url, "moodle") for url, _stop in served)
        assert (
            first.platform_registration()["client_id"]
            != second.platform_registration()["client_id"]
        )
        assert first.platform_jwks() != second.platform_jwks()
        assert first.base_url.startswith("http://localhost:")

        first.set_fault(status=500, path_contains="/", count=10)

        assert requests.get(second.base_url + "/", timeout=5).status_code == 200
        assert requests.get(first.base_url + "/", timeout=5).status_code == 500
    finally:
        for _url, stop in served:
            stop()


def test_key_is_written_private_and_reused_on_restart(tmp_path: Path) -> None:
    settings = SandboxSettings(
        base_url="http://localhost:5010",
        database_path=tmp_path / "db.sqlite",
        keys_dir=tmp_path / "keys",
    )
    first = sandbox_of(create_sandbox_app(settings))
    second = sandbox_of(create_sandbox_app(settings))

    key_file = tmp_path / "keys" / "sandbox-platform.pem"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert first.key.kid == second.key.kid
    first.dispose()
    second.dispose()


def test_primary_registration_survives_restart_with_the_same_client_id(tmp_path: Path) -> None:
    settings = SandboxSettings(
        base_url="http://localhost:5011",
        database_path=tmp_path / "db.sqlite",
        keys_dir=tmp_path / "keys",
        tool=ToolSettings("http://127.0.0.1:5000"),
    )
    before = platform_registration(create_sandbox_app(settings), "moodle")
    moved = SandboxSettings(
        base_url=settings.base_url,
        database_path=settings.database_path,
        keys_dir=settings.keys_dir,
        tool=ToolSettings("http://127.0.0.1:5555"),
    )
    app = create_sandbox_app(moved)
    after = platform_registration(app, "moodle")

    assert after["client_id"] == before["client_id"]
    assert after["deployment_ids"] == before["deployment_ids"] == ["1"]
    extra = register_tool(app, "moodle", tool_base_url="http://127.0.0.1:6000", primary=False)
    assert extra.deployment_id == "2"
    assert extra.client_id != before["client_id"]
    sandbox_of(app).dispose()


def test_register_tool_needs_urls(tmp_path: Path) -> None:
    app = create_sandbox_app(
        SandboxSettings(
            base_url="http://localhost:5012",
            database_path=tmp_path / "db.sqlite",
            keys_dir=tmp_path,
        )
    )
    with pytest.raises(ValueError, match="tool_base_url"):
        register_tool(app, "canvas")
    with pytest.raises(LookupError):
        platform_registration(app, "canvas")
    sandbox_of(app).dispose()


def _verify(driver: SandboxDriver, token: str) -> dict:
    platform = driver.platform_registration()
    key = jwt.PyJWK(driver.platform_jwks()["keys"][0]).key
    claims: dict = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=platform["client_id"],
        issuer=platform["issuer"],
        options={"require": ["exp", "iat", "nonce", "sub"]},
    )
    return claims


@pytest.mark.parametrize(
    ("variant", "failure"),
    [
        ("wrong_key", jwt.InvalidSignatureError),
        ("alg_none", jwt.InvalidAlgorithmError),
        ("hs256_public_key", jwt.InvalidAlgorithmError),
        ("expired", jwt.ExpiredSignatureError),
        ("wrong_aud", jwt.InvalidAudienceError),
        ("wrong_iss", jwt.InvalidIssuerError),
        ("altered", jwt.InvalidSignatureError),
    ],
)
def test_forged_id_tokens_fail_verification_for_the_stated_reason(
    driver: SandboxDriver, browser: requests.Session, variant: str, failure: type[Exception]
) -> None:
    genuine = driver.launch_form(browser, "learner01").id_token
    assert _verify(driver, genuine)["sub"]

    with pytest.raises(failure):
        _verify(driver, driver.forge(genuine, variant))


def test_claim_forgeries_keep_a_valid_signature(
    driver: SandboxDriver, browser: requests.Session
) -> None:
    genuine = driver.launch_form(browser, "learner01").id_token
    deployment_claim = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"

    wrong_deployment = _verify(driver, driver.forge(genuine, "wrong_deployment"))
    missing = _verify(driver, driver.forge(genuine, "missing_claims", remove=[deployment_claim]))
    wrong_nonce = _verify(driver, driver.forge(genuine, "wrong_nonce"))

    assert wrong_deployment[deployment_claim] == "999:not-a-deployment"
    assert deployment_claim not in missing
    assert wrong_nonce["nonce"] != driver.decode(genuine)["nonce"]
    assert set(FORGERIES) >= {
        "wrong_key",
        "alg_none",
        "hs256_public_key",
        "expired",
        "missing_claims",
    }


def test_tool_refuses_a_launch_tampered_in_flight(
    driver: SandboxDriver, browser: requests.Session
) -> None:
    response = driver.launch(
        browser, "learner01", tamper=lambda token: driver.forge(token, "expired")
    )

    assert response.status_code == 400
    assert "Signature has expired" in response.json()["error"]


def test_sign_id_token_with_the_sandbox_key_verifies(driver: SandboxDriver) -> None:
    platform = driver.platform_registration()
    now = int(time.time())
    claims = {
        "iss": platform["issuer"],
        "aud": platform["client_id"],
        "sub": "x",
        "iat": now,
        "exp": now + 60,
        "nonce": "n",
    }

    assert _verify(driver, driver.sign_id_token(claims))["sub"] == "x"
