"""The outbox: every piece of work that leaves the tool (scores to gradebooks, certificate
mail, CPE Monitor reports) goes out through it.

A job is written in the caller's transaction, by the package that owns it, so the fact and
its delivery are committed together and a crash loses nothing. The outbox owns the rest:
the queues registered in ``create_app``, waking the worker once a transaction that queued a
job commits, delivering a job right after the request that queued it, the background
threads that do so, and the worker loop (:mod:`lti_tool.outbox.worker`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from lti_tool.outbox.queues import DeadLetter, Queue

log = logging.getLogger("lti_tool.outbox")

# The session flag that says "this transaction queued a job".
_QUEUED = "lti_tool.outbox.queued"


def job_queued(session: Session) -> None:
    """Called by whoever adds a job row: wake the worker once this transaction commits."""
    session.info[_QUEUED] = True


class Outbox:
    def __init__(self, session_factory: sessionmaker[Session], *, background_threads: int = 2):
        self.session_factory = session_factory
        self.queues: dict[str, Queue] = {}
        self.wakeup = threading.Event()
        self._background = ThreadPoolExecutor(
            max_workers=background_threads, thread_name_prefix="outbox-now"
        )
        event.listen(session_factory, "after_commit", self._after_commit)
        event.listen(session_factory, "after_transaction_end", self._after_transaction)

    # -- wiring ---------------------------------------------------------------------------
    def register(self, queue: Queue) -> None:
        if queue.name in self.queues:
            raise ValueError(f"queue {queue.name!r} is registered twice")
        self.queues[queue.name] = queue

    def replace(self, queue: Queue) -> None:
        """Swap a registered queue for another of the same name (a worker's own options)."""
        self.queue(queue.name).close()
        self.queues[queue.name] = queue

    def queue(self, name: str) -> Queue:
        try:
            return self.queues[name]
        except KeyError:
            raise KeyError(f"no outbox queue {name!r}; known: {sorted(self.queues)}") from None

    # -- waking -------------------------------------------------------------------------
    def _after_commit(self, session: Session) -> None:
        if session.info.get(_QUEUED):
            self.wakeup.set()

    def _after_transaction(self, session: Session, transaction: SessionTransaction) -> None:
        # After every outbox listening on this factory saw the commit (or a rollback).
        if transaction.parent is None:
            session.info.pop(_QUEUED, None)

    def wake(self) -> None:
        self.wakeup.set()

    # -- delivering now ---------------------------------------------------------------
    def deliver_now(self, queue: str, job_id: int) -> None:
        """Deliver one committed job in this thread (e.g. a mail written to a folder, which
        the next page shows); a failure leaves it to the worker."""
        try:
            self.queue(queue).send_now(job_id)
        except Exception:
            log.exception(
                "outbox %s job %s: immediate delivery failed; the worker retries", queue, job_id
            )

    def deliver_soon(self, *jobs: tuple[str, int]) -> Future[None]:
        """Deliver committed jobs one after the other on a background thread, without making
        the learner wait (SMTP, CPE Monitor); whatever fails is left to the worker."""

        def run() -> None:
            for queue, job_id in jobs:
                self.deliver_now(queue, job_id)

        return self._background.submit(run)

    def in_background(self, work: Callable[[], object]) -> Future[object]:
        """Run ``work`` (nothing durable depends on it) on the outbox's background threads."""

        def run() -> object:
            try:
                return work()
            except Exception:
                log.exception("outbox background work failed")
                return None

        return self._background.submit(run)

    # -- rounds, counts, dead letters --------------------------------------------------
    def run_once(self) -> int:
        """One round over every queue; a failing queue does not stop the others."""
        handled = 0
        for queue in self.queues.values():
            try:
                handled += queue.run_once()
            except Exception:
                log.exception("outbox queue %s: a round failed", queue.name)
        return handled

    def live(self) -> int:
        return sum(queue.live() for queue in self.queues.values())

    def counts(self, session: Session) -> dict[str, dict[str, int]]:
        return {name: queue.counts(session) for name, queue in self.queues.items()}

    def dead_letters(self, session: Session, limit: int = 50) -> list[DeadLetter]:
        letters = [
            letter
            for queue in self.queues.values()
            for letter in queue.dead_letters(session, limit)
        ]
        return sorted(letters, key=lambda letter: (letter.queue, letter.id))

    def resend(self, session: Session, queue: str, ids: list[int] | None) -> list[int]:
        requeued = self.queue(queue).resend(session, ids)
        if requeued:
            job_queued(session)
        return requeued

    def close(self) -> None:
        self._background.shutdown(wait=True)
        for queue in self.queues.values():
            queue.close()
        event.remove(self.session_factory, "after_commit", self._after_commit)
        event.remove(self.session_factory, "after_transaction_end", self._after_transaction)
