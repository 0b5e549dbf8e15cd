"""The score outbox: what the journey writes when a score must reach the gradebook.

AGS 2.0 §3.4 https://www.imsglobal.org/spec/lti-ags/v2p0/#score-publish-service .
The journey calls :func:`enqueue_for_posttest` and :func:`enqueue_completion` inside the
transaction that records the attempt or the completion, so the score is stored exactly when
the fact is, and a crash before delivery loses nothing. The dispatcher delivers it later.

Each score carries the learner's whole current state (best post-test percentage and
activity progress), so a newer score replaces older undelivered ones for the same learner
and line item, which are marked superseded. Timestamps for a pair strictly increase, a
second or more apart (see :data:`payloads.MIN_TIMESTAMP_STEP`).

Dead letters are listed and resent from here (the dashboard, the admin console and
``lti-tool grades retry`` call the same functions; ``lti-tool outbox`` goes through the
outbox, which calls them too).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lti_tool import protocol
from lti_tool.db import utcnow
from lti_tool.events import EventBus
from lti_tool.grades import payloads
from lti_tool.models import (
    Attempt,
    AttemptKind,
    Participation,
    ParticipationPlacement,
    ResourceLink,
)
from lti_tool.models.grades import GradeLineItem, OutboxStatus, ScoreOutbox
from lti_tool.outbox import job_queued

log = logging.getLogger("lti_tool.grades")

POSTTEST = AttemptKind.POSTTEST.value
COMPLETED_EVENT = "completed"
# A placement the learner launched for the first time, after scoring elsewhere.
PLACEMENT_JOINED_EVENT = "placement"


def enqueue_for_posttest(
    session: Session, participation: Participation, attempt: Attempt, best: Fraction
) -> list[ScoreOutbox]:
    """Queue ``best``, the best post-test score after ``attempt`` was submitted, for every
    placement the learner came through."""
    return [
        row
        for link in _grade_targets(session, participation)
        if (
            row := _enqueue(
                session,
                participation,
                link,
                f"{POSTTEST}:{attempt.public_id}",
                _progress(participation),
                best,
            )
        )
        is not None
    ]


def enqueue_completion(
    session: Session, participation: Participation, best: Fraction | None
) -> list[ScoreOutbox]:
    """Queue activityProgress Completed (with the best score) when the journey ends."""
    return [
        row
        for link in _grade_targets(session, participation)
        if (
            row := _enqueue(
                session,
                participation,
                link,
                COMPLETED_EVENT,
                protocol.ACTIVITY_PROGRESS_COMPLETED,
                best,
            )
        )
        is not None
    ]


def enqueue_for_new_placement(
    session: Session, participation: Participation, link: ResourceLink, best: Fraction | None
) -> ScoreOutbox | None:
    """A learner launched through a placement for the first time: its column gets the
    learner's current state, when there is one to report (a submitted post-test)."""
    if best is None or not _takes_scores(link):
        return None
    return _enqueue(
        session, participation, link, PLACEMENT_JOINED_EVENT, _progress(participation), best
    )


def _progress(participation: Participation) -> str:
    if participation.evaluation_completed_at is not None:
        return protocol.ACTIVITY_PROGRESS_COMPLETED
    return protocol.ACTIVITY_PROGRESS_SUBMITTED


def _takes_scores(link: ResourceLink) -> bool:
    """Whether the placement offered AGS with the score scope (else no grade is sent)."""
    if not (link.lineitem_url or link.lineitems_url):
        return False
    if protocol.SCOPE_SCORE not in (link.ags_scopes or []):
        log.info("resource link %s: the platform granted no score scope; no grade sent", link.id)
        return False
    return True


def _grade_targets(session: Session, participation: Participation) -> list[ResourceLink]:
    """Every placement the learner launched this activity through that takes scores.

    Progress is per activity, so each of the learner's placements shows the same best score
    and completion (docs/grades.md, "One score per placement"). The placement the learner
    last came through is always one of them.
    """
    link_pks = set(
        session.scalars(
            select(ParticipationPlacement.resource_link_pk).where(
                ParticipationPlacement.participation_id == participation.id
            )
        )
    )
    if participation.resource_link_pk is not None:
        link_pks.add(participation.resource_link_pk)
    if not link_pks:
        return []
    links = session.scalars(
        select(ResourceLink).where(ResourceLink.id.in_(link_pks)).order_by(ResourceLink.id)
    )
    return [link for link in links if _takes_scores(link)]


def score_pair_key(user_id: int, line_item_url: str | None, resource_link_pk: int) -> str:
    """The learner and the line item a score goes to; their scores are sent one at a time.

    When the line item is not known yet (the launch named none and it is still to be found
    or created), the placement stands in for it: it is the placement's line item.
    """
    target = line_item_url or f"resource-link:{resource_link_pk}"
    return hashlib.sha256(f"{user_id}\n{target}".encode()).hexdigest()


def _resolved_line_item(session: Session, resource_link_pk: int) -> str | None:
    return session.scalar(
        select(GradeLineItem.line_item_url).where(
            GradeLineItem.resource_link_pk == resource_link_pk
        )
    )


