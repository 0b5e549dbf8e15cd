"""Operator commands: the CPE Monitor batch file and deadlines, and PII key rotation.

``lti-tool reports cpe-monitor --since 2026-03-01 [--output file.csv] [--mark-exported]``
writes the batch upload file of queued pharmacy completions (for providers who upload by
hand, and the only way out while ``LTI_TOOL_CPE_MONITOR_URL`` is empty) and lists, on
standard error, every completion still unreported as the 60-day limit nears.
``lti-tool reports cpe-monitor-status`` prints the counts and those flags alone.
``lti-tool keys rotate-pii`` adds a PII key, makes it active and re-encrypts stored values.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.config import Settings
from lti_tool.credit.cpe_reports import (
    MixedProviders,
    ReportFlag,
    deadline_flags,
    export_batch,
    status_counts,
)
from lti_tool.credit.settings import CreditSettings
from lti_tool.db import open_database, utcnow
from lti_tool.models import Base
from lti_tool.models.certificates import ReportStatus
from lti_tool.pii import configure_pii, current_keyring, key_usage, reencrypt


@contextmanager
def _database() -> Iterator[sessionmaker[Session]]:
    settings = Settings.from_env()
    configure_pii(settings.keys_dir)
    with open_database(settings.database_url) as factory:
        yield factory


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


def _describe(flag: ReportFlag) -> str:
    deadline = flag.flag
    when = (
        f"OVERDUE by {-deadline.days_left} day(s)"
        if deadline.overdue
        else f"{deadline.days_left} day(s) left"
    )
    status = flag.status.value + (f" ({flag.error_code})" if flag.error_code else "")
    return (
        f"  {flag.certificate_number}  UAN {deadline.record.uan}  participated "
        f"{deadline.record.participation_date.isoformat()}  day {deadline.age_days} of 60, "
        f"{when}  [{status}]"
    )


def _report_service_state(credit: CreditSettings, queued: int) -> None:
    if credit.cpe_monitor_configured:
        _echo_err(f"CPE Monitor web service: {credit.cpe_monitor_url} ({queued} queued).")
    else:
        _echo_err(
            "CPE Monitor web service: not configured (LTI_TOOL_CPE_MONITOR_URL is empty). "
            f"{queued} completion(s) stay queued; upload the batch file at CPE Monitor by hand."
        )


def _report_flags(flags: list[ReportFlag]) -> None:
    if not flags:
        _echo_err("No unreported completion is near the 60-day reporting limit.")
        return
    _echo_err(f"{len(flags)} completion(s) near or past the 60-day CPE Monitor limit:")
    for flag in flags:
        _echo_err(_describe(flag))


@click.group()
def reports() -> None:
    """Reports for accreditors and NABP CPE Monitor."""


@reports.command("cpe-monitor")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First date of participation to include (YYYY-MM-DD).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the CSV here instead of standard output.",
)
@click.option("--include-exported", is_flag=True, help="Also completions exported before.")
@click.option(
    "--mark-exported",
    is_flag=True,
    help="Record that these completions are uploaded by hand (no longer sent or flagged).",
)
def cpe_monitor_export(
    since: datetime, output: Path | None, include_exported: bool, mark_exported: bool
) -> None:
    """Write the CPE Monitor batch file of queued pharmacy completions."""
    credit = CreditSettings.from_env()
    with _database() as factory, factory() as session:
        try:
            batch = export_batch(
                session,
                since.date(),
                credit,
                include_exported=include_exported,
                mark_exported=mark_exported,
                now=utcnow(),
            )
        except MixedProviders as mixed:
            raise click.ClickException(
                f"completions of several ACPE providers ({mixed}); set "
                "LTI_TOOL_ACPE_PROVIDER_NUMBER"
            ) from mixed
        if output is None:
            sys.stdout.write(batch.csv)
        else:
            output.write_text(batch.csv, encoding="utf-8", newline="")
        session.commit()
        where = str(output) if output else "standard output"
        marked = " and marked exported" if mark_exported else ""
        _echo_err(
            f"{batch.exported} completion(s) written to {where}{marked} "
            f"(provider {batch.provider_number or 'unknown'})."
        )
        counts = status_counts(session)
        _report_service_state(credit, counts[ReportStatus.QUEUED])
        _report_flags(deadline_flags(session, utcnow().date()))


@reports.command("cpe-monitor-status")
def cpe_monitor_status() -> None:
    """Counts of CPE Monitor reports, and completions near the 60-day limit."""
    credit = CreditSettings.from_env()
    with _database() as factory, factory() as session:
        counts = status_counts(session)
        click.echo(", ".join(f"{status.value}: {count}" for status, count in counts.items()))
        _report_service_state(credit, counts[ReportStatus.QUEUED])
        _report_flags(deadline_flags(session, utcnow().date()))


@click.command("rotate-pii")
@click.option(
    "--no-reencrypt", is_flag=True, help="Only add the key; run again later to re-encrypt."
)
def rotate_pii(no_reencrypt: bool) -> None:
    """Add a PII encryption key for new values and re-encrypt stored values with it."""
    with _database() as factory:
        keyring = current_keyring()
        key_id = keyring.rotate()
        click.echo(f"new PII key {key_id} in {keyring.keys_dir}; it seals new values now.")
        if no_reencrypt:
            return
        for result in reencrypt(factory, Base):
            click.echo(
                f"  {result.column}: {result.rewritten} re-encrypted, "
                f"{result.already_current} already current"
            )
        with factory() as session:
            usage = key_usage(session, Base)
        old = sorted(k for k in keyring.key_ids() if k != keyring.active_key_id())
        unused = [k for k in old if not usage.get(k)]
        if unused:
            click.echo(
                "No stored value uses key(s) " + ", ".join(unused) + " any more; their files "
                "may be deleted once no other process still writes with them."
            )
