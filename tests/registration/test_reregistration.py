"""Issue 11 §1: Moodle 5.1's "Update" re-registration, reproduced by the sandbox's Moodle.

Moodle asks "Update / Register as a new external tool" when a tool on the same host
exists; Update sends the registration again for the client ID the tool already has. The
tool updates that registration in place, keeps its deployments and launches, writes the
change to its history, and answers with the page that closes Moodle's dialog.
"""

from __future__ import annotations

import re

import requests
from sqlalchemy import func, select

from lti_tool import protocol
from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.models import Launch, Registration
from lti_tool.models.admin import ApprovalState, RegistrationEvent
from lti_tool.sandbox import models as lms_models
from lti_tool.sandbox import sandbox_of
from tests.conftest import Served, launch
from tests.registration.fixtures import Lms, post_form
from tests.registration.flows import (
    client_id_on,
    open_registration,
    press_register,
    record_of,
    register,
    stored,
)
from tests.registration.rogue import RoguePlatform


def events_of(services: ToolServices, registration_id: int) -> list[str]:
    with transaction(services.session_factory) as session:
        return list(
            session.scalars(
                select(RegistrationEvent.event)
                .where(RegistrationEvent.registration_id == registration_id)
                .order_by(RegistrationEvent.id)
            )
        )


def test_moodle_update_updates_the_registration_in_place_and_closes_the_dialog(
    console_tool: Served, console_services: ToolServices, lms: Lms
) -> None:
    first = register(console_tool.base_url, lms.driver("moodle").registration_token())
    client_id = client_id_on(first)
    # Issue 11 §4: Moodle keeps a new tool Pending until an admin activates it.
    assert 'id="moodle-next-steps"' in first.text
    assert "Manage tools" in first.text and "Activate" in first.text
    driver = lms.driver("moodle", client_id=client_id)
    issuer = driver.platform_registration()["issuer"]
    assert launch(driver, "learner01").status_code == 200
    before = stored(console_services, issuer, client_id)
    assert before is not None
    deployments = [(d.id, d.deployment_id) for d in before.deployments]

    # Moodle's Update: the same Moodle, a registration token bound to the existing tool.
    page = register(console_tool.base_url, driver.registration_token(update_client_id=client_id))

    assert page.status_code == 200, page.text
    assert 'data-status="updated"' in page.text
    assert "registration is updated" in page.text
    assert protocol.LTI_CLOSE_MESSAGE in page.text
    assert 'id="close-registration"' in page.text
    # Moodle resets "Tool configuration usage" on Update: the page says to set it back.
    assert "Tool configuration usage" in page.text
    assert client_id_on(page) == client_id
    after = stored(console_services, issuer, client_id)
    assert after is not None and after.active and after.id == before.id
    assert [(d.id, d.deployment_id) for d in after.deployments] == deployments
    with transaction(console_services.session_factory) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Registration).where(Registration.issuer == issuer)
            )
            == 1
        )
        assert (
            session.scalar(
                select(func.count()).select_from(Launch).where(Launch.registration_id == after.id)
            )
            == 1
        )
    assert events_of(console_services, after.id) == ["registered", "updated"]
    with sandbox_of(lms.served.app).session() as platform:
        tools = platform.scalars(
            select(lms_models.ToolRegistration).where(
                lms_models.ToolRegistration.created_via == "dynamic"
            )
        ).all()
        assert [tool.client_id for tool in tools] == [client_id]
    # Still launches, through the same registration.
    assert launch(driver, "learner02").status_code == 200


def test_sandbox_moodle_asks_update_or_new_and_update_goes_through_the_tool(
    console_tool: Served, console_services: ToolServices, lms: Lms
) -> None:
    first = register(console_tool.base_url, lms.driver("moodle").registration_token())
    client_id = client_id_on(first)
    admin = f"{lms.base_url}/moodle/admin/dynamic-registration"
    registration_url = f"{console_tool.base_url}/lti/register"

    prompt = requests.post(admin, data={"registration_url": registration_url}, timeout=10)

    assert prompt.status_code == 200
    assert "Register as a new external tool" in prompt.text
    choice = re.search(r'name="choice" value="(update:\d+)"', prompt.text)
    assert choice, prompt.text
    framed = requests.post(
        admin, data={"registration_url": registration_url, "choice": choice.group(1)}, timeout=10
    )
    start = re.search(r'id="tool_content"[^>]*src="([^"]+)"', framed.text)
    assert start, framed.text
    review = requests.get(start.group(1).replace("&amp;", "&"), timeout=15)
    page = press_register(review)

    assert 'data-status="updated"' in page.text
    assert client_id_on(page) == client_id


def test_reregistration_of_a_pending_platform_updates_it_and_it_stays_pending(
    console_tool: Served, console_services: ToolServices, rogue: RoguePlatform
) -> None:
    rogue.registration_answer = {"client_id": "same-client"}
    assert register(console_tool.base_url, rogue.token()).status_code == 200
    # As if an operator's policy had held it.
    registration = stored(console_services, rogue.base_url, "same-client")
    assert registration is not None
    with transaction(console_services.session_factory) as session:
        record = session.merge(record_of(console_services, registration))
        record.approval = ApprovalState.PENDING
        session.merge(registration).active = False
    rogue.configuration_changes = {"jwks_uri": rogue.base_url + "/new-jwks"}

    page = press_register(open_registration(console_tool.base_url, rogue.token()))

    assert 'data-status="pending"' in page.text
    after = stored(console_services, rogue.base_url, "same-client")
    assert after is not None and not after.active
    assert after.key_set_url == rogue.base_url + "/new-jwks"
    assert record_of(console_services, after).approval is ApprovalState.PENDING


def test_operator_applies_or_discards_a_held_update_in_the_console(
    console_tool: Served,
    console_services: ToolServices,
    rogue: RoguePlatform,
    signed_in: requests.Session,
) -> None:
    rogue.registration_answer = {"client_id": "held-client"}
    assert 'data-status="live"' in register(console_tool.base_url, rogue.token()).text
    registration = stored(console_services, rogue.base_url, "held-client")
    assert registration is not None
    url = f"{console_tool.base_url}/admin/platforms/{registration.id}"

    for decision, new_keys in (("discard", "/keys-1"), ("apply", "/keys-2")):
        rogue.configuration_changes = {"jwks_uri": rogue.base_url + new_keys}
        held = register(console_tool.base_url, rogue.token())
        assert 'data-status="update-pending"' in held.text
        page = signed_in.get(url, timeout=10)
        assert 'id="proposed-update"' in page.text and new_keys in page.text
        action = "/reject" if decision == "discard" else "/approve"
        assert post_form(signed_in, page, action).status_code == 302
        after = stored(console_services, rogue.base_url, "held-client")
        assert after is not None and after.active
        assert record_of(console_services, after).proposed_update is None
        expected = rogue.base_url + "/jwks" if decision == "discard" else rogue.base_url + new_keys
        assert after.key_set_url == expected

    assert events_of(console_services, registration.id) == [
        "registered",
        "update_held",
        "update_rejected",
        "update_held",
        "update_approved",
    ]
