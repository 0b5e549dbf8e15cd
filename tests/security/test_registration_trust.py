"""Issue 10 §1: a platform that is not the LMS registers itself under the LMS's issuer.

Users are one person per (issuer, sub), so a second live registration for an issuer could
sign launches as any of its learners. Over real HTTP against the served tool: the second
registration ends pending, a launch through it is refused at login with the approval page,
and nothing of the victim is read or written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.models import Launch, Registration, User
from lti_tool.models import admin as admin_models
from lti_tool.models.admin import ApprovalState
from lti_tool.registration.platforms import add_platform
from lti_tool.registration.policy import update_policy
from tests.conftest import Served
from tests.registration.flows import record_of, register, stored
from tests.security.attacker import Attacker

VICTIM_SUB = "victim-sub-0001"


def victim_lms(services: ToolServices, issuer: str) -> None:
    """The real LMS, registered by hand, with a learner the tool knows."""
    with transaction(services.session_factory) as session:
        add_platform(
            session,
            issuer=issuer,
            client_id="the-real-lms",
            auth_login_url=issuer + "/real/auth",
            auth_token_url=issuer + "/real/token",
            key_set_url=issuer + "/real/jwks",
            deployment_ids=["1"],
            name="The real LMS",
        )
        session.add(
            User(issuer=issuer, sub=VICTIM_SUB, name="Victim Learner", email="victim@lms.example")
        )


def count(services: ToolServices, query: object) -> int:
    with transaction(services.session_factory) as session:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]


def test_second_platform_claiming_an_existing_issuer_waits_and_cannot_launch_as_its_learner(
    console_tool: Served, console_services: ToolServices, attacker: Attacker
) -> None:
    issuer = attacker.base_url
    victim_lms(console_services, issuer)

    page = register(console_tool.base_url, attacker.token())

    assert page.status_code == 200, page.text
    assert 'data-status="pending"' in page.text
    assert "already has a registration for the issuer" in page.text
    rogue = stored(console_services, issuer, "attacker-client")
    assert rogue is not None and not rogue.active
    assert record_of(console_services, rogue).approval is ApprovalState.PENDING
    assert (
        count(
            console_services,
            select(func.count())
            .select_from(admin_models.RegistrationEvent)
            .where(
                admin_models.RegistrationEvent.registration_id == rogue.id,
                admin_models.RegistrationEvent.event == "registered_pending",
            ),
        )
        == 1
    )

    answer, browser = attacker.launch_as(console_tool.base_url, VICTIM_SUB)

    assert answer.status_code == 403
    assert "waiting for the tool operator" in answer.text
    assert "register again" not in answer.text.replace("do not register again", "")
    assert "Victim Learner" not in answer.text
    # Refused at login: no login state issued (no state cookie), no launch, the victim's
    # row untouched.
    assert not [name for name in browser.cookies.get_dict() if name.startswith("lti1p3-")]
    assert (
        count(
            console_services,
            select(func.count()).select_from(Launch).where(Launch.registration_id == rogue.id),
        )
        == 0
    )
    with transaction(console_services.session_factory) as session:
        users = session.scalars(select(User).where(User.issuer == issuer)).all()
        assert [(u.sub, u.name, u.email) for u in users] == [
            (VICTIM_SUB, "Victim Learner", "victim@lms.example")
        ]


def test_the_open_policy_does_not_let_a_second_key_set_go_live(
    console_tool: Served, console_services: ToolServices, attacker: Attacker
) -> None:
    """The rule holds whatever the policy: here the operator trusts new deployments."""
    with transaction(console_services.session_factory) as session:
        update_policy(session, require_approval=False, trust_new_deployments=True, operator="t")
    try:
        victim_lms(console_services, attacker.base_url)
        page = register(console_tool.base_url, attacker.token())
    finally:
        with transaction(console_services.session_factory) as session:
            update_policy(
                session, require_approval=False, trust_new_deployments=False, operator="t"
            )

    assert 'data-status="pending"' in page.text
    rogue = stored(console_services, attacker.base_url, "attacker-client")
    assert rogue is not None and not rogue.active


@pytest.mark.parametrize("changed", ["jwks_uri", "token_endpoint", "authorization_endpoint"])
def test_reregistration_with_new_keys_or_endpoints_is_held_and_the_old_ones_keep_serving(
    console_tool: Served, console_services: ToolServices, attacker: Attacker, changed: str
) -> None:
    """The attacker answers with the real LMS's client ID: an "update" of a live platform."""
    victim_lms(console_services, attacker.base_url)
    attacker.registration_answer = {"client_id": "the-real-lms"}
    attacker.configuration_changes = {changed: attacker.base_url + "/attacker/" + changed}
    before = stored(console_services, attacker.base_url, "the-real-lms")
    assert before is not None

    page = register(console_tool.base_url, attacker.token())

    assert page.status_code == 200, page.text
    assert 'data-status="update-pending"' in page.text
    after = stored(console_services, attacker.base_url, "the-real-lms")
    assert after is not None and after.active
    assert (after.key_set_url, after.auth_token_url, after.auth_login_url) == (
        before.key_set_url,
        before.auth_token_url,
        before.auth_login_url,
    )
    record = record_of(console_services, after)
    assert record.proposed_update is not None
    assert attacker.base_url + "/attacker/" in str(record.proposed_update)
    with transaction(console_services.session_factory) as session:
        events = session.scalars(
            select(admin_models.RegistrationEvent.event).where(
                admin_models.RegistrationEvent.registration_id == after.id
            )
        ).all()
        assert "update_held" in events
        assert (
            session.scalar(
                select(func.count())
                .select_from(Registration)
                .where(Registration.issuer == attacker.base_url)
            )
            == 1
        )
