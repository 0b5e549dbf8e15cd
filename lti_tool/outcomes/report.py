"""The outcomes of one activity, from the stored journeys: completion funnel by profession,
knowledge change on paired pre/post items, and the evaluation summary.

The database counts the funnel (GROUP BY over the participations); knowledge change and
the evaluation are added up from running tallies kept as answers are stored
(:mod:`lti_tool.outcomes.tallies`), so no answer document is parsed to count them. Python
keeps counters, not learners (free text aside, when asked for). A learner's
profession is the one in their CME registration (``learner_profiles``, written at their
first credit claim in any activity); learners who never claimed are "not stated yet",
because the LMS does not send a profession.

Knowledge change pairs each learner's *first* post-test attempt with their pre-test: later
attempts come after the learner has seen their score, which would overstate the change.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    ColumnElement,
    case,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from lti_tool.catalog import activity_for_version
from lti_tool.course import Activity, ActivityInvalid
from lti_tool.course.evaluation import EvaluationKind
from lti_tool.course.schema import PROFESSION_LABELS, Profession
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
from lti_tool.outcomes import tallies
from lti_tool.outcomes.knowledge import KnowledgeChange, PairCounts, knowledge_change

log = logging.getLogger("lti_tool.outcomes")

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
    # Free text, as written (escaped by the page): all, or the first texts_limit
    # (build_outcomes); ``answered`` counts them all.
    texts: tuple[str, ...] = ()


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
    # Learners on a stored version this code cannot read (see build_outcomes).
    unreadable_learners: int = 0
    since: date | None = None
    until: date | None = None

    @property
    def professions(self) -> list[str]:
        named = sorted(p for p in self.funnel if p != NOT_STATED)
        return named + ([NOT_STATED] if NOT_STATED in self.funnel else [])

    @staticmethod
    def label(profession: str) -> str:
        """A profession as people read it ("Physician assistant"); "not stated yet" as is."""
        try:
            return PROFESSION_LABELS[Profession(profession)]
        except ValueError:
            return profession

    def funnel_total(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for counts in self.funnel.values():
            total.update(counts)
        return {step: total[step] for step, _ in STEPS}


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _took(kind: str, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """The participation has an attempt of ``kind`` meeting ``conditions``.

    ``IN (subquery)``, not ``EXISTS``: the database reads the (partial) index of such
    attempts once into a hash, instead of looking up each of 100,000 participations."""
    return Participation.id.in_(
        select(Attempt.participation_id).where(Attempt.kind == kind, *conditions)
    )


def build_outcomes(
    session: Session,
    slug: str,
    since: date | None = None,
    until: date | None = None,
    *,
    texts_limit: int | None = None,
) -> OutcomesReport | None:
    """The activity's outcomes across its versions, for learners who started it between
    ``since`` and ``until`` (inclusive, UTC days); None when no version was ever loaded.
    ``texts_limit``: how many free-text answers to read per item (None: all; each summary
    still counts them all).

    The funnel is counted by the database (GROUP BY over the participations); knowledge
    change and the evaluation are added up from the running tallies
    (:mod:`lti_tool.outcomes.tallies`), so no answer document is parsed to count; nothing
    per learner is held in memory but the free text asked for."""
    if session.get_bind().dialect.name == "postgresql":
        # The funnel's cost estimate sets PostgreSQL's JIT compiling, which took 250 ms of a
        # 780 ms funnel at 100,000 learners: off, for this (read-only) transaction only.
        session.execute(text("SET LOCAL jit = off"))
    versions = {
        version.id: version
        for version in session.scalars(select(ActivityVersion).where(ActivityVersion.slug == slug))
    }
    if not versions:
        return None
    activities: dict[int, Activity] = {}
    for version_id, version in versions.items():
        try:
            activities[version_id] = activity_for_version(version)
        except ActivityInvalid:
            # A stored version this code can no longer read: its learners still count as
            # launched (and for the steps read from their rows), not for content finished
            # or knowledge change, and the report says how many they are.
            log.warning("outcomes of %s: version %s cannot be read", slug, version_id)
    if not activities:
        return None
    readable = [versions[version_id] for version_id in activities]
    current = next((v for v in readable if v.is_current), None)
    latest = current or max(readable, key=lambda v: v.id)
    started = _started_between(since, until)
    report = OutcomesReport(slug, activities[latest.id].title)
    unreadable = [version_id for version_id in versions if version_id not in activities]
    if unreadable:
        report.unreadable_learners = (
            session.scalar(
                select(func.count())
                .select_from(Participation)
                .where(Participation.activity_version_id.in_(unreadable), *started)
            )
            or 0
        )
    report.funnel = _funnel(session, slug, activities, started)
    pairs: dict[tuple[str, str], PairCounts] = defaultdict(PairCounts)
    objective_of: dict[tuple[str, str], int] = {}
    for version_id, activity in activities.items():
        for key, (objective, counts) in _pairs(session, version_id, activity, since, until).items():
            if not counts.pairs:
                continue  # no learner of this version answered both
            pairs[key] = pairs[key] + counts
            objective_of[key] = objective
    report.items = [
        PairedItem(pre_id, post_id, objective_of[(pre_id, post_id)], knowledge_change(counts))
        for (pre_id, post_id), counts in sorted(pairs.items())
    ]
    objectives = activities[latest.id].meta.learning_objectives
    by_objective: dict[int, PairCounts] = defaultdict(PairCounts)
    for item in report.items:
        by_objective[item.objective] = by_objective[item.objective] + item.change.counts
    report.objectives = [
        ObjectiveChange(number, objectives[number - 1], knowledge_change(counts))
        for number, counts in sorted(by_objective.items())
        if number <= len(objectives)
    ]
    report.evaluation = _evaluation(
        session, list(activities), activities[latest.id], since, until, texts_limit
    )
    report.follow_up = _follow_up(session, slug, since, until)
    report.since, report.until = since, until
    return report


def _funnel(
    session: Session,
    slug: str,
    activities: dict[int, Activity],
    started: list[ColumnElement[bool]],
) -> dict[str, dict[str, int]]:
    """Learners per profession at each step. "Content finished" compares how many sections
    the learner viewed with how many their version has (the journey stores each viewed
    section of the version once)."""
    sections = case(
        {version_id: len(a.section_ids) for version_id, a in activities.items()},
        value=Participation.activity_version_id,
        else_=-1,
    )
    columns = {
        "launched": func.count(),
        "disclosures": _count_if(Participation.disclosures_acknowledged_at.is_not(None)),
        "pretest": _count_if(
            or_(
                Participation.pretest_skipped_at.is_not(None),
                _took(AttemptKind.PRETEST, Attempt.submitted_at.is_not(None)),
            )
        ),
        "content": _count_if(func.json_array_length(Participation.sections_viewed) == sections),
        "posttest_passed": _count_if(_took(AttemptKind.POSTTEST, Attempt.passed.is_(True))),
        "evaluation": _count_if(Participation.evaluation_completed_at.is_not(None)),
        "credit": _count_if(Participation.credit_claimed_at.is_not(None)),
    }
    query = (
        select(LearnerProfile.profession, *[column.label(name) for name, column in columns.items()])
        .select_from(Participation)
        .outerjoin(LearnerProfile, LearnerProfile.user_id == Participation.user_id)
        .where(Participation.activity_slug == slug, *started)
        .group_by(LearnerProfile.profession)
    )
    funnel: dict[str, Counter[str]] = defaultdict(Counter)
    for row in session.execute(query):
        steps = funnel[row.profession or NOT_STATED]
        for name in columns:
            steps[name] += int(getattr(row, name))
    return {p: {s: counts[s] for s, _ in STEPS} for p, counts in funnel.items()}


def _pairs(
    session: Session, version_id: int, activity: Activity, since: date | None, until: date | None
) -> dict[tuple[str, str], tuple[int, PairCounts]]:
    """Each same_as pair of the version: the four cells of its 2×2 table, over learners
    whose first pre-test and first post-test both answer it (from the running tallies)."""
    if activity.pretest is None:
        return {}
    tallied = tallies.pair_counts(session, version_id, since, until)
    found = {}
    for question in activity.pretest.questions:
        repeated = activity.posttest.question(question.same_as or "")
        if repeated is not None:
            key = (question.id, repeated.id)
            found[key] = (repeated.objective, tallied.get(key, PairCounts()))
    return found


def _started_between(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(Participation.started_at >= datetime.combine(since, time(), UTC))
    if until is not None:
        next_day = datetime.combine(until + timedelta(days=1), time(), UTC)
        conditions.append(Participation.started_at < next_day)
    return conditions


def _evaluation(
    session: Session,
    version_ids: list[int],
    activity: Activity,
    since: date | None,
    until: date | None,
    texts_limit: int | None,
) -> list[EvaluationSummary]:
    """Per evaluation item of the current version, over learners of the (readable) versions
    ``version_ids``: answer counts and Likert mean from the running tallies; free text read
    from the stored forms, in the order it was given (the first ``texts_limit`` answers per
    item, or all of them)."""
    given = tallies.evaluation_counts(session, version_ids, since, until)
    text_ids = [item.id for item in activity.evaluation_items if item.kind is EvaluationKind.TEXT]
    texts = _texts(session, version_ids, text_ids, since, until, texts_limit)
    summaries = []
    for item in activity.evaluation_items:
        answered = given.get(item.id, {})
        if item.kind is EvaluationKind.TEXT:
            written = tuple(texts.get(item.id, ()))
            summaries.append(
                EvaluationSummary(
                    item.id, item.prompt, item.kind, {}, answered.get(tallies.WRITTEN, 0),
                    texts=written,
                )
            )  # fmt: skip
            continue
        labels = dict(item.options)
        counts = {label: answered.get(answer, 0) for answer, label in labels.items()}
        mean = None
        if item.kind is EvaluationKind.LIKERT:
            numbers = {int(a): n for a, n in answered.items() if a.isdigit()}
            total = sum(numbers.values())
            mean = sum(a * n for a, n in numbers.items()) / total if total else None
        summaries.append(
            EvaluationSummary(item.id, item.prompt, item.kind, counts, sum(counts.values()), mean)
        )
    return summaries


def _texts(
    session: Session,
    version_ids: list[int],
    text_ids: list[str],
    since: date | None,
    until: date | None,
    limit: int | None,
) -> dict[str, list[str]]:
    """Free-text answers per item, in the order they were given."""
    if not text_ids or limit == 0:
        return {}
    scope = (
        select(EvaluationResponse.id)
        .join(Participation, Participation.id == EvaluationResponse.participation_id)
        .where(Participation.activity_version_id.in_(version_ids), *_started_between(since, until))
    )
    texts: dict[str, list[str]] = defaultdict(list)
    if limit is not None:
        # The page shows the first few: read each item's column in id order and stop there,
        # rather than unpack every form.
        for item_id in text_ids:
            given = EvaluationResponse.answers[item_id].as_string()
            query = (
                scope.with_only_columns(given)
                .where(given.is_not(None), given != "")
                .order_by(EvaluationResponse.id)
                .limit(limit)
            )
            texts[item_id] = [str(written) for written in session.scalars(query)]
        return texts
    postgres = session.get_bind().dialect.name == "postgresql"
    unpack = func.json_each_text if postgres else func.json_each
    entries = unpack(EvaluationResponse.answers).table_valued("key", "value")
    for key, value in session.execute(
        select(entries.c.key, entries.c.value)
        .select_from(EvaluationResponse)
        .join(entries, true())
        .where(
            EvaluationResponse.id.in_(scope.scalar_subquery()),
            entries.c.key.in_(text_ids),
            entries.c.value.is_not(None),
            entries.c.value != "",
        )
        .order_by(EvaluationResponse.id)
        .execution_options(yield_per=BATCH)
    ):
        if value not in (None, ""):
            texts[str(key)].append(str(value))
    return texts


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
