"""What learners do in an activity: versions, participation, attempts, evaluations, audit.

Accreditors require participation records for six years, so attempts and the audit
log are never rewritten: a reloaded activity is a new ``ActivityVersion`` and each
participation and attempt keeps the version it was taken on.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, created_at, intpk, utcnow
from lti_tool.models.identity import ResourceLink, User


class AttemptKind(enum.StrEnum):
    """What ``Attempt.kind`` holds: the one spelling of each test's name."""

    PRETEST = "pretest"
    POSTTEST = "posttest"


class ActivityVersion(Base):
    """One loaded version of an activity folder, identified by its content hash."""

    __tablename__ = "activity_versions"
    __table_args__ = (UniqueConstraint("slug", "content_hash"),)

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(128), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(1024))
    # Every file of the folder (relative path -> text), so a past version stays readable
    # after its files change on disk. A few hundred KB of JSON: pages leave it unloaded
    # (journey.state) and catalog.cache reads it only on a miss.
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source_dir: Mapped[str] = mapped_column(String(2048), default="")
    is_current: Mapped[bool] = mapped_column(default=True)
    loaded_at: Mapped[created_at]
    # Which command loaded it, and for whom ("lti-tool activities load configs/… (ana@host)").
    loaded_by: Mapped[str] = mapped_column(String(512), default="")
    # Closed to new learners by an operator (those who started keep going); empty: open.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    retired_by: Mapped[str] = mapped_column(String(255), default="")

    # Loaded with the version, in the same query: pages read it after their session has
    # handed the row over.
    sign_off: Mapped[ActivitySignOff | None] = relationship(
        back_populates="activity_version", lazy="joined"
    )


class ActivitySignOff(Base):
    """A named reviewer's sign-off of one activity version (its content hash).

    Until a version has one, it is a demonstration: every page and certificate says it is not
    valid for credit. Recorded by ``lti-tool activities approve``, never edited; an edited
    folder is a new version that needs its own sign-off.
    """

    __tablename__ = "activity_sign_offs"

    id: Mapped[intpk]
    activity_version_id: Mapped[int] = mapped_column(
        ForeignKey("activity_versions.id"), unique=True
    )
    reviewer: Mapped[str] = mapped_column(String(255))
    signed_on: Mapped[dt.date]
    recorded_at: Mapped[created_at]

    activity_version: Mapped[ActivityVersion] = relationship(back_populates="sign_off")


class Participation(Base):
    """A learner's way through one activity (across any number of launches)."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("user_id", "activity_slug"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    activity_slug: Mapped[str] = mapped_column(String(128))
    activity_version_id: Mapped[int] = mapped_column(ForeignKey("activity_versions.id"))
    # The placement the learner last came through; scores go to its line item.
    resource_link_pk: Mapped[int | None] = mapped_column(
        ForeignKey("resource_links.id", ondelete="SET NULL"), default=None
    )
    started_at: Mapped[created_at]
    disclosures_acknowledged_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime(), default=None
    )
    pretest_skipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    sections_viewed: Mapped[list[Any]] = mapped_column(default=list)
    last_viewed_section: Mapped[str | None] = mapped_column(String(128), default=None)
    seconds_on_content: Mapped[int] = mapped_column(default=0)
    evaluation_completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Answers of the evaluation form while it is being filled in (saved on each change), so
    # an ended session or a closed tab loses nothing; emptied when the evaluation is stored.
    evaluation_draft: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credit_claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    activity_version: Mapped[ActivityVersion] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="participation", order_by="Attempt.id", cascade="all, delete-orphan"
    )


class ParticipationPlacement(Base):
    """A placement (resource link) through which the learner launched this participation.

    Progress is per activity, across placements, so every placement the learner came
    through gets the learner's current best score and completion in its own gradebook
    column: sent when the learner first launches through it, and whenever they change.
    """

    __tablename__ = "participation_placements"
    __table_args__ = (UniqueConstraint("participation_id", "resource_link_pk"),)

    id: Mapped[intpk]
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participations.id", ondelete="CASCADE")
    )
    resource_link_pk: Mapped[int] = mapped_column(
        ForeignKey("resource_links.id", ondelete="CASCADE"), index=True
    )
    first_launched_at: Mapped[created_at]


# Spelled as the queries' conditions render (``passed.is_(True)``), so that each database
# sees the query's condition imply the index's.
PRETEST_TAKEN = "kind = 'pretest' AND submitted_at IS NOT NULL"
POSTTEST_PASSED = {
    "postgresql": "kind = 'posttest' AND passed IS true",
    "sqlite": "kind = 'posttest' AND passed IS 1",
}


class Attempt(Base):
    """A pre-test or post-test attempt. Opened when shown (fixing its question order),
    submitted once: a second submit of the same attempt changes nothing."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("participation_id", "kind", "number"),
        # The outcomes funnel's "pre-test taken" and "post-test passed": small partial
        # indexes the database reads whole, rather than the attempts table (revision 0010).
        Index(
            "ix_attempts_pretest_taken",
            "participation_id",
            postgresql_where=text(PRETEST_TAKEN),
            sqlite_where=text(PRETEST_TAKEN),
        ),
        Index(
            "ix_attempts_posttest_passed",
            "participation_id",
            postgresql_where=text(POSTTEST_PASSED["postgresql"]),
            sqlite_where=text(POSTTEST_PASSED["sqlite"]),
        ),
    )

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participations.id", ondelete="CASCADE")
    )
    activity_version_id: Mapped[int] = mapped_column(ForeignKey("activity_versions.id"))
    kind: Mapped[str] = mapped_column(String(16))  # an AttemptKind
    number: Mapped[int]
    question_order: Mapped[list[Any]] = mapped_column(default=list)
    # Question id -> choice keys in the order shown (shuffled per attempt); empty for
    # attempts from before shuffling, which showed the author's order.
    choice_order: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    correct: Mapped[int | None] = mapped_column(default=None)
    total: Mapped[int | None] = mapped_column(default=None)
    passed: Mapped[bool | None] = mapped_column(default=None)
    opened_at: Mapped[created_at]
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    participation: Mapped[Participation] = relationship(back_populates="attempts")
    activity_version: Mapped[ActivityVersion] = relationship()


class EvaluationResponse(Base):
    __tablename__ = "evaluation_responses"

    id: Mapped[intpk]
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participations.id", ondelete="CASCADE"), unique=True
    )
    activity_version_id: Mapped[int] = mapped_column(ForeignKey("activity_versions.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_at: Mapped[created_at]


class AuditEvent(Base):
    """Append-only record of each step (accreditors ask for six years of records)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_participation", "participation_id", "id"),)

    id: Mapped[intpk]
    at: Mapped[created_at]
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    participation_id: Mapped[int | None] = mapped_column(
        ForeignKey("participations.id", ondelete="SET NULL"), default=None
    )
    event: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