def _enqueue(
    session: Session,
    participation: Participation,
    link: ResourceLink,
    event_key: str,
    activity_progress: str,
    best: Fraction | None,
) -> ScoreOutbox | None:
    # One row per fact and placement: the fact's key names the placement it goes to.
    event_key = f"{event_key}@{link.id}"
    existing = session.scalar(
        select(ScoreOutbox).where(
            ScoreOutbox.participation_id == participation.id, ScoreOutbox.event_key == event_key
        )
    )
    if existing is not None:  # the same fact reported twice queues one score
        return existing
    # On PostgreSQL, two submits of one learner in two tabs must not both read the same
    # last timestamp: the participation row lock orders them (SQLite has one writer anyway).
    session.execute(
        select(Participation.id).where(Participation.id == participation.id).with_for_update()
    )
    line_item_url = link.lineitem_url or _resolved_line_item(session, link.id)
    pair_key = score_pair_key(participation.user_id, line_item_url, link.id)
    # Rows queued before the placement's line item was found still carry the placement's
    # key until a dispatcher rebinds them; they are the same pair.
    same_pair = {pair_key, score_pair_key(participation.user_id, None, link.id)}
    previous = session.scalar(
        select(func.max(ScoreOutbox.score_timestamp)).where(ScoreOutbox.pair_key.in_(same_pair))
    )
    timestamp = payloads.next_score_timestamp(utcnow(), previous)
    score_given: Decimal | None = payloads.percent(best) if best is not None else None
    user = participation.user
    payload = payloads.score_payload(
        sub=user.sub,
        score_given=score_given,
        activity_progress=activity_progress,
        timestamp=timestamp,
    )
    session.execute(
        update(ScoreOutbox)
        .where(
            ScoreOutbox.pair_key.in_(same_pair),
            ScoreOutbox.status.in_((OutboxStatus.PENDING, OutboxStatus.DEAD)),
        )
        .values(status=OutboxStatus.SUPERSEDED, last_error="replaced by a newer score")
        .execution_options(synchronize_session=False)
    )
    row = ScoreOutbox(
        registration_id=link.registration_id,
        user_id=participation.user_id,
        participation_id=participation.id,
        resource_link_pk=link.id,
        event_key=event_key,
        pair_key=pair_key,
        line_item_url=line_item_url,
        lineitems_url=link.lineitems_url,
        resource_id=participation.activity_slug,
        label=link.title or participation.activity_slug,
        ags_scopes=list(link.ags_scopes or []),
        payload=payload,
        score_timestamp=timestamp,
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow(),
    )
    session.add(row)
    session.flush()
    job_queued(session)
    return row


# -- dead letters -------------------------------------------------------------------------
def list_dead_letters(
    session: Session,
    *,
    registration_id: int | None = None,
    context_pk: int | None = None,
    resource_link_pk: int | None = None,
    limit: int = 200,
) -> list[ScoreOutbox]:
    """Scores the tool gave up on, newest first; scope them to a course for an instructor."""
    query = select(ScoreOutbox).where(ScoreOutbox.status == OutboxStatus.DEAD)
    if registration_id is not None:
        query = query.where(ScoreOutbox.registration_id == registration_id)
    if resource_link_pk is not None:
        query = query.where(ScoreOutbox.resource_link_pk == resource_link_pk)
    if context_pk is not None:
        query = query.join(ResourceLink, ScoreOutbox.resource_link_pk == ResourceLink.id).where(
            ResourceLink.context_pk == context_pk
        )
    return list(session.scalars(query.order_by(ScoreOutbox.id.desc()).limit(limit)))


def resend(session: Session, ids: Iterable[int]) -> list[int]:
    """Put dead letters back in the queue, unchanged (same timestamp, same score).

    Only dead rows are touched; a row whose learner has a newer score since is superseded
    instead, because sending the older score would overwrite the newer one.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = session.scalars(
        select(ScoreOutbox)
        .where(ScoreOutbox.id.in_(wanted), ScoreOutbox.status == OutboxStatus.DEAD)
        .with_for_update()
    ).all()
    requeued: list[int] = []
    now = utcnow()
    for row in rows:
        newer = session.scalar(
            select(ScoreOutbox.id)
            .where(
                ScoreOutbox.pair_key == row.pair_key,
                ScoreOutbox.id > row.id,
                ScoreOutbox.status != OutboxStatus.SUPERSEDED,
            )
            .limit(1)
        )
        if newer is not None:
            row.status = OutboxStatus.SUPERSEDED
            continue
        row.status = OutboxStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        row.claimed_by = None
        row.lease_until = None
        row.last_failure = None
        row.resend_count += 1
        requeued.append(row.id)
    session.flush()
    if requeued:
        job_queued(session)
    return requeued


def resend_all_dead(session: Session, **scope: Any) -> list[int]:
    dead = list_dead_letters(session, limit=10_000, **scope)
    return resend(session, [row.id for row in dead])


def outbox_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(ScoreOutbox.status, func.count()).group_by(ScoreOutbox.status)
    ).all()
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({status.value: count for status, count in rows})
    return counts


# -- what the journey announces ----------------------------------------------------------
def subscribe(bus: EventBus) -> None:
    """Queue a score for each fact the journey announces (wired in ``build_services``)."""
    from lti_tool.journey.events import ActivityCompleted, PlacementJoined, PosttestScored

    bus.subscribe(
        PosttestScored,
        lambda session, fact: enqueue_for_posttest(
            session, fact.participation, fact.attempt, fact.best
        ),
    )
    bus.subscribe(
        ActivityCompleted,
        lambda session, fact: enqueue_completion(session, fact.participation, fact.best),
    )
    bus.subscribe(
        PlacementJoined,
        lambda session, fact: enqueue_for_new_placement(
            session, fact.participation, fact.link, fact.best
        ),
    )
