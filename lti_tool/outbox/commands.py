"""``lti-tool worker`` (deliver every queue until stopped) and ``lti-tool outbox``."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flask import Flask

    from lti_tool.extensions import ToolServices


@contextmanager
def _app() -> Iterator[tuple[Flask, ToolServices]]:
    """The tool, wired as the web process is, without the web process's own worker; its
    threads stop and its database connections close when the command ends."""
    from lti_tool import create_app
    from lti_tool.config import Settings

    app = create_app(replace(Settings.from_env(), inline_grade_worker=False))
    services: ToolServices = app.extensions["lti_tool"]
    try:
        yield app, services
    finally:
        services.outbox.close()
        services.engine.dispose()


def run_worker(
    poll_seconds: float,
    once: bool,
    score_policy: dict[str, Any] | None = None,
    worker_id: str | None = None,
    registration_ids: tuple[int, ...] = (),
) -> None:
    """The worker loop (or one pass with ``once``) over every registered queue."""
    with _app() as (_app_, services):
        _run(services, poll_seconds, once, score_policy, worker_id, registration_ids)


def _run(
    services: ToolServices,
    poll_seconds: float,
    once: bool,
    score_policy: dict[str, Any] | None,
    worker_id: str | None,
    registration_ids: tuple[int, ...],
) -> None:
    from lti_tool.grades.worker import dispatcher_for, policy_for
    from lti_tool.outbox import OutboxWorker, run_due

    outbox = services.outbox
    if score_policy or worker_id or registration_ids:
        outbox.replace(
            dispatcher_for(
                services,
                policy_for(services, **(score_policy or {})),
                worker_id,
                registration_ids or None,
            )
        )
    if once:
        handled = run_due(outbox)
        click.echo(f"handled {handled} jobs")
        return
    loop = OutboxWorker(outbox, poll_seconds=poll_seconds, name="worker")

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        loop.stopping.set()
        outbox.wake()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"outbox worker running (queues: {', '.join(outbox.queues)})", err=True)
    loop.run()


@click.command()
@click.option("--poll-seconds", type=float, default=2.0, show_default=True)
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def worker(poll_seconds: float, once: bool) -> None:
    """Deliver every queue of the outbox until stopped (SIGTERM or Ctrl-C finish the round):
    scores to gradebooks, certificate mail, CPE Monitor reports."""
    run_worker(poll_seconds, once)


@click.group()
def outbox() -> None:
    """The outbox: what is waiting to leave the tool, and what was given up on."""


@outbox.command()
@click.option("--limit", type=int, default=50, show_default=True)
def status(limit: int) -> None:
    """Jobs per queue and state, then the dead letters and why each died."""
    with _app() as (_app_, services), services.session_factory() as session:
        for name, counts in services.outbox.counts(session).items():
            states = "  ".join(f"{state}={count}" for state, count in counts.items())
            click.echo(f"{name}: {states}")
        for letter in services.outbox.dead_letters(session, limit):
            click.echo(
                f"dead {letter.queue} #{letter.id} {letter.what} tries={letter.attempts}:"
                f" {letter.error}"
            )


@outbox.command()
@click.argument("queue")
@click.option("--id", "ids", type=int, multiple=True, help="A dead letter to resend (repeatable).")
@click.option("--all-dead", is_flag=True, help="Resend every dead letter of the queue.")
def resend(queue: str, ids: tuple[int, ...], all_dead: bool) -> None:
    """Queue dead letters of QUEUE (scores, certificate_mail) again."""
    if not ids and not all_dead:
        click.echo("error: give --id N (repeatable) or --all-dead", err=True)
        sys.exit(2)
    with _app() as (_app_, services):
        if queue not in services.outbox.queues:
            click.echo(f"error: no queue {queue!r}; known: {', '.join(services.outbox.queues)}")
            sys.exit(2)
        with services.session_factory.begin() as session:
            requeued = services.outbox.resend(session, queue, None if all_dead else list(ids))
        click.echo(f"requeued {len(requeued)}: {requeued}")
