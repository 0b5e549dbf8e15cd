"""A learner's journey as the domain sees it, rebuilt from the database for each request.

``open_journey`` finds the activity the launch's resource link delivers, the learner's
``Participation`` in it (created on first visit, pinned to the activity version current at
that moment, so a later reload of the folder never changes an activity under a learner)
and turns the stored rows into the domain's immutable ``Progress`` (``progress_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool.catalog import activity_for_version, current_version
from lti_tool.course import (
    Activity,
    CreditUnavailable,
    PosttestAttempt,
    Progress,
    Score,
    credit_unavailable,
)
from lti_tool.db import insert_if_absent, insert_or_find, table_of
from lti_tool.journey import events
from lti_tool.journey.errors import (
    ActivityNotChosen,
    ActivityRetired,
    ActivityUnavailable,
    NoResourceLink,
)
from lti_tool.journey.participation_read import find_participation
from lti_tool.launch.context import LaunchContext
from lti_tool.models import (
    ActivityVersion,
    Attempt,
    AttemptKind,
    Participation,
    ParticipationPlacement,
)

PRETEST, POSTTEST = AttemptKind.PRETEST, AttemptKind.POSTTEST
_placements = table_of(ParticipationPlacement)


@dataclass(frozen=True)
class Journey:
    launch: LaunchContext
    participation: Participation
    version: ActivityVersion
    activity: Activity
    progress: Progress
    now: datetime

    @property
    def unavailable(self) -> CreditUnavailable | None:
        """Why credit can no longer be earned here, or ``None``."""
        return credit_unavailable(self.activity, self.progress, self.now)

    def attempts(self, kind: str) -> list[Attempt]:
        return [attempt for attempt in self.participation.attempts if attempt.kind == kind]

    def open_attempt(self, kind: str) -> Attempt | None:
        return next((a for a in self.attempts(kind) if a.submitted_at is None), None)

    def attempt(self, public_id: str) -> Attempt | None:
        found = (a for a in self.participation.attempts if a.public_id == public_id)
        return next(found, None)

    def refreshed(self) -> Journey:
        """The same journey with ``progress`` rebuilt from the (changed) rows."""
        return Journey(
            self.launch,
            self.participation,
            self.version,
            self.activity,
            progress_of(self.participation, self.activity),
            self.now,
        )


def _score(attempt: Attempt) -> Score:
    assert attempt.correct is not None and attempt.total is not None
    return Score(attempt.correct, attempt.total)


def progress_of(participation: Participation, activity: Activity) -> Progress:
    """The domain snapshot of ``participation`` (for the version it is pinned to)."""
    submitted = [a for a in participation.attempts if a.submitted_at is not None]
    pretest = next((a for a in submitted if a.kind == PRETEST), None)
    posttests = tuple(
        PosttestAttempt(a.public_id, a.submitted_at, _score(a))  # type: ignore[arg-type]
        for a in submitted
        if a.kind == POSTTEST
    )
    return Progress(
        activity_version=activity.content_hash,
        disclosures_acknowledged_at=participation.disclosures_acknowledged_at,
        pretest_taken_at=pretest.submitted_at if pretest else None,
        pretest_score=_score(pretest) if pretest else None,
        pretest_skipped_at=participation.pretest_skipped_at,
        sections_viewed=frozenset(participation.sections_viewed),
        last_viewed_section=participation.last_viewed_section,
        posttest_attempts=posttests,
        evaluation_completed_at=participation.evaluation_completed_at,
        credit_claimed_at=participation.credit_claimed_at,
    )


# A launch reads the learner's participation to choose its landing page (and, for a first
# launch, the activity's current version), then renders that page in the same request and
# session: the page takes what was read for it rather than reading it again (only the
# launch's own rows are written in between; a tab that starts the participation meanwhile
# is met by the insert's ON CONFLICT).
_HANDED_OVER = "lti_tool.landing_participation"


@dataclass(frozen=True)
class _LandingRead:
    user_id: int
    slug: str
    participation: Participation | None
    version: ActivityVersion | None


def hand_over(
    session: Session,
    user_id: int,
    slug: str,
    participation: Participation | None,
    version: ActivityVersion | None = None,
) -> None:
    session.info[_HANDED_OVER] = _LandingRead(user_id, slug, participation, version)


def _taken_over(session: Session, user_id: int, slug: str) -> _LandingRead | None:
    handed: _LandingRead | None = session.info.pop(_HANDED_OVER, None)
    if handed is None or (handed.user_id, handed.slug) != (user_id, slug):
        return None
    return handed


def open_journey(session: Session, launch: LaunchContext, now: datetime) -> Journey:
    """The launch's journey; raises when the launch has no link or the link no activity."""
    link = launch.resource_link
    if link is None:
        raise NoResourceLink()
    slug = link.activity_slug
    if not slug:
        raise ActivityNotChosen()
    handed = _taken_over(session, launch.user.id, slug)
    participation = (
        handed.participation if handed else find_participation(session, launch.user.id, slug)
    )
    if participation is None:
        version = handed.version if handed and handed.version else current_version(session, slug)
        if version is None:
            raise ActivityUnavailable(slug)
        if version.retired_at is not None:
            raise ActivityRetired(slug)
        # A learner's two tabs may open the journey at once: one participation all the same.
        participation, started = insert_or_find(
            session,
            Participation,
            defaults={
                "activity_version_id": version.id,
                "resource_link_pk": link.id,
                "started_at": now,
                "sections_viewed": [],
                "seconds_on_content": 0,
                "evaluation_draft": {},
            },
            user_id=launch.user.id,
            activity_slug=slug,
        )
        if started:
            # Just inserted: it has no attempts yet, and its version is the one in hand.
            set_committed_value(participation, "attempts", [])
            set_committed_value(participation, "activity_version", version)
        record_placement(session, participation, link.id)
    elif participation.resource_link_pk != link.id:
        # The placement the learner last came through (certificates and records name it).
        participation.resource_link_pk = link.id
        if record_placement(session, participation, link.id):
            events.placement_joined(session, participation, link)
    version = participation.activity_version
    activity = activity_for_version(version)
    progress = progress_of(participation, activity)
    return Journey(launch, participation, version, activity, progress, now)


def record_placement(session: Session, participation: Participation, resource_link_pk: int) -> bool:
    """Remember that the learner came through this placement; True the first time only
    (two tabs launching at once record it once)."""
    inserted = session.connection().execute(
        insert_if_absent(session, _placements, _placements.c.id),
        {"participation_id": participation.id, "resource_link_pk": resource_link_pk},
    )
    return inserted.scalar() is not None
