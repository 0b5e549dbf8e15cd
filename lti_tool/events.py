"""Domain events: a package announces what happened; others subscribe, in the wiring.

The journey publishes ("post-test scored", "activity completed", …) without knowing who
listens; ``build_services`` subscribes the grades package (and whoever comes next). Handlers
run synchronously in the publisher's transaction, so what they write (a score to send) is
committed with the fact or not at all.

The bus travels with the session (``session.info``), set by the tool's session factory:
publishing from a session that has no bus is an error, never a silently lost score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

E = TypeVar("E")
Handler = Callable[[Session, Any], object]

_BUS = "lti_tool.events.bus"


class NoEventBus(RuntimeError):
    """The session was not made by a factory with the tool's event bus."""


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[Session, E], object]) -> None:
        self._handlers[event_type].append(handler)

    def publish(self, session: Session, event: object) -> None:
        for handler in self._handlers.get(type(event), ()):
            handler(session, event)

    def attach(self, session_factory: sessionmaker[Session]) -> None:
        """Every session of ``session_factory`` publishes on this bus."""
        info = dict(session_factory.kw.get("info") or {})
        info[_BUS] = self
        session_factory.configure(info=info)


def publish(session: Session, event: object) -> None:
    bus = session.info.get(_BUS)
    if bus is None:
        raise NoEventBus(
            f"{type(event).__name__} published on a session without the tool's event bus"
        )
    bus.publish(session, event)
