"""The follow-up mail as a queue of the outbox: sent once when due, never after opt-out."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.catalog import activity_for_version
from lti_tool.certificates.mail import (
    DeliveryFailed,
    MailSettings,
    SavedToFolder,
    Sent,
    send_with_retries,
)
from lti_tool.course.dates import long_date
from lti_tool.db import utcnow
from lti_tool.followup.message import FollowUpLetter, follow_up_message
from lti_tool.models import (
    EvaluationResponse,
    FollowUpRequest,
    FollowUpStatus,
    LearnerProfile,
    Participation,
    User,
)
from lti_tool.outbox import DeadLetter, LeasedTable, RetryPolicy

log = logging.getLogger("lti_tool.followup")

FOLLOW_UPS = LeasedTable(
    FollowUpRequest, waiting=FollowUpStatus.SCHEDULED, taken=FollowUpStatus.SENDING
)
LEASE = timedelta(minutes=5)
# Nobody waits for this mail: retry every few hours for about two days, then give up.
RETRY = RetryPolicy(base=timedelta(minutes=15), cap=timedelta(hours=6), max_attempts=10)
BATCH = 20
_rng = random.Random()  # noqa: S311 (jitter, not security)


class FollowUpQueue:
    name = "follow_up_mail"
    title = "Follow-up of commitments to change"

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        mail_settings: Callable[[], MailSettings],
        base_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session_factory = session_factory
        self.mail_settings = mail_settings
        self.base_url = base_url.rstrip("/")
        self.clock = clock

    # -- delivering -----------------------------------------------------------------------
    def run_once(self) -> int:
        if not self.live():
            return 0  # a read, so the worker's idle rounds take no write lock
        now = self.clock()
        with self.session_factory.begin() as session:
            taken = FOLLOW_UPS.claim(session, now, LEASE, limit=BATCH)
        for job_id in taken:
            self._deliver(job_id)
        return len(taken)

    def send_now(self, job_id: int) -> None:
        with self.session_factory.begin() as session:
            taken = FOLLOW_UPS.take_one(session, job_id, self.clock(), LEASE)
        if taken:
            self._deliver(job_id)

    def _deliver(self, job_id: int) -> None:
        try:
            letter = self._letter(job_id)
        except Exception:
            log.exception("follow-up %s could not be written", job_id)
            self._record(job_id, DeliveryFailed("the message could not be written", 1, False))
            return
        if letter is None:
            with self.session_factory.begin() as session:
                FOLLOW_UPS.finish(session, job_id, None, status=FollowUpStatus.NO_ADDRESS)
            return
        settings = self.mail_settings()
        self._record(job_id, send_with_retries(follow_up_message(letter, settings), settings, 1))

    def _letter(self, job_id: int) -> FollowUpLetter | None:
        with self.session_factory() as session:
            row = session.get(FollowUpRequest, job_id)
            assert row is not None
            participation = session.get(Participation, row.participation_id)
            assert participation is not None
            user = session.get(User, row.user_id)
            assert user is not None
            profile = session.scalar(
                select(LearnerProfile).where(LearnerProfile.user_id == user.id)
            )
            recipient = (profile.email if profile else "") or user.email
            if not recipient:
                return None
            activity = activity_for_version(participation.activity_version)
            wanted = activity.meta.follow_up
            assert wanted is not None
            item = next(i for i in activity.evaluation_items if i.id == wanted.question)
            answers = (
                session.scalar(
                    select(EvaluationResponse.answers).where(
                        EvaluationResponse.participation_id == participation.id
                    )
                )
                or {}
            )
            given = str(answers.get(wanted.question, ""))
            completed = participation.evaluation_completed_at or row.created_at
            return FollowUpLetter(
                recipient=recipient,
                learner_name=(profile.certificate_name if profile else "")
                or user.name
                or "colleague",
                activity_title=activity.meta.title,
                completed_on=long_date(completed.astimezone(activity.meta.provider.zone).date()),
                question=item.prompt,
                answer=dict(item.options).get(given, given),
                answer_url=f"{self.base_url}/follow-up/{row.token}",
                opt_out_url=f"{self.base_url}/follow-up/{row.token}/opt-out",
                provider=activity.meta.provider.name,
            )

    def _record(self, job_id: int, result: object) -> None:
        now = self.clock()
        with self.session_factory.begin() as session:
            row = session.get(FollowUpRequest, job_id)
            assert row is not None
            attempts = row.attempts + 1
            if isinstance(result, Sent | SavedToFolder):
                FOLLOW_UPS.finish(
                    session, job_id, None, status=FollowUpStatus.SENT, sent_at=now,
                    attempts=attempts, last_error="",
                )  # fmt: skip
                return
            assert isinstance(result, DeliveryFailed)
            values: dict[str, object] = {"attempts": attempts, "last_error": result.reason[:2000]}
            if result.permanent or RETRY.exhausted(attempts):
                values["status"] = FollowUpStatus.FAILED
            else:
                values["status"] = FollowUpStatus.SCHEDULED
                values["next_attempt_at"] = now + RETRY.delay(attempts, _rng)
            FOLLOW_UPS.finish(session, job_id, None, **values)

    # -- the outbox's view ----------------------------------------------------------------
    def live(self) -> int:
        with self.session_factory() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(FollowUpRequest)
                    .where(FOLLOW_UPS.due(FollowUpRequest, self.clock()))
                )
                or 0
            )

    def counts(self, session: Session) -> dict[str, int]:
        return FOLLOW_UPS.counts(session)

    def dead_letters(self, session: Session, limit: int) -> list[DeadLetter]:
        rows = session.scalars(
            select(FollowUpRequest)
            .where(FollowUpRequest.status == FollowUpStatus.FAILED)
            .order_by(FollowUpRequest.id.desc())
            .limit(limit)
        )
        return [
            DeadLetter(
                self.name,
                row.id,
                f"follow-up of {row.activity_slug}",
                row.attempts,
                row.last_error,
                row.created_at,
            )  # fmt: skip
            for row in rows
        ]

    def resend(self, session: Session, ids: list[int] | None) -> list[int]:
        query = select(FollowUpRequest).where(FollowUpRequest.status == FollowUpStatus.FAILED)
        if ids is not None:
            query = query.where(FollowUpRequest.id.in_(ids))
        requeued = []
        for row in session.scalars(query.with_for_update()):
            row.status, row.attempts, row.next_attempt_at = (
                FollowUpStatus.SCHEDULED,
                0,
                self.clock(),
            )
            row.last_error = ""
            requeued.append(row.id)
        session.flush()
        return requeued

    def close(self) -> None:
        pass
