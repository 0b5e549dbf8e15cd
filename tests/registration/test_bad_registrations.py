"""Dynamic Registration with bad input: each gets a clear message and registers nothing."""

from __future__ import annotations

import socket

import pytest
import requests
from sqlalchemy import func, select

from lti_tool import protocol
from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.models import Registration
from lti_tool.registration.outbound import Outbound, OutboundError
from tests.conftest import Sandbox, Served
from tests.registration.fixtures import Lms, form_in
from tests.registration.flows import open_registration, press_register, register, registrations_of
from tests.registration.rogue import RoguePlatform


def all_registrations(services: ToolServices) -> int:
    with transaction(services.session_factory) as session:
        return int(session.scalar(select(func.count()).select_from(Registration)) or 0)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_opening_the_page_without_the_lms_parameters_explains_where_to_start(
    console_tool: Served,
) -> None:
    page = requests.get(f"{console_tool.base_url}/lti/register", timeout=10)

    assert page.status_code == 400
    assert "Open this page from your LMS" in page.text
    assert "openid_configuration" in page.text


def test_unreachable_configuration_is_reported_and_nothing_is_registered(
    console_tool: Served, console_services: ToolServices
) -> None:
    before = all_registrations(console_services)
    url = f"http://127.0.0.1:{closed_port()}/.well-known/openid-configuration"

    page = open_registration(
        console_tool.base_url, {"openid_configuration": url, "registration_token": "t"}
    )

    assert page.status_code == 502
    assert "could not reach your LMS" in page.text
    assert "connection refused" in page.text
    assert all_registrations(console_services) == before


def test_configuration_answering_an_error_is_reported(
    console_tool: Served, sandbox: Sandbox
) -> None:
    moodle = sandbox.driver("moodle")
    token = moodle.registration_token()
    moodle.set_fault(status=503, path_contains="/moodle/.well-known/openid-configuration")
    try:
        page = open_registration(console_tool.base_url, token)
    finally:
        moodle.clear_faults()

    assert page.status_code == 502
    assert "answered HTTP 503" in page.text


def test_issuer_not_matching_the_configuration_address_is_refused_before_registering(
    console_tool: Served, console_services: ToolServices, rogue: RoguePlatform
) -> None:
    rogue.configuration_changes = {"issuer": "https://moodle.example.edu"}

    page = open_registration(console_tool.base_url, rogue.token())

    assert page.status_code == 400
    assert "does not match its address" in page.text
    assert "https://moodle.example.edu" in page.text
    assert rogue.registrations == []
    assert registrations_of(console_services, "https://moodle.example.edu") == 0


def test_issuer_mismatch_found_at_the_register_step_registers_nothing(
    console_tool: Served, console_services: ToolServices, rogue: RoguePlatform
) -> None:
    review = open_registration(console_tool.base_url, rogue.token())
    assert review.status_code == 200
    # The platform changes its story between the review and the Register button.
    rogue.configuration_changes = {"issuer": "https://moodle.example.edu"}

    page = press_register(review)

    assert page.status_code == 400
    assert rogue.registrations == []
    assert registrations_of(console_services, "https://moodle.example.edu") == 0
    assert registrations_of(console_services, rogue.base_url) == 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"token_endpoint": None}, "has no token_endpoint"),
        ({"jwks_uri": "ftp://127.0.0.1/keys"}, "jwks_uri in your LMS's configuration is not a URL"),
        (
            {"id_token_signing_alg_values_supported": ["HS256"]},
            "does not support RS256",
        ),
        (
            {
                protocol.LTI_PLATFORM_CONFIGURATION: {
                    "product_family_code": "rogue",
                    "messages_supported": [{"type": protocol.MESSAGE_DEEP_LINKING}],
                }
            },
            "does not offer LtiResourceLinkRequest",
        ),
        ({protocol.LTI_PLATFORM_CONFIGURATION: None}, "no LTI platform section"),
    ],
)
def test_configuration_missing_what_lti_needs_is_refused_with_the_reason(
    console_tool: Served,
    rogue: RoguePlatform,
    changes: dict[str, object],
    expected: str,
) -> None:
    rogue.configuration_changes = changes

    page = open_registration(console_tool.base_url, rogue.token())

    assert page.status_code == 502
    assert expected in page.text.replace("&#39;", "'")
    assert rogue.registrations == []


def test_reused_registration_token_is_refused_and_leaves_one_registration(
    console_tool: Served, console_services: ToolServices, lms: Lms
) -> None:
    token = lms.driver("moodle").registration_token()
    review = open_registration(console_tool.base_url, token)
    assert press_register(review).status_code == 200
    after_first = all_registrations(console_services)

    # Moodle serves its configuration to anyone; the spent token fails at the register step.
    again = press_register(open_registration(console_tool.base_url, token))

    assert again.status_code == 401
    assert "refused the registration token" in again.text
    assert "Start the registration again from the LMS" in again.text
    assert all_registrations(console_services) == after_first


def test_reused_canvas_token_is_refused_before_anything_is_shown(
    console_tool: Served, console_services: ToolServices, lms: Lms
) -> None:
    token = lms.driver("canvas").registration_token()
    assert register(console_tool.base_url, token).status_code == 200
    after_first = all_registrations(console_services)

    # Canvas shows its configuration only to the holder of a live token.
    again = open_registration(console_tool.base_url, token)

    assert again.status_code == 401
    assert "token_already_used" in again.text
    assert all_registrations(console_services) == after_first


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_expired_registration_token_is_refused_and_nothing_is_registered(
    console_tool: Served, console_services: ToolServices, make_lms: object, flavour: str
) -> None:
    expiring: Lms = make_lms(registration_token_lifetime=0)  # type: ignore[operator]
    token = expiring.driver(flavour).registration_token()
    before = all_registrations(console_services)

    review = open_registration(console_tool.base_url, token)
    page = review if review.status_code != 200 else press_register(review)

    assert page.status_code == 401
    assert "registration_token_expired" in page.text
    assert all_registrations(console_services) == before


def test_registration_answer_without_a_client_id_stores_nothing(
    console_tool: Served, console_services: ToolServices, rogue: RoguePlatform
) -> None:
    rogue.registration_answer = {"client_id": ""}

    page = register(console_tool.base_url, rogue.token())

    assert page.status_code == 502
    assert "sent no client_id" in page.text
    assert registrations_of(console_services, rogue.base_url) == 0


def test_a_register_form_not_issued_for_this_token_is_refused(
    console_tool: Served, console_services: ToolServices, rogue: RoguePlatform
) -> None:
    review = open_registration(console_tool.base_url, rogue.token())
    form = form_in(review, "/lti/register")

    page = requests.post(
        form.action, data={**form.fields, "registration_token": "another-token"}, timeout=10
    )

    assert page.status_code == 400
    assert "belongs to another registration" in page.text
    assert rogue.registrations == []
    assert registrations_of(console_services, rogue.base_url) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://lms.example.org/.well-known/openid-configuration",
        "https://127.0.0.1/.well-known/openid-configuration",
        "https://10.1.2.3/.well-known/openid-configuration",
        "https://[::1]/.well-known/openid-configuration",
        "https://user:secret@lms.example.org/",
    ],
)
def test_production_fetches_only_public_https_addresses(url: str) -> None:
    outbound = Outbound(http=requests.Session(), timeout=1, strict=True)

    with pytest.raises(OutboundError):
        outbound.check_url(url)
