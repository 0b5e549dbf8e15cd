"""``lti-tool admin``: creating operators from the server's shell."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lti_tool.admin.commands import admin
from lti_tool.extensions import ToolServices
from tests.conftest import TEST_SECRET, Served, unique
from tests.registration.fixtures import client_from, sign_in


def environment(services: ToolServices, tmp_path: Path) -> dict[str, str]:
    return {
        "LTI_TOOL_DATABASE_URL": services.settings.database_url,
        "LTI_TOOL_INSTANCE_DIR": str(tmp_path),
        "LTI_TOOL_KEYS_DIR": str(tmp_path / "keys"),
        "LTI_TOOL_SECRET_KEY": TEST_SECRET,
    }


def test_an_operator_created_on_the_command_line_can_sign_in(
    console_tool: Served, console_services: ToolServices, tmp_path: Path, from_address: str
) -> None:
    username = unique("cli-")

    result = CliRunner().invoke(
        admin,
        ["create", username, "--password-stdin"],
        input="a long enough password\n",
        env=environment(console_services, tmp_path),
    )

    assert result.exit_code == 0, result.output
    assert f"operator {username} created" in result.output
    response = sign_in(
        client_from(from_address), console_tool.base_url, username, "a long enough password"
    )
    assert response.status_code == 302


def test_create_prompts_twice_for_the_password(
    console_services: ToolServices, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        admin,
        ["create", unique("cli-")],
        input="a long enough password\na long enough password\n",
        env=environment(console_services, tmp_path),
    )

    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output


def test_short_passwords_and_taken_usernames_are_refused(
    console_services: ToolServices, tmp_path: Path
) -> None:
    env = environment(console_services, tmp_path)
    username = unique("cli-")
    short = CliRunner().invoke(
        admin, ["create", username, "--password-stdin"], input="short\n", env=env
    )
    CliRunner().invoke(
        admin, ["create", username, "--password-stdin"], input="long enough pass\n", env=env
    )
    taken = CliRunner().invoke(
        admin, ["create", username, "--password-stdin"], input="another long pass\n", env=env
    )

    assert short.exit_code == 2 and "at least 12 characters" in short.output
    assert taken.exit_code == 2 and "exists already" in taken.output


def test_a_disabled_operator_cannot_sign_in(
    console_tool: Served, console_services: ToolServices, tmp_path: Path, from_address: str
) -> None:
    env = environment(console_services, tmp_path)
    username = unique("cli-")
    CliRunner().invoke(
        admin, ["create", username, "--password-stdin"], input="long enough pass\n", env=env
    )

    disabled = CliRunner().invoke(admin, ["disable", username], env=env)
    listed = CliRunner().invoke(admin, ["list"], env=env)

    assert disabled.exit_code == 0
    assert f"{username}  disabled" in listed.output
    response = sign_in(
        client_from(from_address), console_tool.base_url, username, "long enough pass"
    )
    assert response.status_code == 401
