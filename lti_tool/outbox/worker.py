"""The one worker loop: a thread of the web process (the embedded default) or
``lti-tool worker`` as its own service, as many as wanted on PostgreSQL (the leases keep
them from delivering one job twice at once; a worker killed mid-round leaves jobs another
one takes over once their lease ends)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from lti_tool.outbox.hub import Outbox

log = logging.getLogger("lti_tool.outbox")

# Seconds between looks when nothing woke the worker (other processes' commits, jobs whose
# backoff ends).
DEFAULT_POLL_SECONDS = 2.0
# Seconds to wait after the database itself failed (locked, restarting).
ERROR_PAUSE_SECONDS = 5.0


class OutboxWorker:
    def __init__(
        self, outbox: Outbox, poll_seconds: float = DEFAULT_POLL_SECONDS, name: str = "outbox"
    ) -> None:
        self.outbox = outbox
        self.poll_seconds = poll_seconds
        self.name = name
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Deliver until :meth:`stop`; a round that found work goes straight on to the next."""
        log.info("outbox worker %s started (queues: %s)", self.name, ", ".join(self.outbox.queues))
        while not self.stopping.is_set():
            try:
                handled = self.outbox.run_once()
            except Exception:
                log.exception("outbox worker: a round failed; pausing")
                self.stopping.wait(ERROR_PAUSE_SECONDS)
                continue
            if handled == 0:
                self.outbox.wakeup.wait(self.poll_seconds)
                self.outbox.wakeup.clear()
        log.info("outbox worker %s stopped", self.name)

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name=f"{self.name}-worker", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.outbox.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)


class Rounds(Protocol):
    """The outbox, or one queue of it."""

    def run_once(self) -> int: ...

    def live(self) -> int: ...


def drain(
    outbox: Rounds, *, timeout: float, pause: float = 0.05, wait_for_backoff: bool = True
) -> int:
    """Run rounds until nothing is left to deliver or ``timeout`` passes; returns jobs handled.

    ``wait_for_backoff=False`` stops at the first round that finds nothing due: jobs waiting
    out a backoff stay for the next run (``lti-tool worker --once``)."""
    deadline = time.monotonic() + timeout
    total = 0
    while time.monotonic() < deadline:
        handled = outbox.run_once()
        total += handled
        if handled == 0:
            if not wait_for_backoff or outbox.live() == 0:
                break
            time.sleep(pause)
    return total


def run_due(outbox: Rounds, *, timeout: float = 60.0) -> int:
    """Deliver what is due now, then return."""
    return drain(outbox, timeout=timeout, wait_for_backoff=False)
