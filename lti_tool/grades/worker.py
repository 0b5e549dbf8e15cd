"""Running the dispatcher: a thread inside the web process, or ``lti-tool grades worker``.

The embedded default (one process on a laptop) sends scores from a daemon thread that
wakes when a score is committed. Production runs ``lti-tool grades worker`` as its own
service, as many as wanted on PostgreSQL: the outbox claims keep them from sending the same
score twice at once, and a worker killed mid-batch leaves rows another one takes over once
their lease ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any

from lti_tool.extensions import ToolServices
from lti_tool.grades import outbox
from lti_tool.grades.dispatcher import Dispatcher, DispatchPolicy

log = logging.getLogger("lti_tool.grades")

# Seconds between looks at the outbox when nothing woke the worker (other processes'
# commits, rows whose backoff ends).
DEFAULT_POLL_SECONDS = 2.0
# Seconds between runs of the side jobs (certificate mail retries, CPE Monitor reports):
# their rows wait minutes between tries, so a look every half minute is plenty.
SIDE_JOB_SECONDS = 30.0
# Seconds to wait after the database itself failed (locked, restarting) before trying again.
ERROR_PAUSE_SECONDS = 5.0


class GradeWorker:
    """Delivers scores; between rounds runs ``side_jobs``, the other outboxes' passes (given
    by whoever wires the worker, so grades need not know about certificates)."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        side_jobs: Sequence[Callable[[], object]] = (),
        side_job_seconds: float = SIDE_JOB_SECONDS,
    ) -> None:
        self.dispatcher = dispatcher
        self.poll_seconds = poll_seconds
        self.side_jobs = tuple(side_jobs)
        self.side_job_seconds = side_job_seconds
        self._side_jobs_due = 0.0
        self.stopping = threading.Event()
        self._wakeup = threading.Event()
        self._thread: threading.Thread | None = None
        outbox.subscribe(self._wakeup)

    def run(self) -> None:
        """Deliver until :meth:`stop`; a full batch goes straight on to the next one."""
        log.info("grade worker %s started", self.dispatcher.worker_id)
        while not self.stopping.is_set():
            try:
                handled = self.dispatcher.run_once()
            except Exception:
                log.exception("grade worker: a round failed; pausing")
                self.stopping.wait(ERROR_PAUSE_SECONDS)
                continue
            self._run_side_jobs()
            if handled < self.dispatcher.policy.batch_size:
                self._wakeup.wait(self.poll_seconds)
                self._wakeup.clear()
        self.dispatcher.close()
        log.info("grade worker %s stopped", self.dispatcher.worker_id)

    def _run_side_jobs(self) -> None:
        if not self.side_jobs or time.monotonic() < self._side_jobs_due:
            return
        self._side_jobs_due = time.monotonic() + self.side_job_seconds
        for job in self.side_jobs:
            try:
                job()
            except Exception:  # one failing outbox must not stop score delivery
                log.exception("worker side job %s failed", getattr(job, "__name__", job))

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name="grade-worker", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wakeup.set()


def policy_for(services: ToolServices, **overrides: Any) -> DispatchPolicy:
    base = DispatchPolicy(http_timeout_seconds=float(services.settings.http_timeout_seconds))
    return replace(base, **overrides)


def dispatcher_for(
    services: ToolServices,
    policy: DispatchPolicy | None = None,
    worker_id: str | None = None,
    registration_ids: Collection[int] | None = None,
) -> Dispatcher:
    return Dispatcher(
        services.session_factory,
        services.tool_conf,
        policy or policy_for(services),
        worker_id=worker_id,
        registration_ids=registration_ids,
        outbound=services.outbound,
    )


def start_inline_worker(
    services: ToolServices, side_jobs: Sequence[Callable[[], object]] = ()
) -> GradeWorker | None:
    """The embedded default: send scores from a thread of the web process."""
    if not services.settings.inline_grade_worker:
        return None
    worker = GradeWorker(dispatcher_for(services), side_jobs=side_jobs)
    worker.start()
    return worker


def drain(dispatcher: Dispatcher, *, timeout: float, pause: float = 0.05) -> int:
    """Run rounds until nothing is due or ``timeout`` passes; returns rows handled."""
    deadline = time.monotonic() + timeout
    total = 0
    while time.monotonic() < deadline:
        handled = dispatcher.run_once()
        total += handled
        if handled == 0:
            if dispatcher.live_rows() == 0:
                break
            time.sleep(pause)
    return total
