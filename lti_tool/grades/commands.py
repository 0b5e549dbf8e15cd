"""``lti-tool grades``: run the score dispatcher, see the outbox, resend dead letters."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from lti_tool.config import Settings

if TYPE_CHECKING:
    from lti_tool.extensions import ToolServices


@contextmanager
def _services() -> Iterator[ToolServices]:
    """The tool's services for one command; its database connections close at the end."""
    from lti_tool import build_services

    services = build_services(Settings.from_env())
    try:
        yield services
    finally:
        services.engine.dispose()


@click.group()
def grades() -> None:
    """Grade passback to the platforms (the outbox's score queue)."""


@grades.command()
@click.option("--poll-seconds", type=float, default=2.0, show_default=True)
@click.option("--batch-size", type=int, default=25, show_default=True)
@click.option("--concurrency", type=int, default=4, show_default=True)
@click.option("--lease-seconds", type=float, default=120.0, show_default=True)
@click.option("--backoff-base", type=float, default=5.0, show_default=True, help="Seconds.")
@click.option("--backoff-cap", type=float, default=900.0, show_default=True, help="Seconds.")
@click.option("--max-attempts", type=int, default=100, show_default=True)
@click.option("--max-client-error-attempts", type=int, default=3, show_default=True)
@click.option("--http-timeout", type=float, default=None, help="Seconds; default from settings.")
@click.option("--worker-id", default=None, help="Name in claims; default host:pid:random.")
@click.option(
    "--registration-id",
    "registration_ids",
    type=int,
    multiple=True,
    help="Only this platform registration's scores (repeatable); default all.",
)
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def worker(
    poll_seconds: float,
    batch_size: int,
    concurrency: int,
    lease_seconds: float,
    backoff_base: float,
    backoff_cap: float,
    max_attempts: int,
    max_client_error_attempts: int,
    http_timeout: float | None,
    worker_id: str | None,
    registration_ids: tuple[int, ...],
    once: bool,
) -> None:
    """The outbox worker with these score options (kept for one release: use
    ``lti-tool worker``, which also delivers certificate mail and CPE Monitor reports)."""
    from lti_tool.outbox.commands import run_worker

    overrides: dict[str, float | int] = {
        "batch_size": batch_size,
        "concurrency": concurrency,
        "lease_seconds": lease_seconds,
        "backoff_base_seconds": backoff_base,
        "backoff_cap_seconds": backoff_cap,
        "max_attempts": max_attempts,
        "max_client_error_attempts": max_client_error_attempts,
    }
    if http_timeout is not None:
        overrides["http_timeout_seconds"] = http_timeout
    run_worker(poll_seconds, once, overrides, worker_id, registration_ids)


@grades.command()
@click.option("--id", "ids", type=int, multiple=True, help="A dead letter to resend (repeatable).")
@click.option("--all-dead", is_flag=True, help="Resend every dead letter.")
def retry(ids: tuple[int, ...], all_dead: bool) -> None:
    """Put dead letters back in the queue with the same score and timestamp."""
    from lti_tool.grades.outbox import resend, resend_all_dead

    if not ids and not all_dead:
        click.echo("error: give --id N (repeatable) or --all-dead", err=True)
        sys.exit(2)
    with _services() as services, services.session_factory.begin() as session:
        requeued = resend_all_dead(session) if all_dead else resend(session, ids)
    skipped = sorted(set(ids) - set(requeued)) if ids else []
    click.echo(f"requeued {len(requeued)}: {requeued}")
    if skipped:
        click.echo(f"not requeued (not dead, or replaced by a newer score): {skipped}")


@grades.command()
@click.option("--limit", type=int, default=50, show_default=True)
def status(limit: int) -> None:
    """Counts per outbox state, then the dead letters and why each died."""
    from lti_tool.grades.outbox import list_dead_letters, outbox_counts

    with _services() as services, services.session_factory() as session:
        counts = outbox_counts(session)
        click.echo("  ".join(f"{name}={count}" for name, count in counts.items()))
        for row in list_dead_letters(session, limit=limit):
            score = row.payload
            click.echo(
                f"dead #{row.id} registration={row.registration_id} user={score.get('userId')}"
                f" score={score.get('scoreGiven')} at={score.get('timestamp')}"
                f" tries={row.attempts}: {row.last_error}"
            )


if __name__ == "__main__":
    grades()
