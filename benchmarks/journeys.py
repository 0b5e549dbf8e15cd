"""Journey load: N learners at once, each taking the whole CME activity over real HTTP.

Each learner is launched by the sandbox LMS (a real LTI 1.3 launch: OIDC login, signed
id_token) and then does every request a browser does (benchmarks/journey_learner.py):
disclosures, pre-test with drafts, every content section, post-test with drafts and submit,
result, evaluation with drafts and submit, activity record, credit claim, certificate page
and PDF. One thread and one ``requests.Session`` per learner, so the harness stays light
on the CPU it shares with the server it measures.

Targets, each started fresh for every run and stopped after (benchmarks/journey_targets.py):

- ``sqlite``: the embedded default, ``lti-tool serve`` on a new instance folder;
- ``postgres``: gunicorn on ``--database-url`` (its ``public`` schema is DROPPED and
  rebuilt by the migrations: give it a scratch database), the sandbox LMS in its own
  process, one ``lti-tool worker``.

Prints, per run: journeys completed, errors by step (status code and the page's first
line), p50/p95/p99 per step, wall time, scores the LMS received, the database connection
high-water mark, and the most frequent error lines of the servers' logs. Everything is on
loopback, bounded by ``--max-seconds`` per run, and stops by itself.

    .venv/bin/python benchmarks/journeys.py --learners 50 --target sqlite
    .venv/bin/python benchmarks/journeys.py --target both \\
        --database-url 'postgresql+psycopg://postgres@/bench?host=/tmp/pg-sock&port=5432'
    .venv/bin/python benchmarks/journeys.py --find-max --steps 25 50 100 150
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.journey_learner import JourneyFailed, Learner, the_activity  # noqa: E402
from benchmarks.journey_targets import (  # noqa: E402
    Embedded,
    Postgres,
    Target,
    database_state,
    learner_names,
    log_summary,
)
from lti_tool.course import Activity  # noqa: E402
from lti_tool.sandbox.driver import SandboxDriver  # noqa: E402

# The order steps are printed in: the order a learner takes them.
STEPS = (
    "launch",
    "disclosures",
    "pretest draft",
    "pretest submit",
    "content section",
    "posttest",
    "posttest draft",
    "posttest submit",
    "evaluation",
    "evaluation draft",
    "evaluation submit",
    "claim form",
    "claim submit",
    "certificate pdf",
)


# One thread each on a loopback server that shares the machine: a bound, not a limit to reach.
MAX_LEARNERS = 400


@dataclass
class Outcome:
    learners: int
    completed: int = 0
    unfinished: int = 0  # still walking when --max-seconds ran out
    errors: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    timings: dict[str, list[float]] = field(default_factory=dict)
    wall: float = 0.0
    scores: int = 0
    scores_owed: int = 0
    connections: dict[str, int] = field(default_factory=dict)
    log_lines: list[str] = field(default_factory=list)
    database: str = ""
    # The machine's 1-minute load average as the run started and ended: other work on the
    # same cores shows in every figure above.
    load: tuple[float, float] = (0.0, 0.0)

    @property
    def clean(self) -> bool:
        return self.completed == self.learners and not self.errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def walk(
    target: Target,
    activity: Activity,
    flavour: str,
    username: str,
    timeout: Callable[[], float],
) -> tuple[Learner, JourneyFailed | None]:
    driver = SandboxDriver(target.sandbox_url, flavour)
    learner = Learner(driver, username, activity, timeout=timeout)
    try:
        learner.run()
    except JourneyFailed as failed:
        return learner, failed
    finally:
        learner.browser.close()
        driver.http.close()
    return learner, None


def run_once(target: Target, learners: int, ramp: float, max_seconds: float) -> Outcome:
    """Start the target, let ``learners`` walk (spread over ``ramp`` s), stop the target."""
    outcome = Outcome(learners)
    activity = the_activity()
    results: list[tuple[Learner, JourneyFailed | None]] = []
    lock = threading.Lock()
    load_at_start = os.getloadavg()[0]
    target.start()
    try:
        assert target.watcher is not None
        target.watcher.start()
        started = time.monotonic()
        deadline = started + max_seconds

        def remaining() -> float:
            # Every request ends by the deadline, so a stuck server cannot hold the run.
            left = deadline - time.monotonic()
            if left <= 0:
                raise JourneyFailed("deadline", "unfinished", f"--max-seconds {max_seconds:g}")
            return min(120.0, left)

        def one(index: int, flavour: str, username: str) -> None:
            time.sleep(ramp * index / max(1, learners))
            learner, failed = walk(target, activity, flavour, username, remaining)
            if (
                failed is not None
                and failed.status in ("timeout", "no answer")
                and time.monotonic() >= deadline - 1
            ):
                # The request was cut short by --max-seconds, not refused by the server.
                failed = JourneyFailed("deadline", "unfinished", failed.first_line)
            with lock:
                results.append((learner, failed))

        threads = [
            threading.Thread(target=one, args=(index, flavour, username), daemon=True)
            for index, (flavour, username) in enumerate(learner_names(learners))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, deadline + 5 - time.monotonic()))
        outcome.wall = time.monotonic() - started
        outcome.load = (load_at_start, os.getloadavg()[0])
        outcome.connections = target.watcher.stop()
        with lock:
            finished = list(results)
        outcome.unfinished = learners - len(finished)
        for learner, failed in finished:
            for step, values in learner.timings.items():
                outcome.timings.setdefault(step, []).extend(values)
            outcome.scores_owed += learner.scores_owed
            if failed is None:
                outcome.completed += 1
            elif failed.step == "deadline":
                outcome.unfinished += 1
            else:
                outcome.errors[(failed.step, failed.status, failed.first_line)] += 1
        outcome.scores = scores_received(target, outcome.scores_owed)
        outcome.database = database_state(target.database_url)
    finally:
        target.stop()
        outcome.log_lines = log_summary(target.logs)
    return outcome


def scores_received(target: Target, expected: int, wait: float = 30.0) -> int:
    """Scores of the bench learners at the LMS, waiting a little for the grade worker."""
    deadline = time.monotonic() + wait
    while True:
        count = sum(
            1
            for flavour in ("canvas", "moodle")
            for score in SandboxDriver(target.sandbox_url, flavour).scores()
            if str(score.get("username", "")).startswith("bench")
        )
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(1)


def report(target: Target, outcome: Outcome) -> None:
    print(f"\n== {target.name}: {outcome.learners} learners — {target.description}")
    print(
        f"completed journeys: {outcome.completed}/{outcome.learners}"
        f" (failed {sum(outcome.errors.values())}, unfinished at the deadline "
        f"{outcome.unfinished}); wall {outcome.wall:.1f} s; scores at the LMS "
        f"{outcome.scores} (at least {outcome.scores_owed} owed; waited up to 30 s)"
    )
    print(f"database after the run: {outcome.database}")
    peaks = ", ".join(f"{name} {value}" for name, value in sorted(outcome.connections.items()))
    print(f"database connections, high-water mark: {peaks or 'none seen'}")
    print(
        f"load average (1 min) {outcome.load[0]:.1f} at the start, {outcome.load[1]:.1f} at "
        f"the end, on {os.cpu_count()} CPUs"
    )
    if outcome.errors:
        print("errors by step (learners stopped there):")
        for (step, status, line), count in sorted(outcome.errors.items()):
            print(f"  {count:>4} x {step}: {status} {line}")
    else:
        print("errors by step: none")
    print(f"{'step':<18} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for step in (*STEPS, *sorted(set(outcome.timings) - set(STEPS))):
        values = outcome.timings.get(step)
        if not values:
            continue
        print(
            f"{step:<18} {len(values):>8} "
            + " ".join(f"{percentile(values, q) * 1000:>8.0f}" for q in (0.5, 0.95, 0.99, 1.0))
        )
    if outcome.log_lines:
        print("server logs, most frequent error lines:")
        for line in outcome.log_lines:
            print("  " + line)


def make_target(name: str, root: Path, learners: int, options: argparse.Namespace) -> Target:
    if name == "sqlite":
        return Embedded(root, learners)
    return Postgres(root, learners, options.database_url, options.workers, options.threads)


def main() -> None:
    class Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
        pass

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=Help)
    parser.add_argument("--learners", type=int, default=100, help="learners at once")
    parser.add_argument("--target", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL for --target postgres/both, e.g. "
        "postgresql+psycopg://postgres@/bench?host=/tmp/sock&port=5432 (schema is rebuilt)",
    )
    parser.add_argument(
        "--ramp", type=float, default=0.0, help="seconds over which learners start (0: at once)"
    )
    parser.add_argument("--max-seconds", type=float, default=900.0, help="per run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (postgres)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument(
        "--find-max", action="store_true", help="step --steps until a run has errors"
    )
    parser.add_argument("--steps", type=int, nargs="+", default=[25, 50, 100, 150])
    parser.add_argument("--keep", action="store_true", help="keep the run folders and logs")
    options = parser.parse_args()
    targets = ["sqlite", "postgres"] if options.target == "both" else [options.target]
    if "postgres" in targets and not options.database_url:
        parser.error("--target postgres needs --database-url (a scratch database)")
    counts = options.steps if options.find_max else [options.learners]
    if not all(0 < count <= MAX_LEARNERS for count in counts):
        parser.error(f"learners are counted from 1 to {MAX_LEARNERS}")

    largest: dict[str, int] = {}
    for name in targets:
        for learners in counts:
            root = Path(tempfile.mkdtemp(prefix=f"journeys-{name}-{learners}-"))
            target = make_target(name, root, learners, options)
            try:
                outcome = run_once(target, learners, options.ramp, options.max_seconds)
            finally:
                if options.keep:
                    print(f"(run folder and logs kept in {root})")
                else:
                    shutil.rmtree(root, ignore_errors=True)
            report(target, outcome)
            if not outcome.clean:
                break
            largest[name] = learners
    if options.find_max:
        print()
        for name in targets:
            found = largest.get(name)
            print(
                f"{name}: largest N with 0 errors: {found}"
                if found
                else f"{name}: errors already at N={counts[0]}"
            )


if __name__ == "__main__":
    main()
