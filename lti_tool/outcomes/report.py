"""The outcomes of one activity, from the stored journeys: completion funnel by profession,
knowledge change on paired pre/post items, and the evaluation summary.

Reads rows in batches (``yield_per``) and keeps counters, not learners. A learner's
profession is the one in their CME registration (``learner_profiles``, written at their
first credit claim in any activity); learners who never claimed are "not stated yet",
because the LMS does not send a profession.

Knowledge change pairs each learner's *first* post-test attempt with their pre-test: later
attempts come after the learner has seen their score, which would overstate the change.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from lti_tool.catalog import activity_for_version
from lti_tool.course import Activity
from lti_tool.course.evaluation import EvaluationKind
from lti_tool.followup.answers import CHANGED as CHANGED_LABELS
from lti_tool.models import (
    ActivityVersion,
    Attempt,
    AttemptKind,
    EvaluationResponse,
    FollowUpRequest,
    FollowUpStatus,
    Participation,
)
from lti_tool.models.certificates import LearnerProfile
from lti_tool.outcomes.knowledge import KnowledgeChange, PairCounts, knowledge_change

STEPS = (
    ("launched", "Launched"),
    ("disclosures", "Disclosures acknowledged"),
    ("pretest", "Pre-test taken or skipped"),
    ("content", "Content finished"),
    ("posttest_passed", "Post-test passed"),
    ("evaluation", "Evaluation submitted"),
    ("credit", "Credit claimed"),
)
NOT_STATED = "not stated yet"
BATCH = 1000


@dataclass(frozen=True)
class PairedItem:
    pretest_id: str
    posttest_id: str
    objective: int
    change: KnowledgeChange


@dataclass(frozen=True)
class ObjectiveChange:
    number: int
    text: str
    change: KnowledgeChange


@dataclass(frozen=True)
class EvaluationSummary:
    item_id: str
    prompt: str
    kind: str
    counts: dict[str, int]  # option label -> answers (likert and choices)
    answered: int
    mean: float | None = None  # likert only, on its 1..n scale
    texts: tuple[str, ...] = ()  # free text, as written (escaped by the page)


@dataclass(frozen=True)
class FollowUpSummary:
    """What came of the follow-ups of commitments to change (``lti_tool.followup``)."""

    statuses: dict[str, int]  # scheduled, sent, answered, opted_out, no_address, failed …
    changed: dict[str, int]  # Yes / Partly / No -> answers
    what_changed: tuple[str, ...] = ()  # free text, as written (escaped by the page)
    barriers: tuple[str, ...] = ()

    @property
    def asked(self) -> int:
        """Follow-ups that reached the learner: mailed, answered, or opted out after."""
        return sum(self.statuses.get(s, 0) for s in ("sent", "answered", "opted_out"))

    @property
    def answered(self) -> int:
        return sum(self.changed.values())


@dataclass
class OutcomesReport:
    slug: str
    title: str
    funnel: dict[str, dict[str, int]] = field(default_factory=dict)  # profession -> step -> n
    items: list[PairedItem] = field(default_factory=list)
    objectives: list[ObjectiveChange] = field(default_factory=list)
    evaluation: list[EvaluationSummary] = field(default_factory=list)
    follow_up: FollowUpSummary | None = None
    since: date | None = None
    until: date | None = None

    @property
    def professions(self) -> list[str]:
        named = sorted(p for p in self.funnel if p != NOT_STATED)
        return named + ([NOT_STATED] if NOT_STATED in self.funnel else [])

    def funnel_total(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for counts in self.funnel.values():
            total.update(counts)
        return {step: total[step] for step, _ in STEPS}


def _first_answers(
    session: Session, participation_ids: list[int]
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]], set[int]]:
    """Answers of the first submitted pre- and post-test attempt per participation, and
    who passed a post-test. Columns, not ORM objects: nothing stays in the session."""
    pre: dict[int, dict[str, Any]] = {}
    post: dict[int, dict[str, Any]] = {}
    passed: set[int] = set()
    query = (
        select(Attempt.participation_id, Attempt.kind, Attempt.answers, Attempt.passed)
        .where(
            Attempt.participation_id.in_(participation_ids),
            Attempt.submitted_at.is_not(None),
        )
        .order_by(Attempt.participation_id, Attempt.number)
    )
    for participation_id, kind, answers, did_pass in session.execute(query):
        first = pre if kind == "pretest" else post
        first.setdefault(participation_id, answers or {})
        if kind == AttemptKind.POSTTEST and did_pass:
            passed.add(participation_id)
    return pre, post, passed


def build_outcomes(
    session: Session, slug: str, since: date | None = None, until: date | None = None
) -> OutcomesReport | None:
    """The activity's outcomes across its versions, for learners who started it between
    ``since`` and ``until`` (inclusive, UTC days); None when no version was ever loaded."""
    versions = {
        version.id: version
        for version in session.scalars(select(ActivityVersion).where(ActivityVersion.slug == slug))
    }
    if not versions:
        return None
    current = next((v for v in versions.values() if v.is_current), None)
    latest = current or max(versions.values(), key=lambda v: v.id)
    activities: dict[int, Activity] = {}

    def activity_of(version_id: int) -> Activity:
        if version_id not in activities:
            activities[version_id] = activity_for_version(versions[version_id])
        return activities[version_id]

    report = OutcomesReport(slug, activity_of(latest.id).title)
    funnel: dict[str, Counter[str]] = defaultdict(Counter)
    pairs: dict[tuple[str, str], PairCounts] = defaultdict(PairCounts)
    objective_of: dict[tuple[str, str], int] = {}
    rows = session.execute(
        select(
            Participation.id,
            Participation.activity_version_id,
            Participation.disclosures_acknowledged_at,
            Participation.pretest_skipped_at,
            Participation.sections_viewed,
            Participation.evaluation_completed_at,
            Participation.credit_claimed_at,
            LearnerProfile.profession,
        )
        .outerjoin(LearnerProfile, LearnerProfile.user_id == Participation.user_id)
        .where(Participation.activity_slug == slug, *_started_between(since, until))
        .order_by(Participation.id)
        .execution_options(yield_per=BATCH)
    )
    for batch in rows.partitions(BATCH):
        pre, post, passed = _first_answers(session, [row.id for row in batch])
        for row in batch:
            activity = activity_of(row.activity_version_id)
            steps = funnel[row.profession or NOT_STATED]
            steps["launched"] += 1
            steps["disclosures"] += row.disclosures_acknowledged_at is not None
            steps["pretest"] += row.id in pre or row.pretest_skipped_at is not None
            steps["content"] += set(activity.section_ids) <= set(row.sections_viewed or [])
            steps["posttest_passed"] += row.id in passed
            steps["evaluation"] += row.evaluation_completed_at is not None
            steps["credit"] += row.credit_claimed_at is not None
            before, after = pre.get(row.id), post.get(row.id)
            if before is None or after is None or activity.pretest is None:
                continue
            for question in activity.pretest.questions:
                repeated = activity.posttest.question(question.same_as or "")
                if repeated is None or question.id not in before:
                    continue
                key = (question.id, repeated.id)
                objective_of[key] = repeated.objective
                pairs[key] = pairs[key].add(
                    before.get(question.id) == question.correct,
                    after.get(repeated.id) == repeated.correct,
                )
    report.funnel = {p: {s: counts[s] for s, _ in STEPS} for p, counts in funnel.items()}
    report.items = [
        PairedItem(pre_id, post_id, objective_of[(pre_id, post_id)], knowledge_change(counts))
        for (pre_id, post_id), counts in sorted(pairs.items())
    ]
    objectives = activity_of(latest.id).meta.learning_objectives
    by_objective: dict[int, PairCounts] = defaultdict(PairCounts)
    for item in report.items:
        by_objective[item.objective] = by_objective[item.objective] + item.change.counts
    report.objectives = [
        ObjectiveChange(number, objectives[number - 1], knowledge_change(counts))
        for number, counts in sorted(by_objective.items())
        if number <= len(objectives)
    ]
    report.evaluation = _evaluation(session, slug, activity_of(latest.id), since, until)
    report.follow_up = _follow_up(session, slug, since, until)
    report.since, report.until = since, until
    return report


def _started_between(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(Participation.started_at >= datetime.combine(since, time(), UTC))
    if until is not None:
        next_day = datetime.combine(until + timedelta(days=1), time(), UTC)
        conditions.append(Participation.started_at < next_day)
    return conditions


def _evaluation(
    session: Session, slug: str, activity: Activity, since: date | None, until: date | None
) -> list[EvaluationSummary]:
    """Per evaluation item of the current version: answer counts, Likert mean, texts."""
    answers: dict[str, list[Any]] = defaultdict(list)
    query = (
        select(EvaluationResponse.answers)
        .join(Participation, Participation.id == EvaluationResponse.participation_id)
        .where(Participation.activity_slug == slug, *_started_between(since, until))
        .execution_options(yield_per=BATCH)
    )
    for stored in session.scalars(query):
        for item_id, value in (stored or {}).items():
            if value not in (None, ""):
                answers[item_id].append(value)
    summaries = []
    for item in activity.evaluation_items:
        given = answers.get(item.id, [])
        if item.kind is EvaluationKind.TEXT:
            texts = tuple(str(text) for text in given)
            summaries.append(
                EvaluationSummary(item.id, item.prompt, item.kind, {}, len(texts), texts=texts)
            )
            continue
        labels = dict(item.options)
        counts = {label: 0 for label in labels.values()}
        for value in given:
            label = labels.get(str(value))
            if label is not None:
                counts[label] += 1
        mean = None
        if item.kind is EvaluationKind.LIKERT and given:
            numbers = [int(value) for value in given if str(value).isdigit()]
            mean = sum(numbers) / len(numbers) if numbers else None
        summaries.append(
            EvaluationSummary(item.id, item.prompt, item.kind, counts, sum(counts.values()), mean)
        )
    return summaries


def _follow_up(
    session: Session, slug: str, since: date | None, until: date | None
) -> FollowUpSummary | None:
    """Follow-ups of learners who started between the dates; None when none was scheduled."""
    statuses: Counter[str] = Counter()
    changed = {label: 0 for label in CHANGED_LABELS.values()}
    what_changed: list[str] = []
    barriers: list[str] = []
    query = (
        select(
            FollowUpRequest.status,
            FollowUpRequest.changed,
            FollowUpRequest.what_changed,
            FollowUpRequest.barriers,
        )
        .join(Participation, Participation.id == FollowUpRequest.participation_id)
        .where(FollowUpRequest.activity_slug == slug, *_started_between(since, until))
        .order_by(FollowUpRequest.id)
        .execution_options(yield_per=BATCH)
    )
    for status, answer, what, barrier in session.execute(query):
        statuses[str(status)] += 1
        if status == FollowUpStatus.ANSWERED and answer in CHANGED_LABELS:
            changed[CHANGED_LABELS[answer]] += 1
            what_changed += [what] if what else []
            barriers += [barrier] if barrier else []
    if not statuses:
        return None
    every = {status.value: statuses[status.value] for status in FollowUpStatus}
    return FollowUpSummary(every, changed, tuple(what_changed), tuple(barriers))
