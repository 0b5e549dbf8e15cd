"""Registrations waiting for the operator (issue 10 §1, issue 11 §2): the launch page says
so, ``platforms list`` and the console show it, the operator approves or rejects it from
the console or the command line, and one-time invitations let an LMS in without waiting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from lti_tool.cli import main
from lti_tool.db import transaction, utcnow
from lti_tool.extensions import ToolServices
from lti_tool.models.admin import ApprovalState, RegistrationEvent, RegistrationInvitation
from lti_tool.registration.invitations import token_hash
from lti_tool.registration.policy import update_policy
from lti_tool.sandbox.driver import LaunchRefused, SandboxDriver
from tests.admin.test_commands import environment
from tests.conftest import Served, launch
from tests.registration.fixtures import Lms, post_form
from tests.registration.flows import (
    client_id_on,
    press_register,
    record_of,
    register,
    registrations_of,
    stored,
)


@pytest.fixture
def approval_required(console_services: ToolServices) -> Iterator[None]:
    with transaction(console_services.session_factory) as session:
        update_policy(session, require_approval=True, trust_new_deployments=False, operator="t")
    yield
    with transaction(console_services.session_factory) as session:
        update_policy(session, require_approval=False, trust_new_deployments=False, operator="")


def cli(services: ToolServices, tmp_path: Path, *args: str) -> str:
    env = {**environment(services, tmp_path), "LTI_TOOL_BASE_URL": services.settings.base_url}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    # The served tool caches registrations for a few seconds (launch/tool_conf.py).
    services.tool_conf.forget()
    return result.output


def pending_moodle(tool: Served, services: ToolServices, lms: Lms) -> tuple[SandboxDriver, int]:
    page = register(tool.base_url, lms.driver("moodle").registration_token())
    assert 'data-status="pending"' in page.text
    client_id = client_id_on(page)
    driver = lms.driver("moodle", client_id=client_id)
    registration = stored(services, driver.platform_registration()["issuer"], client_id)
    assert registration is not None and not registration.active
    return driver, registration.id


def refusal(driver: SandboxDriver, user: str) -> requests.Response:
    with pytest.raises(LaunchRefused) as refused:
        launch(driver, user)
    assert refused.value.response is not None
    return refused.value.response


def test_a_launch_through_a_pending_registration_says_it_waits_for_the_operator(
    console_tool: Served,
    console_services: ToolServices,
    lms: Lms,
    tmp_path: Path,
    approval_required: None,
) -> None:
    driver, registration_id = pending_moodle(console_tool, console_services, lms)

    page = refusal(driver, "learner01")

    assert page.status_code == 403
    assert "waiting for the tool operator" in page.text
    assert "do not register again" in page.text
    assert "Register the platform" not in page.text
    assert f"#{registration_id} " in cli(console_services, tmp_path, "platforms", "list")
    listed = [
        line
        for line in cli(console_services, tmp_path, "platforms", "list").splitlines()
        if line.startswith(f"#{registration_id} ")
    ]
    assert "[pending]" in listed[0]

    said = cli(console_services, tmp_path, "platforms", "approve", "--id", str(registration_id))

    assert f"approved #{registration_id}" in said
    assert launch(driver, "learner01").status_code == 200
    with transaction(console_services.session_factory) as session:
        events = session.scalars(
            select(RegistrationEvent.event).where(
                RegistrationEvent.registration_id == registration_id
            )
        ).all()
    assert list(events) == ["registered_pending", "approved"]


def test_a_rejected_registration_stays_refused_and_says_so(
    console_tool: Served,
    console_services: ToolServices,
    lms: Lms,
    tmp_path: Path,
    approval_required: None,
) -> None:
    driver, registration_id = pending_moodle(console_tool, console_services, lms)

    cli(console_services, tmp_path, "platforms", "reject", "--id", str(registration_id))

    page = refusal(driver, "learner01")
    assert page.status_code == 403
    assert "declined" in page.text
    assert "[rejected]" in cli(console_services, tmp_path, "platforms", "list")


def test_console_shows_pending_and_rejects_it(
    console_tool: Served,
    console_services: ToolServices,
    lms: Lms,
    signed_in: requests.Session,
    approval_required: None,
) -> None:
    _driver, registration_id = pending_moodle(console_tool, console_services, lms)
    listing = signed_in.get(f"{console_tool.base_url}/admin/platforms", timeout=10)
    assert f'data-registration="{registration_id}" data-state="pending"' in listing.text
    detail = signed_in.get(f"{console_tool.base_url}/admin/platforms/{registration_id}", timeout=10)

    assert post_form(signed_in, detail, "/reject").status_code == 302

    detail = signed_in.get(f"{console_tool.base_url}/admin/platforms/{registration_id}", timeout=10)
    assert 'data-state="rejected"' in detail.text
    assert 'data-event="rejected"' in detail.text
    registration = stored(
        console_services,
        _driver.platform_registration()["issuer"],
        _driver.client_id or "",
    )
    assert registration is not None and not registration.active
    assert record_of(console_services, registration).approval is ApprovalState.REJECTED


def test_an_invitation_lets_one_lms_in_once_without_waiting(
    console_tool: Served,
    console_services: ToolServices,
    make_lms: object,
    signed_in: requests.Session,
    approval_required: None,
) -> None:
    page = signed_in.get(f"{console_tool.base_url}/admin/invitations", timeout=10)
    made = post_form(signed_in, page, "/invitations", note="St Mary's Moodle", hours="2")
    match = re.search(r'<code id="invitation-url">([^<]+)</code>', made.text)
    assert match, made.text
    url = match.group(1)
    secret = url.rsplit("/", 1)[1]
    with transaction(console_services.session_factory) as session:
        stored_hashes = session.scalars(select(RegistrationInvitation.token_hash)).all()
    assert secret not in stored_hashes and all(len(h) == 64 for h in stored_hashes)

    first: Lms = make_lms()  # type: ignore[operator]
    token = first.driver("moodle").registration_token()
    review = requests.get(url, params=token, timeout=15)
    assert review.status_code == 200, review.text
    assert "Approval needed" not in review.text
    form = re.search(r'<form method="post" action="([^"]+)"', review.text)
    assert form and form.group(1).startswith("/lti/register/invitation/")
    registered = press_register(review)
    assert 'data-status="live"' in registered.text
    client_id = client_id_on(registered)
    driver = first.driver("moodle", client_id=client_id)
    assert launch(driver, "learner01").status_code == 200

    second: Lms = make_lms()  # type: ignore[operator]
    token = second.driver("moodle").registration_token()
    again = requests.get(url, params=token, timeout=15)

    assert again.status_code == 403
    assert "works once" in again.text
    issuer = requests.get(token["openid_configuration"], timeout=10).json()["issuer"]
    assert registrations_of(console_services, issuer) == 0
    listing = signed_in.get(f"{console_tool.base_url}/admin/invitations", timeout=10)
    assert 'data-used="yes"' in listing.text


def test_an_expired_invitation_is_refused(
    console_tool: Served, console_services: ToolServices, lms: Lms, tmp_path: Path
) -> None:
    said = cli(console_services, tmp_path, "platforms", "invite", "--hours", "1")
    url = said.splitlines()[0].strip()
    with transaction(console_services.session_factory) as session:
        invitation = session.scalar(
            select(RegistrationInvitation).where(
                RegistrationInvitation.token_hash == token_hash(url.rsplit("/", 1)[1])
            )
        )
        assert invitation is not None
        invitation.expires_at = utcnow()

    page = requests.get(url, params=lms.driver("moodle").registration_token(), timeout=15)

    assert page.status_code == 403
    assert "expired" in page.text
