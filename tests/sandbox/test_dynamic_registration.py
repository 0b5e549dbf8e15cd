"""Dynamic Registration 1.0, platform side, in both flavours."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from lti_tool.sandbox import SandboxSettings, create_sandbox_app, sandbox_of, vocab
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.forms import parse_forms

from .standin_tool import StandInTool

REGISTRATION_ENDPOINTS = {
    "canvas": "/canvas/api/lti/registrations",
    "moodle": "/moodle/mod/lti/openid-registration.php",
}


def client_metadata(
    tool_url: str, scope: str = " ".join(vocab.ALL_SERVICE_SCOPES)
) -> dict[str, Any]:
    return {
        "application_type": "web",
        "grant_types": ["implicit", "client_credentials"],
        "response_types": ["id_token"],
        "redirect_uris": [f"{tool_url}/lti/launch"],
        "initiate_login_uri": f"{tool_url}/lti/login",
        "client_name": "Registered tool",
        "jwks_uri": f"{tool_url}/.well-known/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": scope,
        vocab.LTI_TOOL_CONFIGURATION: {
            "domain": urlsplit(tool_url).netloc,
            "target_link_uri": f"{tool_url}/lti/launch",
            "claims": ["iss", "sub", "name", "email"],
            "messages": [
                {"type": vocab.DEEP_LINKING_REQUEST, "target_link_uri": f"{tool_url}/lti/launch"}
            ],
            "custom_parameters": {"source": "dynamic"},
        },
    }


def openid_configuration(token: dict[str, str]) -> requests.Response:
    return requests.get(
        token["openid_configuration"],
        headers={"Authorization": f"Bearer {token['registration_token']}"},
        timeout=5,
    )


def register(
    driver: SandboxDriver, token: str, metadata: dict[str, Any], base_url: str | None = None
) -> requests.Response:
    endpoint = (base_url or driver.base_url) + REGISTRATION_ENDPOINTS[driver.flavour]
    return requests.post(
        endpoint, json=metadata, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def test_openid_configuration_describes_the_platform(driver: SandboxDriver) -> None:
    token = driver.registration_token()

    config = openid_configuration(token).json()

    platform = driver.platform_registration()
    assert config["issuer"] == platform["issuer"]
    assert config["authorization_endpoint"] == platform["auth_login_url"]
    assert config["token_endpoint"] == platform["auth_token_url"]
    assert config["jwks_uri"] == platform["key_set_url"]
    assert config["registration_endpoint"].endswith(REGISTRATION_ENDPOINTS[driver.flavour])
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["response_types_supported"] == ["id_token"]
    assert vocab.SCOPE_SCORE in config["scopes_supported"]
    assert "sub" in config["claims_supported"]
    lti = config[vocab.LTI_PLATFORM_CONFIGURATION]
    assert lti["product_family_code"] == driver.flavour
    assert {m["type"] for m in lti["messages_supported"]} == {
        vocab.RESOURCE_LINK_REQUEST,
        vocab.DEEP_LINKING_REQUEST,
    }
    assert lti["variables"]


def test_canvas_requires_the_registration_token_for_its_configuration(
    canvas: SandboxDriver,
) -> None:
    token = canvas.registration_token()

    assert requests.get(token["openid_configuration"], timeout=5).status_code == 401
    assert openid_configuration(token).status_code == 200


def test_moodle_serves_its_configuration_openly(moodle: SandboxDriver) -> None:
    token = moodle.registration_token()

    assert requests.get(token["openid_configuration"], timeout=5).status_code == 200


def test_registration_creates_a_tool_that_can_launch(
    driver: SandboxDriver, standin: StandInTool, browser: requests.Session
) -> None:
    token = driver.registration_token()

    response = register(driver, token["registration_token"], client_metadata(standin.base_url))

    assert response.status_code == 200, response.text
    body = response.json()
    existing = {tool["client_id"] for tool in driver.tools() if tool["created_via"] == "api"}
    assert body["client_id"] not in existing
    assert set(body["scope"].split()) == set(vocab.ALL_SERVICE_SCOPES)
    tool_configuration = body[vocab.LTI_TOOL_CONFIGURATION]
    new_tool = SandboxDriver(driver.base_url, driver.flavour, client_id=body["client_id"])
    deployment_ids = new_tool.platform_registration()["deployment_ids"]
    if driver.flavour == "moodle":
        assert [tool_configuration["deployment_id"]] == deployment_ids
        assert deployment_ids[0].isdigit() and deployment_ids[0] != "1"
    else:
        assert "deployment_id" not in tool_configuration
    standin.trust(new_tool.platform_registration())
    claims = new_tool.launch(browser, "learner01").json()["claims"]
    assert claims["aud"] == body["client_id"]
    assert claims[vocab.CLAIM_CUSTOM]["source"] == "dynamic"


def test_registration_token_is_single_use(driver: SandboxDriver, standin: StandInTool) -> None:
    token = driver.registration_token()["registration_token"]
    assert register(driver, token, client_metadata(standin.base_url)).status_code == 200

    again = register(driver, token, client_metadata(standin.base_url))

    assert again.status_code == 401
    assert "token_already_used" in again.text


def test_registration_without_a_token_is_refused(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    response = register(driver, "made-up-token", client_metadata(standin.base_url))

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("token_endpoint_auth_method", "client_secret_basic", "private_key_jwt"),
        ("grant_types", ["implicit"], "client_credentials"),
        ("response_types", ["code"], "id_token"),
        ("application_type", "native", "web"),
        ("redirect_uris", [], "redirect_uris"),
        ("initiate_login_uri", "not a url", "initiate_login_uri"),
    ],
)
def test_invalid_client_metadata_is_refused(
    driver: SandboxDriver, standin: StandInTool, field: str, value: Any, reason: str
) -> None:
    token = driver.registration_token()["registration_token"]
    metadata = {**client_metadata(standin.base_url), field: value}

    response = register(driver, token, metadata)

    assert response.status_code == 400
    assert reason in response.text


def test_registration_without_tool_configuration_is_refused(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    token = driver.registration_token()["registration_token"]
    metadata = client_metadata(standin.base_url)
    del metadata[vocab.LTI_TOOL_CONFIGURATION]["domain"]

    response = register(driver, token, metadata)

    assert response.status_code == 400
    assert "domain" in response.text


def test_admin_page_opens_the_tool_registration_url_with_configuration_and_token(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    response = requests.post(
        f"{driver.base_url}/{driver.flavour}/admin/dynamic-registration",
        # Moodle asks "Update / Register as a new external tool" when a tool on the same
        # host exists (earlier tests registered this stand-in): answer it up front.
        data={"registration_url": f"{standin.base_url}/lti/register?lang=en", "choice": "new"},
        timeout=5,
    )

    assert response.status_code == 200
    src = response.text.split('id="tool_content"', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    params = parse_qs(urlsplit(src.replace("&amp;", "&")).query)
    assert params["lang"] == ["en"]
    assert params["openid_configuration"] == [
        f"{driver.base_url}/{driver.flavour}/.well-known/openid-configuration"
    ]
    token = params["registration_token"][0]
    assert register(driver, token, client_metadata(standin.base_url)).status_code == 200
    assert "org.imsglobal.lti.close" in response.text
    assert not parse_forms(response.text)


def test_canvas_can_grant_fewer_scopes_and_tokens_can_expire(
    tmp_path: Path, standin: StandInTool
) -> None:
    app = create_sandbox_app(
        SandboxSettings(
            base_url="http://localhost:5999",
            database_path=tmp_path / "other.sqlite",
            keys_dir=tmp_path / "keys",
            canvas_dropped_scopes=(vocab.SCOPE_NRPS,),
        )
    )
    client = app.test_client()
    live = client.post("/_sandbox/canvas/registration_tokens").get_json()["registration_token"]
    granted = client.post(
        "/canvas/api/lti/registrations",
        json=client_metadata(standin.base_url),
        headers={"Authorization": f"Bearer {live}"},
    )
    assert granted.status_code == 200
    assert vocab.SCOPE_NRPS not in granted.get_json()["scope"].split()
    assert vocab.SCOPE_SCORE in granted.get_json()["scope"].split()
    sandbox_of(app).dispose()

    expired_app = create_sandbox_app(
        SandboxSettings(
            base_url="http://localhost:5998",
            database_path=tmp_path / "expired.sqlite",
            keys_dir=tmp_path / "keys",
            registration_token_lifetime=0,
        )
    )
    expired_client = expired_app.test_client()
    expired = expired_client.post("/_sandbox/moodle/registration_tokens").get_json()[
        "registration_token"
    ]
    refused = expired_client.post(
        "/moodle/mod/lti/openid-registration.php",
        json=client_metadata(standin.base_url),
        headers={"Authorization": f"Bearer {expired}"},
    )
    assert refused.status_code == 401
    assert "expired" in refused.get_data(as_text=True)
    sandbox_of(expired_app).dispose()
