"""The outcomes report's running tallies (``lti_tool.models.outcomes``): added to when a
learner's first post-test or evaluation is stored, read by :mod:`lti_tool.outcomes.report`,
and recounted from the stored answers by :func:`recount` (revision 0010 fills them for the
learners who came before; tests check that the running tallies agree with a recount).

What counts is what the report has always counted from the stored answers:

- **Knowledge change**: a learner's *first* submitted pre-test and *first* submitted
  post-test (later attempts come after the learner has seen a score); for each pre-test item
  with ``same_as``, a learner who answered it falls in one cell of the 2×2 table. A learner
  who skipped the pre-test is in no pair. The journey opens one attempt of a kind at a time
  and a pre-test only before the content, so the first post-test is scored after the first
  pre-test, and is the moment both are known.
- **Evaluation**: each answer given to an item of the learner's version (blank answers are
  not answers); a free-text item counts the learners who wrote something, under ``""``.

Tallies are per activity version and per day the learner started (UTC), so a report for a
date range adds up the days in it. Learners on a stored version this code cannot read are
not tallied: the report counts them apart (``OutcomesReport.unreadable_learners``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from lti_tool.course import Activity
from lti_tool.course.evaluation import EvaluationKind
from lti_tool.db import insert_for
from lti_tool.models import Attempt, AttemptKind, EvaluationResponse, Participation
from lti_tool.models.outcomes import EvaluationTally, KnowledgePairTally
from lti_tool.outcomes.knowledge import PairCounts

CELLS = ("both_right", "right_before_only", "right_after_only", "both_wrong")
WRITTEN = ""  # the answer a free-text item is tallied under
BATCH = 1000

Pair = tuple[str, str]  # (pre-test item, post-test item)


def started_on(moment: datetime) -> date:
    """The UTC day of ``moment``, as the report's date range reads it."""
    return moment.astimezone(UTC).date()


