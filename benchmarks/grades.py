"""Benchmark of the grade outbox dispatcher against the sandbox LMS served on loopback.

Measures, with real HTTP, real tokens and the tool's real database:

1. throughput: a backlog of post-test scores (one per learner and line item) is drained by
   one dispatcher; scores delivered per second, median of ``--runs`` runs; against a
   baseline measured in the same runs: the same scores POSTed straight to the platform
   through the same AGS client and token cache, from as many threads, with no outbox;
2. recovery: the same backlog is queued while every score call answers 503 for
   ``--outage`` seconds (the inline worker keeps retrying with its backoff); the time from
   the platform's recovery to the last score delivered is the drain time.

Each extra ``--tools`` registration is another tool placement in every sandbox course, so
the backlog has 26 learners x 2 flavours x tools distinct (learner, line item) pairs.

    .venv/bin/python benchmarks/grades.py                      # SQLite in a temporary folder
    .venv/bin/python benchmarks/grades.py --database-url postgresql+psycopg://…  (empty database)
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from lti_tool import create_app, protocol
from lti_tool.config import PROJECT_ROOT, Settings
from lti_tool.db import transaction, utcnow
from lti_tool.extensions import ToolServices
from lti_tool.grades.dispatcher import Dispatcher, DispatchPolicy
from lti_tool.grades.worker import drain
from lti_tool.journey import events
from lti_tool.launch.records import record_launch, resolve_deployment
from lti_tool.migrate import upgrade
from lti_tool.models import ActivityVersion, Attempt, Participation, Registration, ScoreOutbox
from lti_tool.models.grades import OutboxStatus
from lti_tool.outbox import Outbox, OutboxWorker
from lti_tool.sandbox import (
    SandboxSettings,
    ToolSettings,
    create_sandbox_app,
    platform_registration,
    register_tool,
    sandbox_of,
)
from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.flavours import flavour_named
from lti_tool.sandbox.launches import id_token_claims, resolve_and_start
from lti_tool.sandbox.models import LaunchHint
from lti_tool.sandbox_link import add_sandbox_platform

FLAVOURS = ("canvas", "moodle")
LEARNERS = [f"learner{n:02d}" for n in range(1, 27)]


def serve(host: str, build: Callable[[str], Flask]) -> tuple[str, Callable[[], None]]:
    """Bind first, build the app knowing its URL, then serve from a daemon thread."""
    server = make_server(host, 0, lambda environ, start: [], threaded=True)
    base_url = f"http://{host}:{server.server_port}"
    server.app = build(base_url)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return base_url, stop


@dataclass
class Bench:
    services: ToolServices
    sandbox_app: Flask
    sandbox_url: str
    registration_ids: list[int]
    participation_ids: list[int]

    def dispatcher(self, policy: DispatchPolicy) -> Dispatcher:
        return Dispatcher(
            self.services.session_factory,
            self.services.tool_conf,
            policy,
            registration_ids=self.registration_ids,
            outbound=self.services.outbound,
        )

    def queue_backlog(self) -> int:
        """One new post-test per participation, each in its own transaction as in the app."""
        for participation_id in self.participation_ids:
            with transaction(self.services.session_factory) as session:
                participation = session.get(Participation, participation_id)
                assert participation is not None
                attempt = Attempt(
                    public_id=uuid.uuid4().hex,
                    participation_id=participation_id,
                    activity_version_id=participation.activity_version_id,
                    kind="posttest",
                    number=len(participation.attempts) + 1,
                    correct=7 + participation_id % 4,
                    total=10,
                    passed=True,
                    submitted_at=utcnow(),
                )
                session.add(attempt)
                session.flush()
                events.posttest_submitted(session, participation, attempt)
        return len(self.participation_ids)

    def received(self) -> int:
        """Scores the sandbox gradebook holds, both flavours."""
        return sum(len(SandboxDriver(self.sandbox_url, name).scores()) for name in FLAVOURS)


def build(root: Path, database_url: str | None, tools: int) -> tuple[Bench, Callable[[], None]]:
    database_url = database_url or f"sqlite:///{root / 'tool.sqlite3'}"
    upgrade(database_url)
    holder: dict[str, Flask] = {}

    def tool_app(base_url: str) -> Flask:
        settings = Settings(
            instance_dir=root / "instance",
            database_url=database_url,
            base_url=base_url,
            keys_dir=root / "keys",
            secret_key="benchmark-secret-key-that-is-long-enough-to-pass-checks",
            activities_dir=PROJECT_ROOT / "configs" / "activities",
            sandbox_enabled=False,
            inline_grade_worker=False,
        ).resolved()
        holder["app"] = create_app(settings)
        return holder["app"]

    tool_url, stop_tool = serve("127.0.0.1", tool_app)
    services: ToolServices = holder["app"].extensions["lti_tool"]
    sandbox_app = create_sandbox_app(
        SandboxSettings(
            base_url="http://localhost:0",
            database_path=root / "sandbox.sqlite",
            keys_dir=root / "sandbox-keys",
            tool=ToolSettings(tool_url),
        )
    )
    server = make_server("127.0.0.1", 0, sandbox_app, threaded=True)
    sandbox_url = sandbox_of(sandbox_app).bind_base_url(f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    for level_name in ("werkzeug", "lti_tool", "lti_tool.grades"):
        logging.getLogger(level_name).setLevel(logging.ERROR)

    client_ids: list[tuple[str, str | None]] = []
    for flavour in FLAVOURS:
        client_ids.append((flavour, None))  # the primary tool registered at start-up
        for number in range(tools - 1):
            extra = register_tool(
                sandbox_app, flavour, tool_base_url=tool_url, name=f"CME tool {number}",
                primary=False,
            )  # fmt: skip
            client_ids.append((flavour, extra.client_id))

    registration_ids: list[int] = []
    participation_ids: list[int] = []
    for index, (flavour, client_id) in enumerate(client_ids):
        details = platform_registration(sandbox_app, flavour, client_id)
        with transaction(services.session_factory) as session:
            registration = add_sandbox_platform(
                session, details, "", auto_approve_deployments=False
            )
            registration_ids.append(registration.id)
            version = ActivityVersion(
                slug=f"bench-{index}",
                content_hash=uuid.uuid4().hex,
                title="Benchmark activity",
                is_current=False,
            )
            session.add(version)
            session.flush()
            version_id = version.id
        for username in LEARNERS:
            participation_ids.append(
                _launch(services, sandbox_app, flavour, client_id, username, version_id)
            )

    def stop() -> None:
        server.shutdown()
        server.server_close()
        stop_tool()

    bench = Bench(services, sandbox_app, sandbox_url, registration_ids, participation_ids)
    return bench, stop


def _launch(
    services: ToolServices,
    sandbox_app: Flask,
    flavour: str,
    client_id: str | None,
    username: str,
    version_id: int,
) -> int:
    """Record the platform's own launch claims for a learner; returns a participation id."""
    sandbox = sandbox_of(sandbox_app)
    chosen = flavour_named(flavour)
    with sandbox.session() as lms_session:
        initiation = resolve_and_start(
            lms_session, sandbox, chosen, user=username, role="learner", client_id=client_id
        )
        hint = lms_session.get(LaunchHint, initiation.hint_id)
        claims = id_token_claims(lms_session, sandbox, chosen, hint, nonce=uuid.uuid4().hex)
    details = platform_registration(sandbox_app, flavour, client_id)
    with transaction(services.session_factory) as session:
        registration = session.scalars(
            select(Registration).where(
                Registration.issuer == details["issuer"],
                Registration.client_id == details["client_id"],
            )
        ).one()
        deployment = resolve_deployment(session, registration, claims[protocol.CLAIM_DEPLOYMENT_ID])
        launch = record_launch(session, registration, deployment, claims, 3600)
        version = session.get(ActivityVersion, version_id)
        assert version is not None and launch.resource_link_pk is not None
        participation = Participation(
            user_id=launch.user_id,
            activity_slug=version.slug,
            activity_version_id=version.id,
            resource_link_pk=launch.resource_link_pk,
        )
        session.add(participation)
        session.flush()
        return participation.id


