"""Follow-up of learners' commitments to change practice (one per participation).

Scheduled when a learner completes the evaluation with an answer the activity follows up
(``follow_up`` in activity.yaml); mailed by the outbox when due; answered or opted out of
through the link in the mail, which carries ``token`` (the only credential: no launch, no
sign-in, the learner opens it from their mailbox).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, UTCDateTime, created_at, intpk


class FollowUpStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for its due time (next_attempt_at), or a retry
    SENDING = "sending"  # taken by a sender until lease_until
    SENT = "sent"  # mailed; waiting for the learner's answer
    ANSWERED = "answered"  # the learner said what changed
    OPTED_OUT = "opted_out"  # the learner asked for no follow-up; nothing is ever sent after
    NO_ADDRESS = "no_address"  # no email address known for the learner when it fell due
    FAILED = "failed"  # every try failed; listed in the console


class FollowUpRequest(Base):
    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_due", "status", "next_attempt_at"),)

    id: Mapped[intpk]
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participations.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    activity_slug: Mapped[str] = mapped_column(String(128))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[FollowUpStatus] = mapped_column(
        Enum(FollowUpStatus, native_enum=False, length=16), default=FollowUpStatus.SCHEDULED
    )
    # When it falls due, then when to try again after a failure.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The learner's answers: did practice change (yes / partly / no), what, and barriers.
    changed: Mapped[str] = mapped_column(String(16), default="")
    what_changed: Mapped[str] = mapped_column(Text, default="")
    barriers: Mapped[str] = mapped_column(Text, default="")
