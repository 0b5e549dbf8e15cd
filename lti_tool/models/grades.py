"""Grade passback state: the score outbox, line items the tool found or created, token cache.

AGS 2.0 https://www.imsglobal.org/spec/lti-ags/v2p0/ §3.4 (score publish service) and
1EdTech Security Framework §4.1 (client-credentials access tokens).

A score is written to ``grade_outbox`` in the same transaction as the attempt that produced
it, with its payload (timestamp included) frozen, so a crash never loses it and a resend is
byte-for-byte the same score. The dispatcher claims rows with a lease; the pair key
(learner, line item) keeps one learner's scores for one line item strictly in order.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, created_at, intpk, utcnow
from lti_tool.models.identity import ResourceLink, User
from lti_tool.models.platform import Registration


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next_attempt_at
    SENDING = "sending"  # claimed by a dispatcher until lease_until
    DELIVERED = "delivered"  # the platform accepted it
    DEAD = "dead"  # gave up; instructors and admins can see it and resend
    SUPERSEDED = "superseded"  # a newer score for the same learner and line item replaced it


LIVE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)


class FailureKind(enum.StrEnum):
    """Why the last try did not deliver; decides how (and whether) to try again."""

    TRANSIENT = "transient"  # timeout, connection error, 5xx: back off and retry
    RATE_LIMITED = "rate_limited"  # 429: wait as long as Retry-After says
    CLIENT_ERROR = "client_error"  # another 4xx: a bounded number of tries
    PERMANENT = "permanent"  # e.g. the learner is not in the course: dead letter at once
    WAITING = "waiting"  # another dispatcher is finding the line item; not a try


class ScoreOutbox(Base):
    """One score to send to a platform's line item, from claim to delivery or dead letter."""

    __tablename__ = "grade_outbox"
    __table_args__ = (
        # Natural key: the event that produced the score (a post-test attempt, completion).
        UniqueConstraint("participation_id", "event_key"),
        # Timestamps for one (line item, learner) pair are strictly increasing.
        UniqueConstraint("pair_key", "score_timestamp"),
        Index("ix_grade_outbox_due", "status", "next_attempt_at"),
        Index("ix_grade_outbox_pair", "pair_key", "id"),
    )

    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    participation_id: Mapped[int | None] = mapped_column(
        ForeignKey("participations.id", ondelete="SET NULL"), default=None
    )
    resource_link_pk: Mapped[int | None] = mapped_column(
        ForeignKey("resource_links.id", ondelete="SET NULL"), default=None
    )
    # "posttest:<attempt public id>" or "completed".
    event_key: Mapped[str] = mapped_column(String(96))
    # One learner on one line item (see outbox.score_pair_key): its rows go out in order.
    pair_key: Mapped[str] = mapped_column(String(64))
    # From the launch's AGS claim when it named a line item; otherwise found or created
    # through lineitems_url (see GradeLineItem) and filled in before the first send.
    line_item_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    lineitems_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # What a created line item is called and how it is found again (AGS resourceId).
    resource_id: Mapped[str] = mapped_column(String(255), default="")
    label: Mapped[str] = mapped_column(String(1024), default="")
    # AGS scopes the launch's claim granted; the access token is asked for with these.
    ags_scopes: Mapped[list[Any]] = mapped_column(default=list)
    # The score exactly as it will be POSTed, frozen at enqueue time (timestamp included).
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    score_timestamp: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=16), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # A try ended without an answer (timeout, crash mid-request): the platform may hold the
    # score already, so "not newer than the last score" then means it arrived.
    maybe_landed: Mapped[bool] = mapped_column(default=False)
    last_failure: Mapped[FailureKind | None] = mapped_column(
        Enum(FailureKind, native_enum=False, length=16), default=None
    )
    last_status: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    resend_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    registration: Mapped[Registration] = relationship()
    user: Mapped[User] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()

    def __repr__(self) -> str:
        return f"<ScoreOutbox #{self.id} {self.event_key} {self.status.value}>"


class GradeLineItem(Base):
    """The line item a resource link's scores go to, when the launch did not name one.

    Found by ``resourceId`` through the platform's line item container, or created there
    (AGS §3.2). The row doubles as a lock: one dispatcher at a time resolves a resource link,
    so two hosts never create two line items for it.
    """

    __tablename__ = "grade_line_items"

    id: Mapped[intpk]
    resource_link_pk: Mapped[int] = mapped_column(
        ForeignKey("resource_links.id", ondelete="CASCADE"), unique=True
    )
    line_item_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # "found" or "created", once resolved.
    how: Mapped[str] = mapped_column(String(16), default="")
    resolving_by: Mapped[str | None] = mapped_column(String(128), default=None)
    resolving_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[created_at]
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class PlatformAccessToken(Base):
    """An OAuth2 access token from a platform, shared by every worker until it expires.

    The natural key is (issuer, client_id, token URL, scope set); it is stored hashed in
    ``cache_key`` because the URLs are too long for a portable unique index.
    """

    __tablename__ = "platform_access_tokens"

    id: Mapped[intpk]
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    issuer: Mapped[str] = mapped_column(String(1024))
    client_id: Mapped[str] = mapped_column(String(255))
    token_url: Mapped[str] = mapped_column(String(2048))
    # Space-separated, sorted: the scopes asked for.
    scopes: Mapped[str] = mapped_column(Text)
    access_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
