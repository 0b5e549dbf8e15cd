"""The dashboard's rows: the LMS roster joined with what the tool recorded.

A roster member is matched to the tool's ``User`` by NRPS ``user_id`` = ``sub`` on the
same issuer (LTI 1.3 Core §5.3.6: ``sub`` is the platform's stable user id). Learners the
tool knows from launches in this course but the roster does not list (dropped since, or the
roster could not be read) are shown too, marked as such.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool import models, protocol
from lti_tool.catalog import current_version
from lti_tool.course.status import LearnerProgress, LearnerStatus, best_recorded, learner_status
from lti_tool.grades.nrps import Member, Roster
from lti_tool.launch.context import LaunchContext
from lti_tool.models import Attempt, AttemptKind, EvaluationResponse, Launch, Participation, User
from lti_tool.models.grades import OutboxStatus, ScoreOutbox

PRETEST, POSTTEST = AttemptKind.PRETEST, AttemptKind.POSTTEST
# Keeps each IN (...) list well under every database's bound-parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class GradeDelivery:
    state: str  # delivered | sending | failed
    detail: str = ""

    @property
    def text(self) -> str:
        return f"{self.state}: {self.detail}" if self.detail else self.state


class Membership(enum.StrEnum):
    """The learner's enrolment as the LMS roster gives it."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    NOT_IN_ROSTER = "not in roster"
    UNKNOWN = "unknown"  # the roster could not be read


@dataclass(frozen=True)
class LearnerRow:
    sub: str
    name: str
    email: str
    status: LearnerStatus
    pretest: Fraction | None
    posttest: Fraction | None
    delivery: GradeDelivery | None
    membership: Membership


@dataclass(frozen=True)
class RosterResult:
    """The roster as read, or why it could not be."""

    roster: Roster | None = None
    error: str | None = None


@dataclass(frozen=True)
class Dashboard:
    activity_slug: str | None
    activity_title: str
    course_title: str
    rows: tuple[LearnerRow, ...] = ()
    roster_error: str | None = None
    roster_pages: int = 0
    failed_deliveries: int = 0
    counts: dict[LearnerStatus, int] = field(default_factory=dict)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def known_learners(session: Session, launch: LaunchContext) -> list[User]:
    """Learners who launched the tool from this course (or this link, without a course)."""
    query = (
        select(User)
        .join(Launch, Launch.user_id == User.id)
        .where(Launch.registration_id == launch.registration.id, Launch.role == protocol.LEARNER)
    )
    if launch.context is not None:
        query = query.where(Launch.context_pk == launch.context.id)
    elif launch.resource_link is not None:
        query = query.where(Launch.resource_link_pk == launch.resource_link.id)
    else:
        return []
    return list(session.scalars(query.distinct()))


def _certificate_model() -> Any:
    """The certificates package's model, when that feature is installed (else None)."""
    model = getattr(models, "Certificate", None)
    return model if model is not None and hasattr(model, "participation_id") else None


def _issued_certificates(session: Session, participation_ids: Sequence[int]) -> set[int]:
    model = _certificate_model()
    if model is None:
        return set()
    issued: set[int] = set()
    for chunk in _chunks(participation_ids):
        query = select(model.participation_id).where(model.participation_id.in_(chunk))
        if hasattr(model, "revoked_at"):
            query = query.where(model.revoked_at.is_(None))
        issued.update(session.scalars(query))
    return issued


def _deliveries(
    session: Session, participation_ids: Sequence[int], resource_link_pk: int | None
) -> dict[int, GradeDelivery]:
    """The latest score of each participation still in force for this placement's column
    (superseded ones are history; other placements' columns have their own dashboards)."""
    latest: dict[int, ScoreOutbox] = {}
    if resource_link_pk is None:
        return {}
    for chunk in _chunks(participation_ids):
        rows = session.scalars(
            select(ScoreOutbox)
            .where(
                ScoreOutbox.participation_id.in_(chunk),
                ScoreOutbox.resource_link_pk == resource_link_pk,
                ScoreOutbox.status != OutboxStatus.SUPERSEDED,
            )
            .order_by(ScoreOutbox.id)
        )
        for row in rows:
            if row.participation_id is not None:
                latest[row.participation_id] = row
    deliveries = {}
    for participation_id, row in latest.items():
        if row.status is OutboxStatus.DELIVERED:
            delivery = GradeDelivery("delivered")
        elif row.status is OutboxStatus.DEAD:
            delivery = GradeDelivery("failed", row.last_error)
        else:
            delivery = GradeDelivery(
                "sending", f"retrying after: {row.last_error}" if row.attempts else ""
            )
        deliveries[participation_id] = delivery
    return deliveries


