"""The outbox dispatcher: claims due scores, sends them, records what happened.

AGS 2.0 §3.4 https://www.imsglobal.org/spec/lti-ags/v2p0/#score-publish-service .

The score queue of the outbox (``lti_tool.outbox``), which owns claiming with a lease, the
backoff and the worker loop. What scores add: a row is never claimed while an older row of
the same (line item, learner) pair is pending or being sent, so one learner's scores reach a
line item one at a time, in timestamp order.

Outcomes. Delivered; or retried with exponential backoff and jitter (timeouts, 5xx), after
``Retry-After`` (429, which also holds back the registration's other rows); or retried a few
times (other 4xx); or a dead letter at once when the platform says the learner cannot be
graded. A row that failed while a newer score for its pair waits is superseded instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import requests
from sqlalchemy import case, exists, func, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from lti_tool.db import utcnow
from lti_tool.grades.ags import AgsClient, AgsError, PlatformConnector
from lti_tool.grades.line_items import LineItemResolver, Placement
from lti_tool.grades.outbox import (
    list_dead_letters,
    outbox_counts,
    resend,
    resend_all_dead,
    score_pair_key,
)
from lti_tool.grades.tokens import TokenCache
from lti_tool.launch.tool_conf import DatabaseToolConf
from lti_tool.models import Registration
from lti_tool.models.grades import (
    LIVE_STATUSES,
    FailureKind,
    OutboxStatus,
    ScoreOutbox,
)
from lti_tool.outbound import OutboundPolicy, PlatformHttp
from lti_tool.outbox import DeadLetter, LeasedTable, RetryPolicy

log = logging.getLogger("lti_tool.grades")

SCORES = LeasedTable(
    ScoreOutbox,
    waiting=OutboxStatus.PENDING,
    taken=OutboxStatus.SENDING,
    has_holder=True,
    count_on_claim=True,
)


@dataclass(frozen=True)
class DispatchPolicy:
    # Rows claimed per round; at most one per (line item, learner) pair.
    batch_size: int = 25
    # Scores sent at the same time by one dispatcher.
    concurrency: int = 4
    # Seconds a claim lasts; a crashed dispatcher's rows are taken over after it.
    # Longer than a few HTTP timeouts, so a slow platform does not cause double sends.
    lease_seconds: float = 120.0
    # First retry delay and the ceiling of the exponential backoff, seconds.
    backoff_base_seconds: float = 5.0
    backoff_cap_seconds: float = 900.0
    # Tries before a dead letter: for timeouts, 5xx and 429 (about a day at the cap) …
    max_attempts: int = 100
    # … and for other 4xx answers, which rarely fix themselves.
    max_client_error_attempts: int = 3
    # A Retry-After longer than this is not believed.
    max_retry_after_seconds: float = 3600.0
    # Timeout of each call to the platform.
    http_timeout_seconds: float = 10.0
    # Delay before looking again when another dispatcher is finding a row's line item.
    line_item_wait_seconds: float = 1.0

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            base=dt.timedelta(seconds=self.backoff_base_seconds),
            cap=dt.timedelta(seconds=self.backoff_cap_seconds),
            max_attempts=self.max_attempts,
            max_retry_after=dt.timedelta(seconds=self.max_retry_after_seconds),
        )

    def backoff(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait after ``attempts`` tries (the outbox's backoff with jitter)."""
        return self.retry.delay(attempts, rng).total_seconds()


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Claimed:
    """What one delivery needs, read once from the claimed row."""

    id: int
    registration_id: int
    user_id: int
    resource_link_pk: int | None
    line_item_url: str | None
    lineitems_url: str | None
    resource_id: str
    label: str
    scopes: tuple[str, ...]
    payload: dict[str, Any]
    attempts: int
    maybe_landed: bool
    pair_key: str


