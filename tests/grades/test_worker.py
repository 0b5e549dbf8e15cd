"""The inline outbox worker: a thread of the web process that sends a score as soon as it is
committed, and stops cleanly."""

from __future__ import annotations

import time

from lti_tool.outbox import Outbox, OutboxWorker

from .support import Lms, wait_until


def test_inline_worker_sends_a_committed_score_without_waiting_for_its_poll(lms: Lms) -> None:
    dispatcher = lms.dispatcher()
    outbox = Outbox(dispatcher.session_factory)
    outbox.register(dispatcher)
    worker = OutboxWorker(outbox, poll_seconds=60)
    worker.start()
    try:
        time.sleep(0.2)  # let it finish its first (empty) round and start waiting
        lms.submit_posttest(lms.learner("canvas", "learner01"), correct=8)
        assert wait_until(lambda: len(lms.scores("canvas")) == 1, timeout=5)
    finally:
        started = time.monotonic()
        worker.stop(timeout=5)
        stopped_in = time.monotonic() - started
        outbox.close()
    assert stopped_in < 2
    assert lms.scores("canvas")[0]["score_given"] == "80"
