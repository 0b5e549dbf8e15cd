"""The self-check: against the sandbox it finds nothing wrong; against a misconfigured
registration it says what is wrong, from the console button and the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from click.testing import CliRunner
from sqlalchemy import select

from lti_tool import protocol
from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.models import Registration
from lti_tool.registration.commands import check
from lti_tool.registration.outbound import Outbound
from lti_tool.registration.platforms import create_platform, find_platform
from lti_tool.registration.self_check import OK, PROBLEM, SelfCheckReport, check_platform
from tests.conftest import TEST_SECRET, Sandbox, Served, unique
from tests.registration.fixtures import post_form


def self_check(services: ToolServices, registration_id: int) -> SelfCheckReport:
    outbound = Outbound(http=services.http, timeout=5, strict=False)
    with transaction(services.session_factory) as session:
        registration = session.get(Registration, registration_id)
        assert registration is not None
        return check_platform(session, registration, services.key_store, outbound)


def sandbox_platform(services: ToolServices, sandbox: Sandbox, flavour: str) -> Registration:
    details = sandbox.driver(flavour).platform_registration()
    with transaction(services.session_factory) as session:
        registration = find_platform(session, details["issuer"], details["client_id"])
    assert registration is not None
    return registration


def misconfigured_copy(services: ToolServices, sandbox: Sandbox, flavour: str, **wrong: str) -> int:
    """The sandbox platform's values under a new issuer, with some of them wrong."""
    details: dict[str, Any] = sandbox.driver(flavour).platform_registration()
    values = {
        "client_id": details["client_id"],
        "auth_login_url": details["auth_login_url"],
        "auth_token_url": details["auth_token_url"],
        "key_set_url": details["key_set_url"],
        **wrong,
    }
    with transaction(services.session_factory) as session:
        registration = create_platform(
            session, issuer=f"https://{unique('lms-')}.example.edu", source="console", **values
        )
        return registration.id


def levels(report: SelfCheckReport) -> dict[str, str]:
    return {finding.title: finding.level for finding in report.findings}


def test_self_check_of_the_sandbox_platforms_finds_nothing_wrong(
    console_services: ToolServices, sandbox: Sandbox
) -> None:
    for flavour in ("canvas", "moodle"):
        report = self_check(
            console_services, sandbox_platform(console_services, sandbox, flavour).id
        )

        assert report.healthy, report.findings
        assert levels(report)["Public keys"] == OK
        assert levels(report)["Grade passback"] == OK
        assert levels(report)["Course roster (NRPS)"] == OK


def test_self_check_says_plainly_that_the_key_set_url_is_wrong(
    console_services: ToolServices, sandbox: Sandbox
) -> None:
    root = sandbox.base_url + "/moodle"
    registration_id = misconfigured_copy(
        console_services, sandbox, "moodle", key_set_url=root + "/mod/lti/no-such-keys.php"
    )

    report = self_check(console_services, registration_id)

    assert not report.healthy
    problem = next(f for f in report.findings if f.level == PROBLEM)
    assert problem.title == "Public keys not found"
    assert "answered HTTP 404" in problem.detail
    assert "Launches from this LMS will be refused" in problem.detail
    # The token request is independent of the key set, and still works.
    assert levels(report)["Grade passback"] == OK


def test_self_check_says_the_lms_does_not_know_the_client_id(
    console_services: ToolServices, sandbox: Sandbox
) -> None:
    registration_id = misconfigured_copy(console_services, sandbox, "canvas", client_id="1234567")

    report = self_check(console_services, registration_id)

    assert levels(report)["Public keys"] == OK
    assert levels(report)["The LMS does not accept the tool's signature"] == PROBLEM
    detail = next(f.detail for f in report.findings if f.level == PROBLEM)
    assert "1234567" in detail and "unknown client_id" in detail


def test_self_check_reports_an_unreachable_token_endpoint(
    console_services: ToolServices, sandbox: Sandbox
) -> None:
    registration_id = misconfigured_copy(
        console_services, sandbox, "moodle", auth_token_url="http://127.0.0.1:9/token"
    )

    report = self_check(console_services, registration_id)

    assert levels(report)["Token endpoint unreachable"] == PROBLEM
    assert levels(report)["Public keys"] == OK