def direct_rate(bench: Bench, policy: DispatchPolicy) -> float:
    """Scores per second sent with no outbox: the last backlog's scores again, fresh
    timestamps, through ``AgsClient.post_score`` from ``policy.concurrency`` threads."""
    dispatcher = bench.dispatcher(policy)
    with bench.services.session_factory() as session:
        rows = session.scalars(
            select(ScoreOutbox)
            .where(ScoreOutbox.status == OutboxStatus.DELIVERED)
            .order_by(ScoreOutbox.id.desc())
            .limit(len(bench.participation_ids))
        ).all()
        jobs = [
            (row.registration, tuple(row.ags_scopes), row.line_item_url, dict(row.payload))
            for row in rows
        ]
    # Moodle refuses a score not newer than the last one at one-second resolution.
    time.sleep(1.1)

    def send(job: tuple[Registration, tuple[str, ...], str, dict[str, Any]]) -> None:
        registration, scopes, line_item_url, payload = job
        payload["timestamp"] = utcnow().isoformat(timespec="milliseconds")
        dispatcher.client_for(registration, scopes).post_score(line_item_url, payload)

    started = time.perf_counter()
    with ThreadPoolExecutor(policy.concurrency) as pool:
        list(pool.map(send, jobs))
    elapsed = time.perf_counter() - started
    dispatcher.close()
    # The next backlog's scores must be newer than these at Moodle's one-second resolution.
    time.sleep(1.1)
    return len(jobs) / elapsed


