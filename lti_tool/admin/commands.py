"""``lti-tool admin``: operators of the console (create, list, password, disable)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from lti_tool.admin.operators import (
    OperatorError,
    create_operator,
    find_operator,
    list_operators,
    set_active,
    set_password,
)
from lti_tool.config import Settings
from lti_tool.db import open_database, transaction
from lti_tool.models.admin import Operator


@contextmanager
def _session() -> Iterator[Session]:
    with (
        open_database(Settings.from_env().database_url) as factory,
        transaction(factory) as session,
    ):
        yield session


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group()
def admin() -> None:
    """Operators of the admin console (/admin)."""


@admin.command("create")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(username: str, password_stdin: bool) -> None:
    """Create an operator who can sign in to the console."""
    password = _password(password_stdin)
    try:
        with _session() as session:
            operator = create_operator(session, username, password)
            name = operator.username
    except OperatorError as exc:
        _fail(str(exc))
    click.echo(f"operator {name} created; sign in at /admin/login")


@admin.command("list")
def list_command() -> None:
    with _session() as session:
        for operator in list_operators(session):
            last = (
                f"{operator.last_login_at:%Y-%m-%d %H:%M} UTC"
                if operator.last_login_at
                else "never"
            )
            state = "active" if operator.active else "disabled"
            click.echo(f"{operator.username}  {state}  last sign-in: {last}")


def _change(username: str, change: Callable[[Session, Operator], None]) -> None:
    try:
        with _session() as session:
            operator = find_operator(session, username)
            if operator is None:
                raise OperatorError(f"no operator named {username!r}")
            change(session, operator)
    except OperatorError as exc:
        _fail(str(exc))


@admin.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password_command(username: str, password_stdin: bool) -> None:
    """Change an operator's password; their open sessions end."""
    password = _password(password_stdin)
    _change(username, lambda session, operator: set_password(session, operator, password))
    click.echo(f"password changed for {username}")


@admin.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Stop an operator from signing in; their open sessions end."""
    _change(username, lambda session, operator: set_active(session, operator, False))
    click.echo(f"{username} disabled")


@admin.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    _change(username, lambda session, operator: set_active(session, operator, True))
    click.echo(f"{username} enabled")
