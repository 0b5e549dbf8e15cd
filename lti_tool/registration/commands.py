"""``lti-tool platforms check``: the self-check of registered platforms, from the shell."""

from __future__ import annotations

import sys

import click
from sqlalchemy.orm import Session

from lti_tool.config import Settings
from lti_tool.models import Registration
from lti_tool.registration.outbound import Outbound
from lti_tool.registration.platforms import find_platform, list_platforms
from lti_tool.registration.self_check import PROBLEM, SelfCheckReport, check_platform

MARKS = {"ok": "ok     ", "info": "note   ", "warning": "warning", "problem": "PROBLEM"}


def _print(report: SelfCheckReport) -> None:
    click.echo(f"== {report.platform}")
    for finding in report.findings:
        click.echo(f"  [{MARKS[finding.level]}] {finding.title}: {finding.detail}")


def _chosen(
    session: Session, registration_id: int | None, issuer: str | None, client_id: str | None
) -> list[Registration]:
    if registration_id is not None:
        found = session.get(Registration, registration_id)
        return [found] if found else []
    if issuer and client_id:
        found = find_platform(session, issuer, client_id)
        return [found] if found else []
    if issuer or client_id:
        raise click.UsageError("give both --issuer and --client-id, or --id")
    return list_platforms(session)


@click.command("check")
@click.option("--id", "registration_id", type=int, default=None, help="Registration number.")
@click.option("--issuer", default=None)
@click.option("--client-id", default=None)
def check(registration_id: int | None, issuer: str | None, client_id: str | None) -> None:
    """Fetch each platform's keys, request grade and roster (NRPS) tokens; say what works.

    Without options, checks every registration. Exits 1 when a problem was found.
    """
    from lti_tool import build_services

    services = build_services(Settings.from_env())
    services.key_store.ensure_key()
    outbound = Outbound(
        http=services.http,
        timeout=float(services.settings.http_timeout_seconds),
        strict=services.settings.is_production,
    )
    problems = 0
    try:
        with services.session_factory() as session:
            chosen = _chosen(session, registration_id, issuer, client_id)
            if not chosen:
                click.echo("error: no such platform registration", err=True)
                sys.exit(2)
            for registration in chosen:
                report = check_platform(session, registration, services.key_store, outbound)
                _print(report)
                problems += sum(1 for f in report.findings if f.level == PROBLEM)
    finally:
        services.http.close()
        services.engine.dispose()
    if problems:
        click.echo(f"{problems} problem(s) found.")
        sys.exit(1)
    click.echo("No problems found.")
