"""``lti-tool platforms approve | reject | invite``: the operator's registration decisions.

The same decisions as the console's buttons (:mod:`lti_tool.registration.platforms`), written to the
registration's history with the operator named by ``--by`` (default: the shell user).
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

import click
from sqlalchemy.orm import Session

from lti_tool.config import Settings
from lti_tool.db import open_database, transaction
from lti_tool.models import Registration
from lti_tool.registration.invitations import (
    DEFAULT_LIFETIME_HOURS,
    create_invitation,
    invitation_url,
)
from lti_tool.registration.platforms import (
    PlatformError,
    approve_platform,
    find_platform,
    reject_platform,
)


def _by() -> str:
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def _one(
    session: Session, registration_id: int | None, issuer: str | None, client_id: str | None
) -> Registration:
    if registration_id is not None:
        found = session.get(Registration, registration_id)
    elif issuer and client_id:
        found = find_platform(session, issuer, client_id)
    else:
        raise click.UsageError("give --id, or both --issuer and --client-id")
    if found is None:
        raise PlatformError("no such platform registration (see `lti-tool platforms list`)")
    return found


def _decide(
    decision: Callable[[Session, Registration, str], None],
    done: str,
    registration_id: int | None,
    issuer: str | None,
    client_id: str | None,
    by: str | None,
) -> None:
    settings = Settings.from_env()
    try:
        with open_database(settings.database_url) as factory, transaction(factory) as session:
            registration = _one(session, registration_id, issuer, client_id)
            decision(session, registration, by or _by())
            click.echo(
                f"{done} #{registration.id} {registration.issuer} "
                f"client_id={registration.client_id}"
            )
    except PlatformError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    # Running tool processes forget cached registrations within seconds (tool_conf.py).


_which = [
    click.option("--id", "registration_id", type=int, default=None, help="Registration number."),
    click.option("--issuer", default=None),
    click.option("--client-id", default=None),
    click.option("--by", default=None, help="Who decided, for the history (default: you)."),
]


def _with_which(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_which):
        command = option(command)
    return command


@click.command("approve")
@_with_which
def approve(
    registration_id: int | None, issuer: str | None, client_id: str | None, by: str | None
) -> None:
    """Let a pending platform go live, or apply its held re-registration."""
    _decide(approve_platform, "approved", registration_id, issuer, client_id, by)


@click.command("reject")
@_with_which
def reject(
    registration_id: int | None, issuer: str | None, client_id: str | None, by: str | None
) -> None:
    """Refuse a pending platform (kept, inactive), or discard its held re-registration."""
    _decide(reject_platform, "rejected", registration_id, issuer, client_id, by)


@click.command("invite")
@click.option("--note", default="", help='Who it is for, e.g. "St Mary\'s Moodle".')
@click.option(
    "--hours",
    type=int,
    default=DEFAULT_LIFETIME_HOURS,
    show_default=True,
    help="How long the link works.",
)
@click.option("--by", default=None, help="Who made it, for the record (default: you).")
def invite(note: str, hours: int, by: str | None) -> None:
    """A one-time Dynamic Registration URL: the LMS it is used from goes live at once.

    Give it to one LMS administrator, to paste where the LMS asks for the tool's
    registration URL. It works once, until it expires; only its hash is stored.
    """
    settings = Settings.from_env()
    try:
        with open_database(settings.database_url) as factory, transaction(factory) as session:
            made = create_invitation(session, operator=by or _by(), note=note, hours=hours)
            expires = made.invitation.expires_at
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(invitation_url(settings.base_url, made.secret))
    click.echo(f"Works once, until {expires:%Y-%m-%d %H:%M} UTC. It is not shown again.", err=True)
