"""Scheduling a follow-up when a learner completes an activity that asks for one."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.catalog import activity_for_version
from lti_tool.course import ActivityInvalid
from lti_tool.db import insert_for, utcnow
from lti_tool.events import EventBus
from lti_tool.journey.events import ActivityCompleted
from lti_tool.models import EvaluationResponse, FollowUpRequest, FollowUpStatus, Participation

log = logging.getLogger("lti_tool.followup")


def subscribe(bus: EventBus) -> None:
    bus.subscribe(ActivityCompleted, lambda session, fact: schedule(session, fact.participation))


def schedule(session: Session, participation: Participation) -> FollowUpRequest | None:
    """Schedule the participation's follow-up if its evaluation answer asks for one; at most
    one per participation, whoever reports the completion."""
    try:
        activity = activity_for_version(participation.activity_version)
    except ActivityInvalid:
        # A stored version this code can no longer read: the completion stands; only its
        # follow-up is skipped (and said so).
        log.warning("participation %s: activity version unreadable, no follow-up", participation.id)
        return None
    wanted = activity.meta.follow_up
    if wanted is None:
        return None
    answers = session.scalar(
        select(EvaluationResponse.answers).where(
            EvaluationResponse.participation_id == participation.id
        )
    )
    if str((answers or {}).get(wanted.question, "")) not in wanted.answers:
        return None
    completed = participation.evaluation_completed_at or utcnow()
    statement = (
        insert_for(session)(FollowUpRequest)
        .values(
            participation_id=participation.id,
            user_id=participation.user_id,
            activity_slug=participation.activity_slug,
            token=secrets.token_urlsafe(32),
            status=FollowUpStatus.SCHEDULED,
            next_attempt_at=completed + timedelta(days=wanted.after_days),
            attempts=0,
            last_error="",
            created_at=utcnow(),
            changed="",
            what_changed="",
            barriers="",
        )
        .on_conflict_do_nothing(index_elements=["participation_id"])
    )
    session.execute(statement)
    return session.scalar(
        select(FollowUpRequest).where(FollowUpRequest.participation_id == participation.id)
    )
