"""A dispatcher that dies mid-batch loses nothing: its rows are taken over after their lease,
and a score that may have landed is resent unchanged (never as a different score)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from lti_tool.grades.worker import drain
from lti_tool.models.grades import OutboxStatus

from .support import FAST, Lms, wait_until


def _worker(lms: Lms, env: dict[str, str], log: Path, lease: float) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "lti-tool"), "grades", "worker",
        "--lease-seconds", str(lease), "--concurrency", "4", "--poll-seconds", "0.1",
        "--backoff-base", "0.05", "--backoff-cap", "0.4", "--http-timeout", "5",
    ]  # fmt: skip
    for registration_id in lms.registration_ids.values():
        command += ["--registration-id", str(registration_id)]
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603 (our own console script)
            command, env=env, stdout=output, stderr=subprocess.STDOUT
        )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _statuses(lms: Lms) -> list[OutboxStatus]:
    return [row.status for row in lms.rows()]


def test_worker_killed_mid_batch_is_replaced_without_loss_or_changed_scores(
    lms: Lms, worker_env: dict[str, str], tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    learners = [
        lms.learner(flavour, f"learner{n:02d}")
        for flavour in ("canvas", "moodle")
        for n in range(1, 9)
    ]
    for number, learner in enumerate(learners):
        lms.submit_posttest(learner, correct=number % 10)
    # Score calls stall, so the worker is killed with requests in flight.
    lms.driver("canvas").set_fault(path_contains="/scores", delay_seconds=1.5, count=8)
    log = tmp_path / "workers.log"

    doomed = _worker(lms, worker_env, log, lease=3.0)
    processes.append(doomed)
    started = wait_until(
        lambda: OutboxStatus.DELIVERED in _statuses(lms) and OutboxStatus.SENDING in _statuses(lms),
        timeout=15,
    )
    assert started, log.read_text()
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(10)
    left = _statuses(lms)
    assert OutboxStatus.SENDING in left  # claimed rows the dead worker never finished

    successor = _worker(lms, worker_env, log, lease=3.0)
    processes.append(successor)
    finished = wait_until(lambda: set(_statuses(lms)) == {OutboxStatus.DELIVERED}, timeout=25)
    assert finished, log.read_text()
    successor.send_signal(signal.SIGTERM)
    assert successor.wait(15) == 0  # a graceful stop after the current batch

    rows = lms.rows()
    assert len(rows) == len(learners)
    for flavour in ("canvas", "moodle"):
        sent = {
            (r.payload["userId"], r.payload["timestamp"], str(r.payload["scoreGiven"]))
            for r in rows
            if r.registration_id == lms.registration_ids[flavour]
        }
        scores = lms.scores(flavour)
        received = {(s["user_id"], s["timestamp"], s["score_given"]) for s in scores}
        # Every score arrived, and nothing arrived that was not a queued score.
        assert received == sent
        if flavour == "moodle":
            # Moodle refuses (409) a resend of a score it has: each learner has one.
            assert len(scores) == len(sent)


def test_an_expired_lease_is_taken_over_and_the_late_owner_sends_nothing(lms: Lms) -> None:
    learner = lms.learner("canvas", "learner10")
    row = lms.submit_posttest(learner, correct=6)
    assert row is not None
    short = replace(FAST, lease_seconds=0.3)
    crashed, successor = lms.dispatcher(short), lms.dispatcher(short)

    assert crashed.claim() == [row.id]  # ... and then it hangs or dies before sending
    assert successor.claim() == []  # the lease still holds
    assert wait_until(lambda: successor.run_once() == 1, timeout=5)
    crashed.deliver(row.id)  # wakes up late: the row is no longer its own

    (taken_over,) = lms.rows()
    assert taken_over.status is OutboxStatus.DELIVERED
    assert taken_over.maybe_landed  # its first owner might have sent it
    assert taken_over.attempts == 2
    assert [s["score_given"] for s in lms.scores("canvas", "learner10")] == ["60"]
    assert len(lms.calls("/scores")) == 1


def test_a_newer_score_waits_while_an_older_one_for_the_same_learner_is_in_flight(
    lms: Lms,
) -> None:
    learner = lms.learner("moodle", "learner11")
    older = lms.submit_posttest(learner, correct=5)
    first, second = lms.dispatcher(), lms.dispatcher()
    assert older is not None and first.claim() == [older.id]
    newer = lms.submit_posttest(learner, correct=9)
    assert newer is not None

    assert second.claim() == []  # never two scores of one pair on the wire at once
    first.deliver(older.id)
    drain(second, timeout=10)

    assert [s["score_given"] for s in lms.scores("moodle", "learner11")] == ["50", "90"]