class Dispatcher:
    """The outbox queue of AGS scores (``lti_tool.outbox.Queue``)."""

    name = "scores"
    title = "Scores to gradebooks"

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        tool_conf: DatabaseToolConf,
        policy: DispatchPolicy | None = None,
        *,
        worker_id: str | None = None,
        outbound: OutboundPolicy | None = None,
        http_factory: Callable[[], requests.Session] | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        registration_ids: Collection[int] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.tool_conf = tool_conf
        self.policy = policy or DispatchPolicy()
        self.worker_id = worker_id or default_worker_id()
        self.tokens = TokenCache(session_factory)
        self.line_items = LineItemResolver(session_factory, clock, self.policy.lease_seconds)
        self.clock = clock
        # Only these platforms' scores (one worker per platform, or a test's own platform).
        self.registration_ids = frozenset(registration_ids) if registration_ids else None
        # Every call goes through the one platform client; without a policy, the strict
        # one (public addresses only).
        policy_of_calls = outbound or OutboundPolicy()
        self._http_factory = http_factory or (lambda: PlatformHttp(policy_of_calls))
        self._local = threading.local()
        self._rng = random.Random()  # noqa: S311 (jitter, not security)
        # 429 answers seen by this dispatcher: registration id -> no calls before then.
        self._holds: dict[int, dt.datetime] = {}
        self._pool = (
            ThreadPoolExecutor(self.policy.concurrency, thread_name_prefix="grade-send")
            if self.policy.concurrency > 1
            else None
        )

    # -- one round --------------------------------------------------------------------
    def run_once(self) -> int:
        """Claim a batch and deliver it; returns how many rows were handled."""
        claimed = self.claim()
        if self._pool is None or len(claimed) <= 1:
            for row_id in claimed:
                self.deliver(row_id)
        else:
            list(self._pool.map(self.deliver, claimed))
        return len(claimed)

    def live(self) -> int:
        """Rows of this dispatcher's platforms still pending or being sent."""
        query = (
            select(func.count())
            .select_from(ScoreOutbox)
            .where(ScoreOutbox.status.in_(LIVE_STATUSES))
        )
        if self.registration_ids is not None:
            query = query.where(ScoreOutbox.registration_id.in_(self.registration_ids))
        with self.session_factory() as session:
            return session.scalar(query) or 0

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def claim(self, ids: Collection[int] | None = None) -> list[int]:
        now = self.clock()
        held = [key for key, until in list(self._holds.items()) if until > now]

        def scores_rules(candidate: Any) -> list[Any]:
            older = aliased(ScoreOutbox, name="older")
            rules = [
                ~exists().where(
                    older.pair_key == candidate.pair_key,
                    older.id < candidate.id,
                    older.status.in_(LIVE_STATUSES),
                )
            ]
            if self.registration_ids is not None:
                rules.append(candidate.registration_id.in_(self.registration_ids))
            if held:  # platforms that answered 429 get nothing until their Retry-After
                rules.append(candidate.registration_id.not_in(held))
            return rules

        with self.session_factory.begin() as session:
            return SCORES.claim(
                session,
                now,
                dt.timedelta(seconds=self.policy.lease_seconds),
                limit=self.policy.batch_size,
                holder=self.worker_id,
                ids=ids,
                where=scores_rules,
                # A row whose lease ran out may have reached the platform already.
                values={
                    "maybe_landed": case(
                        (ScoreOutbox.status == OutboxStatus.SENDING, True),
                        else_=ScoreOutbox.maybe_landed,
                    )
                },
            )

    # -- the outbox's view of this queue -----------------------------------------------
    def send_now(self, job_id: int) -> None:
        for row_id in self.claim(ids=[job_id]):
            self.deliver(row_id)

    def counts(self, session: Session) -> dict[str, int]:
        return outbox_counts(session)

    def dead_letters(self, session: Session, limit: int) -> list[DeadLetter]:
        return [
            DeadLetter(
                queue=self.name,
                id=row.id,
                what=f"score {row.payload.get('scoreGiven')} to registration {row.registration_id}",
                attempts=row.attempts,
                error=row.last_error,
                at=row.created_at,
            )
            for row in list_dead_letters(session, limit=limit)
        ]

    def resend(self, session: Session, ids: list[int] | None) -> list[int]:
        return resend_all_dead(session) if ids is None else resend(session, ids)

    # -- one row ----------------------------------------------------------------------
    def _http(self) -> requests.Session:
        http: requests.Session | None = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = self._http_factory()
        return http

    def _load(self, row_id: int) -> tuple[Claimed, Registration] | None:
        """Read a claimed row, renewing its lease from now: a row at the back of a long batch
        is not taken over by another dispatcher while it waits its turn here."""
        lease_end = self.clock() + dt.timedelta(seconds=self.policy.lease_seconds)
        with self.session_factory.begin() as session:
            renewed = session.execute(
                update(ScoreOutbox)
                .where(
                    ScoreOutbox.id == row_id,
                    ScoreOutbox.status == OutboxStatus.SENDING,
                    ScoreOutbox.claimed_by == self.worker_id,
                )
                .values(lease_until=lease_end)
                .execution_options(synchronize_session=False)
            )
            if not renewed.rowcount:  # type: ignore[attr-defined]
                return None  # taken over by another dispatcher after our lease ran out
            row = session.get(ScoreOutbox, row_id)
            assert row is not None
            registration = row.registration
            session.expunge(registration)
            return (
                Claimed(
                    id=row.id,
                    registration_id=row.registration_id,
                    user_id=row.user_id,
                    resource_link_pk=row.resource_link_pk,
                    line_item_url=row.line_item_url,
                    lineitems_url=row.lineitems_url,
                    resource_id=row.resource_id,
                    label=row.label,
                    scopes=tuple(row.ags_scopes or ()),
                    payload=dict(row.payload),
                    attempts=row.attempts,
                    maybe_landed=row.maybe_landed,
                    pair_key=row.pair_key,
                ),
                registration,
            )

    def client_for(self, registration: Registration, scopes: tuple[str, ...]) -> AgsClient:
        connector = PlatformConnector(
            self.tool_conf.to_lti_registration(registration),
            product_family=registration.product_family,
            http=self._http(),
            tokens=self.tokens,
            timeout_seconds=self.policy.http_timeout_seconds,
        )
        return AgsClient(connector, scopes)

    def deliver(self, row_id: int) -> None:
        loaded = self._load(row_id)
        if loaded is None:
            return
        claimed, registration = loaded
        hold = self._holds.get(claimed.registration_id)
        if hold is not None and hold > self.clock():
            self._release(claimed, hold)
            return
        try:
            if not registration.active:
                raise AgsError(FailureKind.PERMANENT, "the platform registration is disabled")
            client = self.client_for(registration, claimed.scopes)
            if claimed.line_item_url is None:
                claimed = self._with_line_item(claimed, self._resolve_line_item(claimed, client))
            assert claimed.line_item_url is not None
            client.post_score(claimed.line_item_url, claimed.payload)
        except AgsError as failure:
            self._failed(claimed, failure)
        except Exception as exc:  # a bug or a database hiccup: keep the row, try later
            log.exception("grade outbox row %s: unexpected error", claimed.id)
            self._failed(claimed, AgsError(FailureKind.TRANSIENT, f"tool error: {exc!r}"))
        else:
            self._delivered(claimed, note="")

    # -- line items ---------------------------------------------------------------------
    def _resolve_line_item(self, claimed: Claimed, client: AgsClient) -> str:
        placement = Placement(
            resource_link_pk=claimed.resource_link_pk,
            lineitems_url=claimed.lineitems_url,
            resource_id=claimed.resource_id,
            label=claimed.label,
        )
        owner = f"{self.worker_id}/{uuid.uuid4().hex[:8]}"
        return self.line_items.resolve(placement, client, owner)

    @staticmethod
    def _with_line_item(claimed: Claimed, url: str) -> Claimed:
        assert claimed.resource_link_pk is not None
        pair_key = score_pair_key(claimed.user_id, url, claimed.resource_link_pk)
        return replace(claimed, line_item_url=url, pair_key=pair_key)

    # -- outcomes ---------------------------------------------------------------------
    def _finish(self, session: Session, claimed: Claimed, **values: Any) -> bool:
        """Write an outcome if this dispatcher still holds the claim."""
        return SCORES.finish(session, claimed.id, self.worker_id, **values)

    def _delivered(self, claimed: Claimed, note: str) -> None:
        now = self.clock()
        with self.session_factory.begin() as session:
            self._finish(
                session,
                claimed,
                status=OutboxStatus.DELIVERED,
                delivered_at=now,
                last_failure=None,
                last_error=note,
            )
            # The platform answers again: rows waiting out an outage's backoff go now,
            # instead of each sleeping out its own delay.
            session.execute(
                update(ScoreOutbox)
                .where(
                    ScoreOutbox.registration_id == claimed.registration_id,
                    ScoreOutbox.status == OutboxStatus.PENDING,
                    ScoreOutbox.last_failure == FailureKind.TRANSIENT,
                    ScoreOutbox.next_attempt_at > now,
                )
                .values(next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )

    def _release(self, claimed: Claimed, at: dt.datetime) -> None:
        """Give a claimed row back untried (it does not count as an attempt)."""
        with self.session_factory.begin() as session:
            self._finish(
                session,
                claimed,
                status=OutboxStatus.PENDING,
                next_attempt_at=at,
                attempts=max(0, claimed.attempts - 1),
            )

    def _failed(self, claimed: Claimed, failure: AgsError) -> None:
        now = self.clock()
        policy = self.policy
        maybe_landed = claimed.maybe_landed or failure.maybe_landed
        if failure.not_newer and claimed.maybe_landed:
            # An earlier try of this very score reached the platform without us hearing the
            # answer (timeout, crash): "not newer than the last score" means it is there.
            self._delivered(claimed, note=f"already at the platform: {failure.reason}")
            return
        if failure.kind is FailureKind.WAITING:
            self._release(claimed, now + dt.timedelta(seconds=policy.line_item_wait_seconds))
            return
        values: dict[str, Any] = {
            "last_failure": failure.kind,
            "last_status": failure.status,
            "last_error": failure.reason[:2000],
            "maybe_landed": maybe_landed,
        }
        limit = (
            policy.max_client_error_attempts
            if failure.kind is FailureKind.CLIENT_ERROR
            else policy.max_attempts
        )
        delay: float | None = None
        if failure.kind is FailureKind.PERMANENT or claimed.attempts >= limit:
            values["status"] = OutboxStatus.DEAD
        else:
            values["status"] = OutboxStatus.PENDING
            delay = policy.retry.delay(
                claimed.attempts, self._rng, failure.retry_after
            ).total_seconds()
            values["next_attempt_at"] = now + dt.timedelta(seconds=delay)
        with self.session_factory.begin() as session:
            newer = session.scalar(
                select(ScoreOutbox.id)
                .where(
                    ScoreOutbox.pair_key == claimed.pair_key,
                    ScoreOutbox.id > claimed.id,
                    ScoreOutbox.status != OutboxStatus.SUPERSEDED,
                )
                .limit(1)
            )
            if newer is not None:
                # The newer score carries the learner's whole current state: send that one.
                values["status"] = OutboxStatus.SUPERSEDED
            self._finish(session, claimed, **values)
            if failure.kind is FailureKind.RATE_LIMITED and delay is not None:
                hold = now + dt.timedelta(seconds=delay)
                self._holds[claimed.registration_id] = hold
                # Honour Retry-After for the whole registration, across dispatchers.
                session.execute(
                    update(ScoreOutbox)
                    .where(
                        ScoreOutbox.registration_id == claimed.registration_id,
                        ScoreOutbox.status == OutboxStatus.PENDING,
                        ScoreOutbox.next_attempt_at < hold,
                    )
                    .values(next_attempt_at=hold)
                    .execution_options(synchronize_session=False)
                )
        level = logging.WARNING if values["status"] == OutboxStatus.DEAD else logging.INFO
        log.log(
            level, "grade outbox row %s: %s -> %s", claimed.id, failure.reason, values["status"]
        )
