"""LTI Dynamic Registration against the sandbox LMS (Moodle and Canvas flavours), then a
launch through the registration it created."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from lti_tool import protocol
from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.models import DeploymentStatus, Launch
from lti_tool.models.admin import ApprovalState
from lti_tool.registration.tool_profile import ToolProfile, client_metadata
from lti_tool.sandbox import models as lms_models
from lti_tool.sandbox import sandbox_of
from lti_tool.sandbox.driver import LaunchRefused
from tests.conftest import Sandbox, Served, launch
from tests.registration.fixtures import Lms, post_form
from tests.registration.flows import (
    client_id_on,
    open_registration,
    press_register,
    record_of,
    register,
    stored,
)


def launches_through(services: ToolServices, registration_id: int) -> int:
    with transaction(services.session_factory) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Launch)
                .where(Launch.registration_id == registration_id)
            )
            or 0
        )


def test_moodle_registration_stores_platform_and_deployment_and_then_launches(
    console_tool: Served, console_services: ToolServices, lms: Lms
) -> None:
    token = lms.driver("moodle").registration_token()

    review = open_registration(console_tool.base_url, token)
    assert review.status_code == 200
    assert "Register</button>" in review.text
    page = press_register(review)

    assert page.status_code == 200, page.text
    assert 'data-status="live"' in page.text
    assert protocol.LTI_CLOSE_MESSAGE in page.text
    client_id = client_id_on(page)
    driver = lms.driver("moodle", client_id=client_id)
    platform = driver.platform_registration()
    registration = stored(console_services, platform["issuer"], client_id)
    assert registration is not None and registration.active
    assert registration.key_set_url == platform["key_set_url"]
    assert registration.auth_token_url == platform["auth_token_url"]
    assert registration.auth_login_url == platform["auth_login_url"]
    assert registration.product_family == "moodle"
    # Moodle returns the deployment with the registration: it is live at once.
    assert [(d.deployment_id, d.status) for d in registration.deployments] == [
        (platform["deployment_ids"][0], DeploymentStatus.ACTIVE)
    ]
    assert set(registration.granted_scopes or []) == set(protocol.TOOL_SCOPES)
    record = record_of(console_services, registration)
    assert (record.source, record.approval) == ("dynamic", ApprovalState.APPROVED)
    assert record.openid_configuration_url == token["openid_configuration"]
    listed = [tool for tool in driver.tools() if tool["client_id"] == client_id]
    assert listed and listed[0]["created_via"] == "dynamic"

    landed = launch(driver, "learner01")

    assert landed.status_code == 200, landed.text
    assert "/a/" in landed.url
    assert launches_through(console_services, registration.id) == 1


def test_registration_sends_the_tools_urls_placements_and_name(
    console_tool: Served, lms: Lms
) -> None:
    page = register(console_tool.base_url, lms.driver("canvas").registration_token())
    client_id = client_id_on(page)

    with sandbox_of(lms.served.app).session() as platform:
        tool = platform.scalar(
            select(lms_models.ToolRegistration).where(
                lms_models.ToolRegistration.client_id == client_id
            )
        )
        assert tool is not None
        assert tool.initiate_login_uri == console_tool.base_url + "/lti/login"
        assert tool.redirect_uris == [console_tool.base_url + "/lti/launch"]
        assert tool.jwks_uri == console_tool.base_url + "/.well-known/jwks.json"
        assert tool.deep_link_uri == console_tool.base_url + "/lti/launch"
        assert tool.name == "CME Activities"


def test_canvas_registration_waits_for_an_operator_then_its_first_deployment_then_launches(
    console_tool: Served,
    console_services: ToolServices,
    lms: Lms,
    signed_in: requests.Session,
) -> None:
    review = open_registration(console_tool.base_url, lms.driver("canvas").registration_token())
    # The sandbox's Canvas issuer is a name, not its address: nothing can check it.
    assert "Approval needed" in review.text
    page = press_register(review)
    assert page.status_code == 200, page.text
    assert 'data-status="pending"' in page.text
    client_id = client_id_on(page)
    driver = lms.driver("canvas", client_id=client_id)
    issuer = driver.platform_registration()["issuer"]
    registration = stored(console_services, issuer, client_id)
    assert registration is not None and not registration.active
    assert registration.deployments == []  # Canvas names it at the first launch

    with pytest.raises(LaunchRefused) as refused:
        launch(driver, "learner01")
    assert refused.value.response is not None and refused.value.response.status_code == 403

    detail = signed_in.get(f"{console_tool.base_url}/admin/platforms/{registration.id}", timeout=10)
    assert post_form(signed_in, detail, "/approve").status_code == 302
    held = launch(driver, "learner01")
    assert held.status_code == 403  # the first-seen deployment is held, not trusted
    registration = stored(console_services, issuer, client_id)
    assert registration is not None and registration.active
    deployment = registration.deployments[0]
    assert deployment.deployment_id == driver.platform_registration()["deployment_ids"][0]
    assert deployment.status is DeploymentStatus.PENDING

    detail = signed_in.get(f"{console_tool.base_url}/admin/platforms/{registration.id}", timeout=10)
    approved = post_form(signed_in, detail, f"/deployments/{deployment.id}/approve")
    assert approved.status_code == 302
    landed = launch(driver, "learner01")

    assert landed.status_code == 200, landed.text
    assert "/a/" in landed.url


def test_scopes_a_canvas_admin_does_not_grant_are_recorded_and_explained(
    console_tool: Served, console_services: ToolServices, make_lms: object
) -> None:
    lms = make_lms(  # type: ignore[operator]
        canvas_dropped_scopes=(protocol.SCOPE_NRPS, protocol.SCOPE_LINEITEM)
    )
    page = register(console_tool.base_url, lms.driver("canvas").registration_token())

    assert page.status_code == 200, page.text
    assert "granted fewer services" in page.text
    assert page.text.count('data-state="missing"') == 2
    assert "instructors see only learners who have opened the activity" in page.text
    client_id = client_id_on(page)
    issuer = lms.driver("canvas", client_id=client_id).platform_registration()["issuer"]
    registration = stored(console_services, issuer, client_id)
    assert registration is not None
    assert protocol.SCOPE_NRPS not in (registration.granted_scopes or [])
    assert protocol.SCOPE_LINEITEM not in (registration.granted_scopes or [])
    assert protocol.SCOPE_SCORE in (registration.granted_scopes or [])
    assert protocol.SCOPE_NRPS in record_of(console_services, registration).requested_scopes


def test_canvas_client_metadata_asks_for_names_and_only_offered_placements() -> None:
    profile = ToolProfile("https://cme.example.org")

    body = client_metadata(
        profile,
        product_family="canvas",
        scopes=[protocol.SCOPE_SCORE],
        deep_linking_placements=["assignment_selection"],
    )

    configuration = body[protocol.LTI_TOOL_CONFIGURATION]
    assert configuration[protocol.CANVAS_PRIVACY_LEVEL] == "public"
    assert configuration["domain"] == "cme.example.org"
    deep_linking = [
        m for m in configuration["messages"] if m["type"] == protocol.MESSAGE_DEEP_LINKING
    ]
    assert deep_linking[0]["placements"] == ["assignment_selection"]
    assert body["scope"] == protocol.SCOPE_SCORE
    assert body["grant_types"] == ["implicit", "client_credentials"]
    assert body["jwks_uri"] == "https://cme.example.org/.well-known/jwks.json"


def test_registration_page_may_be_framed_by_the_registering_lms_only(
    console_tool: Served, sandbox: Sandbox
) -> None:
    review = open_registration(console_tool.base_url, sandbox.driver("moodle").registration_token())

    policy = review.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {sandbox.base_url}" in policy
    assert "*" not in policy.split(";")[0].replace("*.instructure.com", "")