def throughput(bench: Bench, policy: DispatchPolicy, runs: int) -> tuple[list[float], list[float]]:
    rates, baseline = [], []
    for _ in range(runs):
        before = bench.received()
        queued = bench.queue_backlog()
        dispatcher = bench.dispatcher(policy)
        started = time.perf_counter()
        drain(dispatcher, timeout=300, pause=0.01)
        elapsed = time.perf_counter() - started
        dispatcher.close()
        arrived = bench.received() - before
        if arrived != queued:
            raise SystemExit(f"expected {queued} scores at the platform, got {arrived}")
        rates.append(queued / elapsed)
        baseline.append(direct_rate(bench, policy))
    return rates, baseline


def recovery(bench: Bench, policy: DispatchPolicy, outage_seconds: float) -> dict[str, Any]:
    driver = SandboxDriver(bench.sandbox_url, "canvas")
    before = bench.received()
    driver.set_fault(path_contains="/scores", status=503, count=10**9)
    dispatcher = bench.dispatcher(policy)
    outbox = Outbox(dispatcher.session_factory)
    outbox.register(dispatcher)
    worker = OutboxWorker(outbox, poll_seconds=0.2)
    worker.start()
    queued = bench.queue_backlog()
    time.sleep(outage_seconds)
    refused = len([call for call in driver.calls() if call["faulted"]])
    driver.clear_faults()
    recovered = time.perf_counter()
    while dispatcher.live():
        if time.perf_counter() - recovered > 600:
            raise SystemExit("the backlog did not drain within 10 minutes")
        time.sleep(0.02)
    drained_in = time.perf_counter() - recovered
    worker.stop()
    outbox.close()
    arrived = bench.received() - before
    if arrived != queued:
        raise SystemExit(
            f"expected {queued} scores at the platform after the outage, got {arrived}"
        )
    return {"queued": queued, "refused_during_outage": refused, "drain_seconds": drained_in}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--tools", type=int, default=4, help="tool registrations per flavour")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--outage", type=float, default=10.0, help="seconds of 503s")
    parser.add_argument(
        "--backoff-base", type=float, default=DispatchPolicy.backoff_base_seconds,
        help="first retry delay in the outage run (the production default)",
    )  # fmt: skip
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="grades-bench-") as folder:
        bench, stop = build(Path(folder), args.database_url, args.tools)
        try:
            policy = DispatchPolicy(
                batch_size=args.batch_size,
                concurrency=args.concurrency,
                backoff_base_seconds=args.backoff_base,
                http_timeout_seconds=10,
            )
            backlog = len(bench.participation_ids)
            database = bench.services.engine.dialect.name
            print(
                f"backlog {backlog} scores ({args.tools} registrations x 2 flavours x 26 learners),"
                f" concurrency {args.concurrency}, batch {args.batch_size}, {database}"
            )
            rates, baseline = throughput(bench, policy, args.runs)
            print(
                f"throughput: median {statistics.median(rates):.1f} scores/s over {args.runs} runs "
                f"(min {min(rates):.1f}, max {max(rates):.1f})"
            )
            print(
                f"baseline (no outbox, same client): median {statistics.median(baseline):.1f} "
                f"scores/s (min {min(baseline):.1f}, max {max(baseline):.1f}); "
                f"outbox/baseline {statistics.median(rates) / statistics.median(baseline):.2f}"
            )
            outcome = recovery(bench, policy, args.outage)
            print(
                f"outage of {args.outage:.0f} s (every score call 503, "
                f"{outcome['refused_during_outage']} calls refused): backlog of "
                f"{outcome['queued']} drained {outcome['drain_seconds']:.2f} s after recovery "
                f"(backoff base {args.backoff_base} s)"
            )
        finally:
            stop()


if __name__ == "__main__":
    main()
