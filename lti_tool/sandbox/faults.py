"""Fault injection and the call log: how tests make the platform misbehave and see what it got.

A fault rule makes the next ``count`` matching requests fail (a status, optionally with
``Retry-After``) and/or answer slowly (``delay_seconds``; a delayed request without a status
is then handled normally, as a slow LMS would, so a tool that timed out may have landed the
score anyway). Rules without ``path_contains`` match only the platform's service endpoints
(token, AGS, NRPS); with it, they match any request whose path and query contain the text.

Every request except ``/_sandbox/*`` is appended to the call log (method, path with query,
status), in order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, Response, current_app, jsonify, request

TEST_HOOK_PREFIX = "/_sandbox"
_SERVICE_ATTRIBUTE = "_sandbox_service_endpoint"

F = TypeVar("F", bound=Callable[..., Any])


def service_endpoint(view: F) -> F:
    """Mark a view as a platform service call, the default target of fault rules."""
    setattr(view, _SERVICE_ATTRIBUTE, True)
    return view


@dataclass
class FaultRule:
    count: int = 1
    status: int | None = None
    delay_seconds: float = 0.0
    retry_after: int | None = None
    path_contains: str | None = None
    method: str | None = None
    body: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        rule = cls(**data)
        if rule.count < 1:
            raise ValueError("count must be at least 1")
        if rule.status is None and rule.delay_seconds <= 0:
            raise ValueError("a fault needs a status, a delay_seconds, or both")
        if rule.status is not None and not 400 <= rule.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        return rule

    def matches(self, method: str, path_with_query: str, is_service: bool) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.path_contains is None:
            return is_service
        return self.path_contains in path_with_query


class FaultInjector:
    """Thread-safe list of fault rules; each match uses up one of the rule's count."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def take(self, method: str, path_with_query: str, is_service: bool) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path_with_query, is_service):
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                    return rule
        return None


@dataclass
class CallRecord:
    seq: int
    method: str
    path: str
    status: int
    at: str
    faulted: bool = False
    user_agent: str | None = None


@dataclass
class CallLog:
    records: list[CallRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def append(self, **fields: Any) -> None:
        with self._lock:
            self.records.append(CallRecord(seq=len(self.records) + 1, **fields))

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(record) for record in self.records if record.seq > seq]

    def clear(self) -> None:
        with self._lock:
            self.records.clear()


def _path_with_query() -> str:
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def _is_service_request() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, _SERVICE_ATTRIBUTE, False))


def install(app: Flask, faults: FaultInjector, calls: CallLog) -> None:
    """Wire fault injection and call logging into the app's request cycle."""

    @app.before_request
    def inject_fault() -> Response | None:
        if request.path.startswith(TEST_HOOK_PREFIX):
            return None
        rule = faults.take(request.method, _path_with_query(), _is_service_request())
        if rule is None:
            return None
        request.environ["sandbox.faulted"] = True
        if rule.delay_seconds > 0:
            time.sleep(rule.delay_seconds)
        if rule.status is None:
            return None
        response = jsonify(rule.body or {"error": "injected fault", "status": rule.status})
        response.status_code = rule.status
        if rule.retry_after is not None:
            response.headers["Retry-After"] = str(rule.retry_after)
        return response

    @app.after_request
    def log_call(response: Response) -> Response:
        if not request.path.startswith(TEST_HOOK_PREFIX) and request.endpoint != "static":
            calls.append(
                method=request.method,
                path=_path_with_query(),
                status=response.status_code,
                at=datetime.now(UTC).isoformat(),
                faulted=bool(request.environ.get("sandbox.faulted")),
                user_agent=request.headers.get("User-Agent"),
            )
        return response
