"""Scores reach the sandbox gradebook in both flavours, through the real AGS endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lti_tool.grades.worker import drain
from lti_tool.models.grades import GradeLineItem, OutboxStatus
from lti_tool.sandbox.seed import UNGRADED_ACTIVITY_TITLE

from .support import Lms, unique


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_posttest_sends_best_percentage_as_fully_graded_score(lms: Lms, flavour: str) -> None:
    learner = lms.learner(flavour, "learner03")
    lms.submit_posttest(learner, correct=9)
    drain(lms.dispatcher(), timeout=10)
    lms.submit_posttest(learner, correct=6)  # a worse retake: the best score still counts
    drain(lms.dispatcher(), timeout=10)

    scores = lms.scores(flavour, "learner03")
    assert [s["score_given"] for s in scores] == ["90", "90"]
    for score in scores:
        body = score["body"]
        assert body["userId"] == learner.sub
        assert body["scoreMaximum"] == 100
        assert body["activityProgress"] == "Submitted"
        assert body["gradingProgress"] == "FullyGraded"
        # ISO 8601 with milliseconds and an offset.
        assert len(body["timestamp"].split(".")[1]) == len("123+00:00")
        assert dt.datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    assert all(row.status is OutboxStatus.DELIVERED for row in lms.rows())


def test_moodle_scores_go_to_the_scores_path_before_the_query_string(lms: Lms) -> None:
    learner = lms.learner("moodle", "learner04")
    lms.submit_posttest(learner, correct=8)
    drain(lms.dispatcher(), timeout=10)

    posts = [c for c in lms.calls("/scores") if c["method"] == "POST"]
    assert [c["path"] for c in posts] == [
        "/moodle/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=1"
    ]
    assert posts[0]["status"] == 200
    assert lms.scores("moodle", "learner04")[0]["score_given"] == "80"


def test_every_call_to_canvas_carries_a_user_agent(lms: Lms) -> None:
    lms.submit_posttest(lms.learner("canvas", "learner05"), correct=10)
    drain(lms.dispatcher(), timeout=10)
    calls = lms.calls()
    assert calls and all(call["user_agent"] for call in calls)
    assert lms.scores("canvas", "learner05")[0]["score_given"] == "100"


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_completion_sends_completed_with_the_best_score(lms: Lms, flavour: str) -> None:
    learner = lms.learner(flavour, "learner06")
    lms.submit_posttest(learner, correct=7)
    drain(lms.dispatcher(), timeout=10)
    lms.complete(learner)
    drain(lms.dispatcher(), timeout=10)

    scores = lms.scores(flavour, "learner06")
    assert [(s["activity_progress"], s["score_given"]) for s in scores] == [
        ("Submitted", "70"),
        ("Completed", "70"),
    ]
    assert scores[1]["grading_progress"] == "FullyGraded"


def test_two_scores_in_the_same_second_both_reach_moodle_in_order(lms: Lms) -> None:
    learner = lms.learner("moodle", "learner07")
    dispatcher = lms.dispatcher()
    lms.submit_posttest(learner, correct=5)
    drain(dispatcher, timeout=10)
    lms.submit_posttest(learner, correct=8)
    drain(dispatcher, timeout=10)

    scores = lms.scores("moodle", "learner07")
    assert [s["score_given"] for s in scores] == ["50", "80"]
    first, second = (dt.datetime.fromisoformat(s["timestamp"]) for s in scores)
    # Moodle compares whole seconds and refuses one that is not newer (409).
    assert int(second.timestamp()) > int(first.timestamp())
    assert not [c for c in lms.calls("/scores") if c["status"] == 409]


def test_a_newer_score_supersedes_an_undelivered_older_one(lms: Lms) -> None:
    learner = lms.learner("canvas", "learner08")
    older = lms.submit_posttest(learner, correct=4)
    newer = lms.submit_posttest(learner, correct=9)
    assert older is not None and newer is not None
    assert newer.score_timestamp >= older.score_timestamp + dt.timedelta(seconds=1)
    drain(lms.dispatcher(), timeout=10)

    statuses = {row.id: row.status for row in lms.rows()}
    assert statuses == {older.id: OutboxStatus.SUPERSEDED, newer.id: OutboxStatus.DELIVERED}
    assert [s["score_given"] for s in lms.scores("canvas", "learner08")] == ["90"]


def test_the_same_attempt_reported_twice_queues_one_score(lms: Lms) -> None:
    from lti_tool.db import transaction
    from lti_tool.grades.outbox import enqueue_completion
    from lti_tool.journey.events import best_posttest
    from lti_tool.models import Participation

    learner = lms.learner("canvas", "learner09")
    lms.submit_posttest(learner, correct=9)
    first = lms.complete(learner)
    with transaction(lms.services.session_factory) as session:
        participation = session.get(Participation, learner.participation_id)
        assert participation is not None
        again = enqueue_completion(session, participation, best_posttest(participation))
    assert first is not None and [row.id for row in again] == [first.id]
    assert len([row for row in lms.rows() if row.event_key.startswith("completed@")]) == 1


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_launch_without_line_item_finds_the_one_with_the_activitys_resource_id(
    lms: Lms, flavour: str
) -> None:
    learner = lms.learner(flavour, "learner10", title=UNGRADED_ACTIVITY_TITLE)
    row = lms.submit_posttest(learner, correct=8)
    assert row is not None and row.line_item_url is None  # the claim named no line item
    items_before = lms.driver(flavour).line_items()
    drain(lms.dispatcher(), timeout=10)

    assert lms.driver(flavour).line_items() == items_before  # nothing created
    scores = lms.scores(flavour, "learner10")
    assert [s["score_given"] for s in scores] == ["80"]
    found = [
        i
        for i in items_before
        if i["resource_id"] == "cervical-dystonia" and i["course"] == scores[0]["course"]
    ]
    assert scores[0]["line_item"] == found[0]["id"]
    with lms.services.session_factory() as session:
        binding = session.scalar(
            select(GradeLineItem).where(GradeLineItem.resource_link_pk == learner.resource_link_pk)
        )
    assert binding is not None and binding.how == "found"


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_launch_without_line_item_creates_one_by_resource_id_once(lms: Lms, flavour: str) -> None:
    activity = unique("activity-")
    first = lms.learner(flavour, "learner11", title=UNGRADED_ACTIVITY_TITLE, activity=activity)
    second = lms.learner(flavour, "learner12", title=UNGRADED_ACTIVITY_TITLE, activity=activity)
    lms.submit_posttest(first, correct=6)
    lms.submit_posttest(second, correct=7)
    drain(lms.dispatcher(), timeout=10)

    created = [i for i in lms.driver(flavour).line_items() if i["resource_id"] == activity]
    assert len(created) == 1
    assert created[0]["score_maximum"] == 100
    assert created[0]["resource_link_id"] == lms.link_id(flavour, UNGRADED_ACTIVITY_TITLE)
    scores = lms.scores(flavour)
    assert sorted((s["username"], s["score_given"], s["line_item"]) for s in scores) == [
        ("learner11", "60", created[0]["id"]),
        ("learner12", "70", created[0]["id"]),
    ]
    creations = [
        c
        for c in lms.calls("lineitems" if flavour == "moodle" else "line_items")
        if c["method"] == "POST" and "/scores" not in c["path"]
    ]
    assert len(creations) == 1


def test_a_score_queued_before_its_line_item_was_found_is_superseded_by_a_later_one(
    lms: Lms,
) -> None:
    learner = lms.learner("moodle", "learner13", title=UNGRADED_ACTIVITY_TITLE, activity=unique())
    first = lms.submit_posttest(learner, correct=5)
    assert first is not None and first.line_item_url is None
    lms.driver("moodle").set_fault(path_contains="/scores", status=500, count=1)
    dispatcher = lms.dispatcher()
    assert dispatcher.run_once() == 1  # finds (creates) the line item, then the POST fails

    second = lms.submit_posttest(learner, correct=9)
    assert second is not None and second.line_item_url is not None
    drain(dispatcher, timeout=10)

    statuses = {row.id: row.status for row in lms.rows()}
    assert statuses == {first.id: OutboxStatus.SUPERSEDED, second.id: OutboxStatus.DELIVERED}
    assert second.score_timestamp >= first.score_timestamp + dt.timedelta(seconds=1)
    assert [s["score_given"] for s in lms.scores("moodle", "learner13")] == ["90"]