def test_console_check_button_shows_the_findings(
    console_tool: Served,
    console_services: ToolServices,
    sandbox: Sandbox,
    signed_in: requests.Session,
) -> None:
    root = sandbox.base_url + "/moodle"
    registration_id = misconfigured_copy(
        console_services, sandbox, "moodle", key_set_url=root + "/mod/lti/no-such-keys.php"
    )
    page = signed_in.get(f"{console_tool.base_url}/admin/platforms/{registration_id}", timeout=10)

    result = post_form(signed_in, page, "/check")

    assert result.status_code == 200
    assert 'data-healthy="no"' in result.text
    assert "Public keys not found" in result.text
    assert 'data-level="ok"' in result.text  # grade passback still works


def check_environment(services: ToolServices, tmp_path: Path) -> dict[str, str]:
    return {
        "LTI_TOOL_DATABASE_URL": services.settings.database_url,
        "LTI_TOOL_KEYS_DIR": str(services.settings.keys_dir),
        "LTI_TOOL_INSTANCE_DIR": str(tmp_path),
        "LTI_TOOL_SECRET_KEY": TEST_SECRET,
        "LTI_TOOL_SANDBOX": "0",
    }


def test_platforms_check_command_exits_nonzero_and_names_the_problem(
    console_services: ToolServices, sandbox: Sandbox, tmp_path: Path
) -> None:
    root = sandbox.base_url + "/moodle"
    registration_id = misconfigured_copy(
        console_services, sandbox, "moodle", key_set_url=root + "/mod/lti/no-such-keys.php"
    )

    result = CliRunner().invoke(
        check, ["--id", str(registration_id)], env=check_environment(console_services, tmp_path)
    )

    assert result.exit_code == 1, result.output
    assert "[PROBLEM] Public keys not found" in result.output
    assert "1 problem(s) found." in result.output


def test_platforms_check_command_passes_for_a_working_platform(
    console_services: ToolServices, sandbox: Sandbox, tmp_path: Path
) -> None:
    registration = sandbox_platform(console_services, sandbox, "moodle")

    result = CliRunner().invoke(
        check,
        ["--issuer", registration.issuer, "--client-id", registration.client_id],
        env=check_environment(console_services, tmp_path),
    )

    assert result.exit_code == 0, result.output
    assert "No problems found." in result.output


def test_platforms_check_command_refuses_an_unknown_platform(
    console_services: ToolServices, tmp_path: Path
) -> None:
    with transaction(console_services.session_factory) as session:
        highest = session.scalar(select(Registration.id).order_by(Registration.id.desc()))

    result = CliRunner().invoke(
        check,
        ["--id", str((highest or 0) + 1000)],
        env=check_environment(console_services, tmp_path),
    )

    assert result.exit_code == 2
    assert "no such platform registration" in result.output


def test_self_check_asks_for_the_roster_and_says_when_the_lms_refuses_it(
    console_services: ToolServices, console_tool: Served, lms: Any
) -> None:
    """Issue 11 §5: NRPS is checked too. This Canvas enabled grades but not the roster."""
    driver = lms.driver("canvas")
    tool = driver.register_tool(
        tool_base_url=console_tool.base_url, scopes=list(protocol.AGS_SCOPES), primary=False
    )
    details = lms.driver("canvas", client_id=tool["client_id"]).platform_registration()
    with transaction(console_services.session_factory) as session:
        registration = create_platform(
            session,
            issuer=details["issuer"],
            client_id=details["client_id"],
            auth_login_url=details["auth_login_url"],
            auth_token_url=details["auth_token_url"],
            key_set_url=details["key_set_url"],
            source="console",
        )
        registration_id = registration.id

    report = self_check(console_services, registration_id)

    assert levels(report)["Grade passback"] == OK
    assert levels(report)["Course roster (NRPS): scope refused"] == PROBLEM
    detail = next(f.detail for f in report.findings if f.title.startswith("Course roster"))
    assert "Names and Role Provisioning" in detail
