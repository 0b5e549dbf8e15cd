"""Deep Linking 2.0: the platform verifies the tool's response and places the content."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from lti_tool.sandbox import vocab
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.keys import generate_private_key

from .standin_tool import StandInTool

PICKED = {
    "type": "ltiResourceLink",
    "title": "Cervical dystonia post-test",
    "url": "http://127.0.0.1:1/lti/launch",
    "custom": {"activity": "cervical-dystonia", "step": "posttest"},
    "lineItem": {
        "scoreMaximum": 100,
        "label": "Cervical dystonia post-test",
        "tag": "cme",
        "resourceId": "cd-1",
    },
}


def deep_linking_request(driver: SandboxDriver) -> dict[str, Any]:
    form = driver.launch_form(
        requests.Session(), "instructor", message_type=vocab.DEEP_LINKING_REQUEST
    )
    return form.claims


def post_response(claims: dict[str, Any], token: str) -> requests.Response:
    return_url = claims[vocab.CLAIM_DL_SETTINGS]["deep_link_return_url"]
    return requests.post(return_url, data={"JWT": token}, timeout=5)


def test_response_creates_the_resource_link_and_its_line_item(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    claims = deep_linking_request(driver)
    settings = claims[vocab.CLAIM_DL_SETTINGS]
    token = standin.deep_link_response(
        driver.platform_registration(),
        data=settings["data"],
        deployment_id=claims[vocab.CLAIM_DEPLOYMENT_ID],
        items=[PICKED, {"type": "link", "url": "https://example.org"}],
        **{vocab.CLAIM_DL_MSG: "Added the post-test"},
    )

    response = post_response(claims, token)

    assert response.status_code == 200, response.text
    assert "Added the post-test" in response.text
    assert "Cervical dystonia post-test" in response.text
    placed = driver.deep_links()[-1]
    assert placed["accepted"] is True
    assert "with line item" in placed["placements"][0]
    assert "ignored a 'link' item" in placed["placements"][1]
    new_item = [item for item in driver.line_items() if item["tag"] == "cme"]
    assert len(new_item) == 1
    assert new_item[0]["score_maximum"] == 100
    assert new_item[0]["resource_id"] == "cd-1"


def test_placed_resource_link_launches_with_its_custom_params_and_line_item(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    claims = deep_linking_request(driver)
    token = standin.deep_link_response(
        driver.platform_registration(),
        data=claims[vocab.CLAIM_DL_SETTINGS]["data"],
        deployment_id=claims[vocab.CLAIM_DEPLOYMENT_ID],
        items=[{**PICKED, "url": f"{standin.base_url}/lti/launch?step=posttest"}],
    )
    assert post_response(claims, token).status_code == 200
    resource_link_id = [item for item in driver.line_items() if item["tag"] == "cme"][0][
        "resource_link_id"
    ]

    launch = driver.launch(
        requests.Session(), "learner01", resource_link_id=resource_link_id
    ).json()

    assert launch["ok"] is True
    assert launch["claims"][vocab.CLAIM_CUSTOM]["step"] == "posttest"
    assert launch["claims"][vocab.CLAIM_TARGET_LINK_URI].endswith("/lti/launch?step=posttest")
    assert "lineitem" in launch["claims"][vocab.CLAIM_AGS_ENDPOINT]


@pytest.mark.parametrize(
    ("forgery", "reason"),
    [
        ({"aud": ["https://not-the-platform.example"]}, "InvalidAudienceError"),
        ({vocab.CLAIM_DL_DATA: "data-never-issued"}, "data does not echo"),
        ({vocab.CLAIM_DEPLOYMENT_ID: "999"}, "deployment_id must be"),
        ({vocab.CLAIM_MESSAGE_TYPE: "LtiResourceLinkRequest"}, "message_type must be"),
        ({vocab.CLAIM_VERSION: "1.1"}, "version must be"),
        ({"nonce": None}, "nonce"),
        ({"key": generate_private_key()}, "Signature verification failed"),
    ],
    ids=[
        "wrong-aud",
        "wrong-data",
        "wrong-deployment",
        "wrong-type",
        "wrong-version",
        "no-nonce",
        "wrong-key",
    ],
)
def test_response_that_fails_verification_is_refused(
    driver: SandboxDriver, standin: StandInTool, forgery: dict[str, Any], reason: str
) -> None:
    claims = deep_linking_request(driver)
    options = {
        "data": claims[vocab.CLAIM_DL_SETTINGS]["data"],
        "deployment_id": claims[vocab.CLAIM_DEPLOYMENT_ID],
    }
    overrides = dict(forgery)
    if "key" in overrides:
        options["key"] = overrides.pop("key")
    if vocab.CLAIM_DL_DATA in overrides:
        options["data"] = overrides.pop(vocab.CLAIM_DL_DATA)
    if vocab.CLAIM_DEPLOYMENT_ID in overrides:
        options["deployment_id"] = overrides.pop(vocab.CLAIM_DEPLOYMENT_ID)
    token = standin.deep_link_response(
        driver.platform_registration(), items=[PICKED], **options, **overrides
    )

    response = post_response(claims, token)

    assert response.status_code == 400
    assert reason in response.text
    assert driver.deep_links()[-1]["accepted"] is False
    assert not [item for item in driver.line_items() if item["tag"] == "cme"]


def test_replayed_response_is_refused(driver: SandboxDriver, standin: StandInTool) -> None:
    claims = deep_linking_request(driver)
    token = standin.deep_link_response(
        driver.platform_registration(),
        data=claims[vocab.CLAIM_DL_SETTINGS]["data"],
        deployment_id=claims[vocab.CLAIM_DEPLOYMENT_ID],
        items=[PICKED],
    )
    assert post_response(claims, token).status_code == 200

    replay = post_response(claims, token)

    assert replay.status_code == 400
    assert "nonce was already used" in replay.text
    assert len([item for item in driver.line_items() if item["tag"] == "cme"]) == 1


def test_several_items_are_refused_when_accept_multiple_was_false(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    claims = driver.launch_form(
        requests.Session(),
        "instructor",
        message_type=vocab.DEEP_LINKING_REQUEST,
        accept_multiple=False,
    ).claims
    assert claims[vocab.CLAIM_DL_SETTINGS]["accept_multiple"] is False
    token = standin.deep_link_response(
        driver.platform_registration(),
        data=claims[vocab.CLAIM_DL_SETTINGS]["data"],
        deployment_id=claims[vocab.CLAIM_DEPLOYMENT_ID],
        items=[PICKED, PICKED],
    )

    response = post_response(claims, token)

    assert response.status_code == 400
    assert "accept_multiple was false" in response.text
