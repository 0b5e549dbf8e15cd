"""Capacity of the production topology (docs/deployment.md), on this machine.

Brings up what ``tests/topology`` brings up (nginx with TLS from a test CA, two gunicorn hosts
of 2 workers x 4 threads, two ``lti-tool worker`` processes, the sandbox LMS over HTTPS) on
the PostgreSQL server given, then:

- baseline: ``GET /health`` through nginx and TLS, one keep-alive session per thread;
- learners: whole journeys (launch to certificate PDF, every request a browser makes,
  benchmarks/journey_learner.py) by ``--learners`` learners, ``--concurrency`` at a time.

Prints requests/s of each, the journeys' p50/p95 per step, and the time until every score
reached the LMS. Every process shares this machine's CPUs, so the figures are a floor.

    .venv/bin/python benchmarks/topology.py --database-url postgresql+psycopg://… \
        [--learners 20] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.journey_learner import Learner, the_activity  # noqa: E402
from lti_tool.models.grades import OutboxStatus  # noqa: E402
from tests.topology.topology import (  # noqa: E402
    FLAVOURS,
    Topology,
    create_database,
    drop_database,
    make_certificates,
    trusting,
)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def health_rate(topology: Topology, seconds: float, threads: int) -> float:
    deadline = time.monotonic() + seconds

    def hammer(_: int) -> int:
        session, done = topology.https(), 0
        while time.monotonic() < deadline:
            if session.get(topology.tool_url + "/health", timeout=10).status_code == 200:
                done += 1
        return done

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(hammer, range(threads))) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server (postgres db)")
    parser.add_argument("--learners", type=int, default=20, help="at most 26 per flavour x 2")
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="lti-topology-"))
    database_url = create_database(options.database_url)
    topology = Topology(root, database_url, make_certificates(root / "tls"))
    try:
        topology.start()
        baseline = health_rate(topology, 10, options.concurrency)
        walkers = []
        for index in range(options.learners):
            flavour = FLAVOURS[index % 2]
            walker = Learner(
                topology.driver(flavour), f"learner{index // 2 + 1:02d}", the_activity()
            )
            trusting(walker.browser, topology.tls.ca)
            walkers.append(walker)
        started = time.monotonic()
        with ThreadPoolExecutor(options.concurrency) as pool:
            list(pool.map(lambda walker: walker.run(), walkers))
        walked = time.monotonic() - started
        settled = {OutboxStatus.DELIVERED, OutboxStatus.SUPERSEDED}
        while {row.status for row in topology.score_rows()} - settled:
            time.sleep(0.2)
        scores_done = time.monotonic() - started

        steps: dict[str, list[float]] = {}
        for walker in walkers:
            for step, values in walker.timings.items():
                steps.setdefault(step, []).extend(values)
        requests_made = sum(len(values) for values in steps.values())
        print(
            f"topology: nginx TLS -> 2 gunicorn hosts (2 workers x 4 threads), 2 workers, "
            f"PostgreSQL; {os.cpu_count()} CPUs shared by every process"
        )
        print(f"baseline GET /health through nginx: {baseline:8.1f} requests/s")
        print(
            f"journeys: {options.learners} learners, {options.concurrency} at a time: "
            f"{walked:.1f} s, {options.learners / walked:.2f} journeys/s, "
            f"{requests_made / walked:.1f} requests/s ({requests_made / walked / baseline:.2f}"
            f" of the baseline's); every score at the LMS after {scores_done:.1f} s"
        )
        print(f"{'step':<22} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}")
        for step, values in steps.items():
            print(
                f"{step:<22} {len(values):>5} {statistics.median(values) * 1000:>8.1f} "
                f"{_percentile(values, 0.95) * 1000:>8.1f}"
            )
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        topology.stop()
        drop_database(options.database_url, database_url)


if __name__ == "__main__":
    main()
