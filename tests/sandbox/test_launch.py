"""The authorization endpoint issues verifiable id_tokens with the full LTI 1.3 claim set."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from lti_tool.sandbox import vocab
from lti_tool.sandbox.driver import LaunchRefused, SandboxDriver

from .standin_tool import StandInTool


def verified_claims(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200, body
    assert body["ok"] is True
    claims: dict[str, Any] = body["claims"]
    return claims


def test_resource_link_launch_carries_the_full_claim_set(
    driver: SandboxDriver, browser: requests.Session
) -> None:
    platform = driver.platform_registration()
    claims = verified_claims(driver.launch(browser, "learner01", "learner"))

    assert claims["iss"] == platform["issuer"]
    assert claims["aud"] == claims["azp"] == platform["client_id"]
    assert claims["exp"] > claims["iat"]
    assert claims["given_name"] == "Amina" and claims["family_name"] == "Haddad"
    assert claims[vocab.CLAIM_MESSAGE_TYPE] == vocab.RESOURCE_LINK_REQUEST
    assert claims[vocab.CLAIM_VERSION] == "1.3.0"
    assert claims[vocab.CLAIM_DEPLOYMENT_ID] == platform["deployment_ids"][0]
    assert claims[vocab.CLAIM_TARGET_LINK_URI].endswith("/lti/launch")
    assert claims[vocab.CLAIM_RESOURCE_LINK]["title"].startswith("Cervical dystonia")
    assert vocab.ROLE_LEARNER in claims[vocab.CLAIM_ROLES]
    assert set(claims[vocab.CLAIM_CONTEXT]) >= {"id", "label", "title", "type"}
    assert claims[vocab.CLAIM_TOOL_PLATFORM]["product_family_code"] == driver.flavour
    presentation = claims[vocab.CLAIM_LAUNCH_PRESENTATION]
    assert presentation["document_target"] == "iframe"
    assert presentation["return_url"].startswith(driver.base_url)
    assert claims[vocab.CLAIM_CUSTOM]["activity"] == "cervical-dystonia"
    assert vocab.CLAIM_LIS in claims
    ags = claims[vocab.CLAIM_AGS_ENDPOINT]
    assert set(ags["scope"]) == set(vocab.AGS_SCOPES)
    assert ags["lineitem"].startswith(driver.base_url)
    assert ags["lineitems"].startswith(driver.base_url)
    nrps = claims[vocab.CLAIM_NRPS]
    assert nrps["service_versions"] == ["2.0"]
    assert nrps["context_memberships_url"].startswith(driver.base_url)


def test_canvas_launch_looks_like_canvas(canvas: SandboxDriver, browser: requests.Session) -> None:
    claims = verified_claims(canvas.launch(browser, "learner01", "learner"))

    assert claims["iss"] == "https://canvas.sandbox.test"
    assert "email" not in claims, "Canvas's default privacy level sends no email"
    assert claims[vocab.CLAIM_DEPLOYMENT_ID] == "42:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"
    assert len(claims[vocab.CLAIM_CONTEXT]["id"]) == 40
    assert claims[vocab.CLAIM_ROLES] == [
        vocab.ROLE_INSTITUTION_STUDENT,
        vocab.ROLE_LEARNER,
        vocab.ROLE_SYSTEM_USER,
    ]
    custom = claims[vocab.CLAIM_CUSTOM]
    assert custom["canvas_course_id"] == "7"
    assert custom["canvas_user_id"] == "201"
    assert custom["canvas_assignment_id"].isdigit()
    assert claims[vocab.CLAIM_CANVAS_PLACEMENT] == "link_selection"
    assert claims[vocab.CLAIM_AGS_ENDPOINT]["lineitem"].endswith(
        "/canvas/api/lti/courses/7/line_items/31"
    )


def test_moodle_launch_looks_like_moodle(moodle: SandboxDriver, browser: requests.Session) -> None:
    claims = verified_claims(moodle.launch(browser, "instructor", "instructor"))

    assert claims["iss"] == f"{moodle.base_url}/moodle"
    assert claims["email"] == "instructor@moodle.sandbox.test"
    assert claims["sub"] == "3"
    assert claims[vocab.CLAIM_DEPLOYMENT_ID] == "1"
    assert claims[vocab.CLAIM_ROLES] == [vocab.ROLE_INSTRUCTOR]
    assert claims[vocab.CLAIM_CONTEXT]["type"] == [vocab.CONTEXT_COURSE_SECTION]
    assert claims[vocab.CLAIM_EXT]["user_username"] == "instructor"
    assert claims[vocab.CLAIM_AGS_ENDPOINT]["lineitem"].endswith(
        "/moodle/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"
    )
    assert claims[vocab.CLAIM_NRPS]["context_memberships_url"].endswith(
        "/moodle/mod/lti/services.php/CourseSection/2/bindings/1/memberships"
    )


def test_moodle_admin_launch_carries_administrator_roles(
    moodle: SandboxDriver, browser: requests.Session
) -> None:
    claims = verified_claims(moodle.launch(browser, "admin"))

    assert vocab.ROLE_INSTITUTION_ADMINISTRATOR in claims[vocab.CLAIM_ROLES]
    assert vocab.ROLE_INSTRUCTOR in claims[vocab.CLAIM_ROLES]


def test_login_initiation_carries_canvas_extras_and_the_storage_target(
    canvas: SandboxDriver, standin: StandInTool, browser: requests.Session
) -> None:
    canvas.launch(browser, "learner02", "learner", with_storage_target=True)

    login = standin.logins[-1]
    assert login["lti_storage_target"] == "_parent"
    assert login["deployment_id"] == login["lti_deployment_id"]
    assert login["canvas_region"]
    assert login["target_link_uri"].endswith("/lti/launch")
    assert login["lti_message_hint"]


def test_launch_without_storage_target_does_not_offer_one(
    moodle: SandboxDriver, standin: StandInTool, browser: requests.Session
) -> None:
    moodle.launch(browser, "learner02", "learner")

    assert "lti_storage_target" not in standin.logins[-1]
    assert "canvas_region" not in standin.logins[-1]


def test_custom_parameters_of_the_launch_reach_the_tool(
    driver: SandboxDriver, browser: requests.Session
) -> None:
    claims = verified_claims(
        driver.launch(browser, "learner03", custom={"who": "$Person.name.full", "plain": "x"})
    )

    assert claims[vocab.CLAIM_CUSTOM]["who"] == "Chiara Bianchi"
    assert claims[vocab.CLAIM_CUSTOM]["plain"] == "x"


def test_deep_linking_request_carries_deep_linking_settings(
    driver: SandboxDriver, browser: requests.Session
) -> None:
    claims = verified_claims(
        driver.launch(browser, "instructor", "instructor", message_type=vocab.DEEP_LINKING_REQUEST)
    )

    assert claims[vocab.CLAIM_MESSAGE_TYPE] == vocab.DEEP_LINKING_REQUEST
    assert vocab.CLAIM_RESOURCE_LINK not in claims
    settings = claims[vocab.CLAIM_DL_SETTINGS]
    assert settings["deep_link_return_url"].startswith(driver.base_url)
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert "iframe" in settings["accept_presentation_document_targets"]
    assert settings["accept_multiple"] is True
    assert settings["auto_create"] is True
    assert settings["data"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"redirect_uri": "http://127.0.0.1:1/elsewhere"}, "is not registered for this tool"),
        ({"response_mode": "query"}, "response_mode must be 'form_post'"),
        ({"scope": "profile"}, "scope must be 'openid'"),
        ({"prompt": "login"}, "prompt must be 'none'"),
        ({"nonce": ""}, "nonce is missing"),
        ({"lti_message_hint": "made-up"}, "lti_message_hint is unknown"),
        ({"login_hint": "someone-else"}, "login_hint does not match"),
        ({"client_id": "nobody"}, "is not registered here"),
    ],
)
def test_authorization_endpoint_refuses_a_bad_request(
    driver: SandboxDriver, browser: requests.Session, change: dict[str, str], expected: str
) -> None:
    initiation = driver.initiate("learner01", "learner")
    login = browser.get(
        initiation["login_url"], params=initiation["params"], allow_redirects=False, timeout=5
    )
    base, _, query = login.headers["Location"].partition("?")
    params = dict(parse_qsl(query))
    params.update(change)

    refused = browser.get(base, params=params, timeout=5)

    assert refused.status_code == 400
    assert expected in html.unescape(refused.text)
    assert "id_token" not in refused.text


def test_unknown_user_cannot_be_launched(driver: SandboxDriver, browser: requests.Session) -> None:
    with pytest.raises(RuntimeError, match="no user"):
        driver.launch(browser, "nobody-at-all")


def test_tool_that_refuses_the_login_surfaces_as_launch_refused(
    running: Any, browser: requests.Session
) -> None:
    driver = SandboxDriver(running.base_url, "canvas")
    initiation = driver.initiate("learner01")
    initiation["params"]["iss"] = "https://unknown.example"
    with pytest.raises(LaunchRefused):
        driver._authorization_form(browser, initiation)