# -- what one learner adds -----------------------------------------------------------------
def pair_cells(
    activity: Activity, before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[tuple[Pair, str]]:
    """Each same_as pair this learner answered before, and the cell they fall in."""
    if activity.pretest is None:
        return
    for question in activity.pretest.questions:
        repeated = activity.posttest.question(question.same_as or "")
        if repeated is None or before.get(question.id) is None:
            continue
        right_before = before.get(question.id) == question.correct
        right_after = after.get(repeated.id) == repeated.correct
        cell = CELLS[(0 if right_before else 2) + (0 if right_after else 1)]
        yield (question.id, repeated.id), cell


def evaluation_answers(activity: Activity, answers: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(item, answer) for each item of the version this learner answered."""
    for item in activity.evaluation_items:
        value = answers.get(item.id)
        if value is None or value == "":
            continue
        if item.kind is EvaluationKind.TEXT:
            yield item.id, WRITTEN
        else:
            # As the JSON holds it: a Likert answer stored as the number 5 reads "5".
            yield item.id, value if isinstance(value, str) else json.dumps(value)


# -- adding to the tallies -----------------------------------------------------------------
def _add(session: Session, model: Any, key: dict[str, Any], amounts: Mapping[str, int]) -> None:
    """Add ``amounts`` to the row of ``key`` in one statement (INSERT … ON CONFLICT DO
    UPDATE on PostgreSQL and SQLite), so learners finishing at once never lose a count."""
    statement = insert_for(session)(model).values(**key, **amounts)
    table = model.__table__
    session.execute(
        statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: table.c[name] + statement.excluded[name] for name in amounts},
        )
    )


def _first_submitted(session: Session, participation_id: int, kind: str) -> Attempt | None:
    return session.scalar(
        select(Attempt)
        .where(
            Attempt.participation_id == participation_id,
            Attempt.kind == kind,
            Attempt.submitted_at.is_not(None),
        )
        .order_by(Attempt.number)
        .limit(1)
    )


def record_posttest(
    session: Session, participation: Participation, activity: Activity, attempt: Attempt
) -> None:
    """Tally the learner's pairs when ``attempt``, just scored, is their first post-test."""
    first = _first_submitted(session, participation.id, AttemptKind.POSTTEST)
    if activity.pretest is None or first is None or first.id != attempt.id:
        return
    pretest = _first_submitted(session, participation.id, AttemptKind.PRETEST)
    if pretest is None:
        return  # skipped: no pairs
    day = started_on(participation.started_at)
    for (pre_id, post_id), cell in pair_cells(activity, pretest.answers, attempt.answers):
        key = {
            "activity_version_id": participation.activity_version_id,
            "started_on": day,
            "pretest_item": pre_id,
            "posttest_item": post_id,
        }
        _add(session, KnowledgePairTally, key, {cell: 1})


def record_evaluation(
    session: Session, participation: Participation, activity: Activity, answers: Mapping[str, Any]
) -> None:
    """Tally the learner's evaluation, just stored."""
    day = started_on(participation.started_at)
    for item_id, answer in evaluation_answers(activity, answers):
        key = {
            "activity_version_id": participation.activity_version_id,
            "started_on": day,
            "item_id": item_id,
            "answer": answer,
        }
        _add(session, EvaluationTally, key, {"learners": 1})


# -- reading them --------------------------------------------------------------------------
def _days(model: Any, since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(model.started_on >= since)
    if until is not None:
        conditions.append(model.started_on <= until)
    return conditions


def pair_counts(
    session: Session, version_id: int, since: date | None, until: date | None
) -> dict[Pair, PairCounts]:
    cells = [func.sum(getattr(KnowledgePairTally, cell)) for cell in CELLS]
    query = (
        select(KnowledgePairTally.pretest_item, KnowledgePairTally.posttest_item, *cells)
        .where(
            KnowledgePairTally.activity_version_id == version_id,
            *_days(KnowledgePairTally, since, until),
        )
        .group_by(KnowledgePairTally.pretest_item, KnowledgePairTally.posttest_item)
    )
    return {
        (pre_id, post_id): PairCounts(*(int(n) for n in counts))
        for pre_id, post_id, *counts in session.execute(query)
    }


def evaluation_counts(
    session: Session, version_ids: Iterable[int], since: date | None, until: date | None
) -> dict[str, dict[str, int]]:
    """Item -> answer -> learners, over the versions."""
    query = (
        select(EvaluationTally.item_id, EvaluationTally.answer, func.sum(EvaluationTally.learners))
        .where(
            EvaluationTally.activity_version_id.in_(list(version_ids)),
            *_days(EvaluationTally, since, until),
        )
        .group_by(EvaluationTally.item_id, EvaluationTally.answer)
    )
    counts: dict[str, dict[str, int]] = {}
    for item_id, answer, learners in session.execute(query):
        counts.setdefault(item_id, {})[answer] = int(learners)
    return counts


# -- recounting from the stored answers ----------------------------------------------------
def _first_attempts(version_id: int) -> Any:
    """(participation, kind, number) of each first submitted attempt on the version."""
    return (
        select(Attempt.participation_id, Attempt.kind, func.min(Attempt.number).label("number"))
        .join(Participation, Participation.id == Attempt.participation_id)
        .where(Participation.activity_version_id == version_id, Attempt.submitted_at.is_not(None))
        .group_by(Attempt.participation_id, Attempt.kind)
        .subquery("first_attempts")
    )


def _answers_side_by_side(session: Session, version_id: int) -> Iterator[Any]:
    """(started_at, first pre-test answers, first post-test answers) per learner."""
    first = _first_attempts(version_id)
    before, after = aliased(Attempt), aliased(Attempt)
    first_before, first_after = aliased(first), aliased(first)

    def is_first(attempt: Any, row: Any) -> ColumnElement[bool]:
        return and_(
            attempt.participation_id == row.c.participation_id,
            attempt.kind == row.c.kind,
            attempt.number == row.c.number,
        )

    query = (
        select(Participation.started_at, before.answers, after.answers)
        .select_from(first_before)
        .join(before, is_first(before, first_before))
        .join(
            first_after,
            and_(
                first_after.c.participation_id == first_before.c.participation_id,
                first_after.c.kind == AttemptKind.POSTTEST,
            ),
        )
        .join(after, is_first(after, first_after))
        .join(Participation, Participation.id == first_before.c.participation_id)
        .where(first_before.c.kind == AttemptKind.PRETEST)
        .execution_options(yield_per=BATCH)
    )
    yield from session.execute(query)


def recount(session: Session, activities: Mapping[int, Activity]) -> None:
    """Replace the tallies of these versions (id -> its activity) by a count of the stored
    answers. Reads the answers in batches: memory does not grow with the learners."""
    version_ids = list(activities)
    session.execute(
        delete(KnowledgePairTally).where(KnowledgePairTally.activity_version_id.in_(version_ids))
    )
    session.execute(
        delete(EvaluationTally).where(EvaluationTally.activity_version_id.in_(version_ids))
    )
    for version_id, activity in activities.items():
        pairs: Counter[tuple[date, Pair, str]] = Counter()
        for started_at, before, after in _answers_side_by_side(session, version_id):
            day = started_on(started_at)
            for pair, cell in pair_cells(activity, before or {}, after or {}):
                pairs[(day, pair, cell)] += 1
        rows: dict[tuple[date, Pair], dict[str, Any]] = {}
        for (day, (pre_id, post_id), cell), learners in pairs.items():
            row = rows.setdefault(
                (day, (pre_id, post_id)),
                {"activity_version_id": version_id, "started_on": day, "pretest_item": pre_id,
                 "posttest_item": post_id, **dict.fromkeys(CELLS, 0)},
            )  # fmt: skip
            row[cell] = learners
        if rows:
            session.execute(insert(KnowledgePairTally), list(rows.values()))
        given: Counter[tuple[date, str, str]] = Counter()
        evaluations = (
            select(Participation.started_at, EvaluationResponse.answers)
            .join(Participation, Participation.id == EvaluationResponse.participation_id)
            .where(Participation.activity_version_id == version_id)
            .execution_options(yield_per=BATCH)
        )
        for started_at, answers in session.execute(evaluations):
            day = started_on(started_at)
            for item_id, answer in evaluation_answers(activity, answers or {}):
                given[(day, item_id, answer)] += 1
        if given:
            session.execute(
                insert(EvaluationTally),
                [
                    {
                        "activity_version_id": version_id,
                        "started_on": day,
                        "item_id": item_id,
                        "answer": answer,
                        "learners": learners,
                    }
                    for (day, item_id, answer), learners in given.items()
                ],  # fmt: skip
            )