def _progress(
    session: Session, user_ids: Sequence[int], activity_slug: str, resource_link_pk: int | None
) -> dict[int, tuple[LearnerProgress, Fraction | None, Fraction | None, GradeDelivery | None]]:
    """Per user id: progress facts, best pre-test, best post-test, grade delivery to the
    placement ``resource_link_pk``."""
    participations: dict[int, Participation] = {}
    for chunk in _chunks(user_ids):
        for participation in session.scalars(
            select(Participation).where(
                Participation.user_id.in_(chunk), Participation.activity_slug == activity_slug
            )
        ):
            participations[participation.id] = participation
    ids = list(participations)
    scores: dict[tuple[int, str], list[tuple[int | None, int | None]]] = {}
    passed: set[int] = set()
    evaluated: set[int] = set()
    for chunk in _chunks(ids):
        for participation_id, kind, correct, total, did_pass in session.execute(
            select(
                Attempt.participation_id,
                Attempt.kind,
                Attempt.correct,
                Attempt.total,
                Attempt.passed,
            ).where(Attempt.participation_id.in_(chunk), Attempt.submitted_at.is_not(None))
        ):
            scores.setdefault((participation_id, kind), []).append((correct, total))
            if kind == POSTTEST and did_pass:
                passed.add(participation_id)
        evaluated.update(
            session.scalars(
                select(EvaluationResponse.participation_id).where(
                    EvaluationResponse.participation_id.in_(chunk)
                )
            )
        )
    certified = _issued_certificates(session, ids)
    deliveries = _deliveries(session, ids, resource_link_pk)
    found = {}
    for participation_id, participation in participations.items():
        posttests = scores.get((participation_id, POSTTEST), [])
        progress = LearnerProgress(
            posttests_submitted=len(posttests),
            posttest_passed=participation_id in passed,
            evaluation_done=participation_id in evaluated
            or participation.evaluation_completed_at is not None,
            certificate_issued=participation_id in certified,
        )
        found[participation.user_id] = (
            progress,
            best_recorded(scores.get((participation_id, PRETEST), [])),
            best_recorded(posttests),
            deliveries.get(participation_id),
        )
    return found


def _membership(member: Member | None, roster_read: bool) -> Membership:
    if member is not None:
        return Membership.ACTIVE if member.is_active else Membership.INACTIVE
    return Membership.NOT_IN_ROSTER if roster_read else Membership.UNKNOWN


def _user_name(user: User) -> str:
    return user.name or " ".join(part for part in (user.given_name, user.family_name) if part)


def _sort_key(row: LearnerRow) -> tuple[str, str]:
    return (row.name.casefold(), row.sub)


def build_dashboard(
    session: Session, launch: LaunchContext, roster_result: RosterResult
) -> Dashboard:
    link = launch.resource_link
    slug = link.activity_slug if link is not None else None
    course_title = (launch.context.title or launch.context.label) if launch.context else ""
    if not slug:
        return Dashboard(None, "", course_title, roster_error=roster_result.error)
    version = current_version(session, slug)
    issuer = launch.registration.issuer
    roster = roster_result.roster
    members: dict[str, Member] = {m.user_id: m for m in roster.learners} if roster else {}
    known = {user.sub: user for user in known_learners(session, launch)}
    subs = sorted(set(members) | set(known))
    users: dict[str, User] = dict(known)
    for chunk in _chunks([sub for sub in subs if sub not in known]):
        users.update(
            (user.sub, user)
            for user in session.scalars(
                select(User).where(User.issuer == issuer, User.sub.in_(chunk))
            )
        )
    progress = _progress(
        session, [user.id for user in users.values()], slug, link.id if link else None
    )
    rows = []
    for sub in subs:
        member, user = members.get(sub), users.get(sub)
        facts = progress.get(user.id) if user is not None else None
        name = (member.display_name if member else "") or (_user_name(user) if user else "")
        email = (member.email if member else "") or (user.email if user else "")
        rows.append(
            LearnerRow(
                sub=sub,
                name=name or sub,
                email=email,
                status=learner_status(facts[0] if facts else None),
                pretest=facts[1] if facts else None,
                posttest=facts[2] if facts else None,
                delivery=facts[3] if facts else None,
                membership=_membership(member, roster is not None),
            )
        )
    rows.sort(key=_sort_key)
    counts = {status: 0 for status in LearnerStatus}
    for row in rows:
        counts[row.status] += 1
    return Dashboard(
        activity_slug=slug,
        activity_title=version.title if version is not None else slug,
        course_title=course_title,
        rows=tuple(rows),
        roster_error=roster_result.error,
        roster_pages=roster.pages if roster else 0,
        failed_deliveries=sum(1 for row in rows if row.delivery and row.delivery.state == "failed"),
        counts=counts,
    )
