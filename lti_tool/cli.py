"""The ``lti-tool`` command: serve, database, keys, platforms, activities, sandbox."""

from __future__ import annotations

import sys

import click

from lti_tool.admin.commands import admin as admin_group
from lti_tool.catalog.commands import activities
from lti_tool.config import Settings
from lti_tool.credit.commands import reports, rotate_pii
from lti_tool.grades.commands import grades
from lti_tool.outbox.commands import outbox, worker
from lti_tool.outcomes.commands import recount_outcomes
from lti_tool.registration.commands import check as platforms_check
from lti_tool.registration.decision_commands import approve as platforms_approve
from lti_tool.registration.decision_commands import invite as platforms_invite
from lti_tool.registration.decision_commands import reject as platforms_reject
from lti_tool.registration.platforms import (
    PlatformError,
    add_platform,
    approval_state,
    list_platforms,
    registration_record,
    remove_platform,
)


def _settings() -> Settings:
    return Settings.from_env()


@click.group()
def main() -> None:
    """An LTI 1.3 tool for accredited continuing medical education."""


# -- serve --------------------------------------------------------------------------
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--sandbox-port", default=5001, show_default=True, type=int)
def serve(host: str, port: int, sandbox_port: int) -> None:
    """Serve the tool (and, in the embedded default, the sandbox LMS beside it)."""
    import os
    from dataclasses import replace
    from urllib.parse import urlsplit

    from lti_tool.devserver import run_dev

    settings = _settings()
    # Without an explicit public URL, the tool and the sandbox are where they listen.
    if not os.environ.get("LTI_TOOL_BASE_URL"):
        settings = replace(settings, base_url=f"http://{host}:{port}")
    if not os.environ.get("LTI_TOOL_SANDBOX_BASE_URL"):
        sandbox_host = urlsplit(settings.sandbox_base_url).hostname or "localhost"
        settings = replace(settings, sandbox_base_url=f"http://{sandbox_host}:{sandbox_port}")
    run_dev(settings, host=host, port=port, sandbox_port=sandbox_port)


# -- database -----------------------------------------------------------------------
@main.group(name="db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations."""
    from lti_tool.migrate import upgrade

    settings = _settings()
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, revision)
    click.echo(f"database at revision {revision}: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- keys ---------------------------------------------------------------------------
@main.group()
def keys() -> None:
    """The tool's signing keys."""


def _key_store():  # type: ignore[no-untyped-def]
    from lti_tool.keys import KeyStore

    settings = _settings()
    return KeyStore(settings.keys_dir, settings.key_propagation_seconds)


@keys.command("list")
def keys_list() -> None:
    store = _key_store()
    store.ensure_key()
    signing = store.signing_key().kid
    for key in store.keys():  # noqa: SIM118 (a method, not a dict)
        state = "retired" if key.retired_at else ("signing" if key.kid == signing else "published")
        click.echo(f"{key.kid}  {state:9}  published {key.published_at:%Y-%m-%d %H:%M} UTC")


@keys.command("rotate")
def keys_rotate() -> None:
    """Publish a new key; it signs once platforms' caches have had time to see it."""
    store = _key_store()
    store.ensure_key()
    key = store.rotate()
    ready = key.published_at + store.propagation
    click.echo(f"published {key.kid}; it becomes the signing key at {ready:%Y-%m-%d %H:%M} UTC.")
    click.echo("Retire the old key with `lti-tool keys retire KID` once the new one signs.")


@keys.command("retire")
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Stop signing with KID; it stays published until deleted."""
    _key_store().retire(kid)
    click.echo(f"retired {kid}")


@keys.command("delete")
@click.argument("kid")
def keys_delete(kid: str) -> None:
    """Unpublish a retired key."""
    _key_store().delete(kid)
    click.echo(f"deleted {kid}")


# -- platforms ----------------------------------------------------------------------
@main.group()
def platforms() -> None:
    """Platform registrations and deployments."""


def _database():  # type: ignore[no-untyped-def]
    from lti_tool.db import open_database

    return open_database(_settings().database_url)


@platforms.command("add")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization URL.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token URL.")
@click.option("--key-set-url", required=True, help="The platform's JWKS URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Repeatable.")
@click.option("--name", default="")
@click.option("--auth-audience", default=None)
@click.option("--product-family", default="")
@click.option("--auto-approve-deployments", is_flag=True, default=False)
def platforms_add(**options: object) -> None:
    """Register a platform (one issuer + client_id) with its deployments."""
    try:
        with _database() as factory, factory.begin() as session:
            registration = add_platform(session, **options)  # type: ignore[arg-type]
            click.echo(
                f"registered {registration.issuer} client_id={registration.client_id} "
                f"deployments={[d.deployment_id for d in registration.deployments]}"
            )
    except PlatformError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@platforms.command("list")
def platforms_list() -> None:
    with _database() as factory, factory() as session:
        for registration in list_platforms(session):
            deployments = ", ".join(
                f"{d.deployment_id} ({d.status.value})" for d in registration.deployments
            )
            state = approval_state(session, registration)
            record = registration_record(session, registration)
            if record is not None and record.proposed_update is not None:
                state += ", update waiting for approval"
            click.echo(
                f"#{registration.id} {registration.issuer} client_id={registration.client_id} "
                f"[{state}] deployments: {deployments or 'none'}"
            )


@platforms.command("remove")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option(
    "--force",
    is_flag=True,
    help="Also when learners have used it: launches, links and undelivered grades go; "
    "participations, attempts and certificates stay.",
)
def platforms_remove(issuer: str, client_id: str, force: bool) -> None:
    """Remove a registration (refused while learners have used it, unless --force)."""
    try:
        with _database() as factory, factory.begin() as session:
            remove_platform(session, issuer, client_id, force=force)
    except PlatformError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"removed {issuer} client_id={client_id}")


main.add_command(activities)
main.add_command(admin_group)
main.add_command(grades)
main.add_command(outbox)
main.add_command(worker)
main.add_command(reports)
reports.add_command(recount_outcomes)
keys.add_command(rotate_pii)
platforms.add_command(platforms_check)
platforms.add_command(platforms_approve)
platforms.add_command(platforms_reject)
platforms.add_command(platforms_invite)
