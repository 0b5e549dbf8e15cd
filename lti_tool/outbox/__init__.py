"""One way out of the tool: jobs written in the caller's transaction, claimed with a lease,
retried with backoff, kept as dead letters, resent; see :mod:`lti_tool.outbox.hub`."""

from lti_tool.outbox.claims import LeasedTable
from lti_tool.outbox.hub import Outbox, job_queued
from lti_tool.outbox.queues import DeadLetter, Queue
from lti_tool.outbox.retry import RetryPolicy
from lti_tool.outbox.worker import OutboxWorker, drain, run_due

__all__ = [
    "DeadLetter",
    "LeasedTable",
    "Outbox",
    "OutboxWorker",
    "Queue",
    "RetryPolicy",
    "drain",
    "job_queued",
    "run_due",
]
