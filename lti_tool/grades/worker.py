"""The score queue as the outbox runs it: built from the tool's services.

The worker loop itself is the outbox's (``lti_tool.outbox.worker``): a thread of the web
process in the embedded default, ``lti-tool worker`` in production.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from lti_tool.extensions import ToolServices
from lti_tool.grades.dispatcher import Dispatcher, DispatchPolicy
from lti_tool.outbox import drain

__all__ = ["dispatcher_for", "drain", "policy_for"]


def policy_for(services: ToolServices, **overrides: Any) -> DispatchPolicy:
    settings = services.settings
    base = DispatchPolicy(
        http_timeout_seconds=float(settings.http_timeout_seconds),
        lease_seconds=float(settings.score_lease_seconds),
    )
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
