"""The score endpoint misbehaves (5xx, timeouts, 429, refusals) and every score still lands
once, or becomes a dead letter that says why and can be resent once the cause is fixed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from lti_tool.db import transaction
from lti_tool.grades.commands import grades
from lti_tool.grades.outbox import list_dead_letters, resend
from lti_tool.grades.worker import drain
from lti_tool.models.grades import FailureKind, OutboxStatus, ScoreOutbox

from .support import FAST, Lms, wait_until


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_scores_survive_a_run_of_500s_and_each_lands_exactly_once(lms: Lms, flavour: str) -> None:
    learners = [lms.learner(flavour, f"learner{n:02d}") for n in range(1, 7)]
    for number, learner in enumerate(learners):
        lms.submit_posttest(learner, correct=number + 4)
    lms.driver(flavour).set_fault(path_contains="/scores", status=500, count=5)

    drain(lms.dispatcher(), timeout=20)

    scores = lms.scores(flavour)
    assert sorted((s["username"], s["score_given"]) for s in scores) == [
        (f"learner{n:02d}", str((n + 3) * 10)) for n in range(1, 7)
    ]
    assert len([c for c in lms.calls("/scores") if c["status"] == 500]) == 5
    assert {row.status for row in lms.rows()} == {OutboxStatus.DELIVERED}


def test_429_is_retried_no_sooner_than_retry_after(lms: Lms) -> None:
    learner = lms.learner("canvas", "learner02")
    lms.submit_posttest(learner, correct=8)
    lms.driver("canvas").set_fault(path_contains="/scores", status=429, retry_after=1, count=2)

    drain(lms.dispatcher(), timeout=20)

    posts = [c for c in lms.calls("/scores") if c["method"] == "POST"]
    assert [c["status"] for c in posts] == [429, 429, 200]
    moments = [dt.datetime.fromisoformat(c["at"]) for c in posts]
    gaps = [
        (later - earlier).total_seconds()
        for earlier, later in zip(moments, moments[1:], strict=False)
    ]
    assert all(gap >= 0.95 for gap in gaps), gaps
    assert [s["score_given"] for s in lms.scores("canvas", "learner02")] == ["80"]


def test_429_holds_back_the_platforms_other_queued_scores(lms: Lms) -> None:
    first, second = lms.learner("canvas", "learner03"), lms.learner("canvas", "learner04")
    lms.submit_posttest(first, correct=5)
    lms.driver("canvas").set_fault(path_contains="/scores", status=429, retry_after=2, count=1)
    dispatcher = lms.dispatcher()
    assert dispatcher.run_once() == 1  # gets the 429
    lms.submit_posttest(second, correct=6)

    assert dispatcher.run_once() == 0  # the new score waits out Retry-After too
    drain(dispatcher, timeout=20)
    assert sorted(s["username"] for s in lms.scores("canvas")) == ["learner03", "learner04"]


def _token_cached(lms: Lms, flavour: str) -> None:
    """Deliver another learner's score first, so the platform's access token is cached.
    A new sandbox's first token request (it fetches the tool's key set to check the
    assertion) can outlast a short timeout on a loaded machine: that try fails before any
    score is sent, and a test counting tries would count one more."""
    lms.submit_posttest(lms.learner(flavour, "learner01"), correct=5)
    drain(lms.dispatcher(), timeout=20)


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_timeouts_are_retried_and_a_resend_is_the_same_score(lms: Lms, flavour: str) -> None:
    _token_cached(lms, flavour)
    learner = lms.learner(flavour, "learner05")
    row = lms.submit_posttest(learner, correct=9)
    assert row is not None
    # The first two POSTs stall past the tool's timeout, then are handled anyway, as a slow
    # LMS would: the score may arrive more than once, but always as the very same score.
    # The timeout leaves a loaded machine a second for the POST that is not stalled.
    lms.driver(flavour).set_fault(path_contains="/scores", delay_seconds=2.0, count=2)
    policy = replace(FAST, http_timeout_seconds=1.0)

    drain(lms.dispatcher(policy), timeout=20)
    assert wait_until(lambda: len([c for c in lms.calls("/scores") if c["faulted"]]) == 2, 5)

    (delivered,) = [r for r in lms.rows() if r.id == row.id]
    assert delivered.status is OutboxStatus.DELIVERED and delivered.attempts == 3
    scores = lms.scores(flavour, "learner05")
    assert {(s["timestamp"], s["score_given"]) for s in scores} == {
        (row.payload["timestamp"], "90")
    }
    if flavour == "moodle":
        # Moodle refuses (409) the copies that are not newer: its gradebook holds one.
        assert len(scores) == 1


def test_moodle_409_for_a_score_that_already_landed_counts_as_delivered(lms: Lms) -> None:
    _token_cached(lms, "moodle")
    sent_before = len(lms.calls("/scores"))
    learner = lms.learner("moodle", "learner06")
    row = lms.submit_posttest(learner, correct=7)
    assert row is not None
    # The POST stalls past the timeout but lands (at 2 s) before the retry (at 3 s or later:
    # the timeout, then at least half the backoff's base), which Moodle answers 409. The
    # timeout leaves a loaded machine a second for the retry's POST.
    lms.driver("moodle").set_fault(path_contains="/scores", delay_seconds=2.0, count=1)
    policy = replace(
        FAST, http_timeout_seconds=1.0, backoff_base_seconds=4.0, backoff_cap_seconds=8
    )

    drain(lms.dispatcher(policy), timeout=20)

    (delivered,) = [r for r in lms.rows() if r.id == row.id]
    assert delivered.status is OutboxStatus.DELIVERED
    assert "already at the platform" in delivered.last_error
    assert [c["status"] for c in lms.calls("/scores")[sent_before:]] == [200, 409]
    assert [s["score_given"] for s in lms.scores("moodle", "learner06")] == ["70"]


@pytest.mark.parametrize(
    ("flavour", "status", "reason"),
    [
        ("canvas", 422, "User not found in course"),
        ("moodle", 400, "not enrolled"),
    ],
)
def test_learner_not_in_course_is_a_dead_letter_with_the_reason_then_resent(
    lms: Lms, flavour: str, status: int, reason: str
) -> None:
    # "visitor" is enrolled only in the small course; the placement is in the main course.
    visitor = lms.learner(flavour, "visitor")
    row = lms.submit_posttest(visitor, correct=8)
    assert row is not None

    drain(lms.dispatcher(), timeout=10)

    (dead,) = lms.rows()
    assert dead.status is OutboxStatus.DEAD
    assert dead.attempts == 1  # no retries: retrying cannot help
    assert dead.last_status == status and dead.last_failure is FailureKind.PERMANENT
    assert reason in dead.last_error
    with lms.services.session_factory() as session:
        listed = list_dead_letters(session, registration_id=lms.registration_ids[flavour])
    assert [letter.id for letter in listed] == [dead.id]

    lms.enroll(flavour, "visitor", course=7 if flavour == "canvas" else 2)
    with transaction(lms.services.session_factory) as session:
        assert resend(session, [dead.id]) == [dead.id]
    drain(lms.dispatcher(), timeout=10)

    (resent,) = lms.rows()
    assert resent.status is OutboxStatus.DELIVERED and resent.resend_count == 1
    scores = lms.scores(flavour, "visitor")
    assert [(s["timestamp"], s["score_given"]) for s in scores] == [
        (row.payload["timestamp"], "80")  # the same score, with its original timestamp
    ]


def test_other_4xx_answers_give_up_after_a_bounded_number_of_tries(lms: Lms) -> None:
    learner = lms.learner("canvas", "learner07")
    lms.submit_posttest(learner, correct=6)
    lms.driver("canvas").set_fault(path_contains="/scores", status=403, count=50)

    drain(lms.dispatcher(), timeout=10)

    (dead,) = lms.rows()
    assert dead.status is OutboxStatus.DEAD
    assert dead.attempts == FAST.max_client_error_attempts
    assert dead.last_failure is FailureKind.CLIENT_ERROR and dead.last_status == 403
    assert len(lms.calls("/scores")) == FAST.max_client_error_attempts


def test_a_refused_access_token_is_replaced_once_without_losing_a_try(lms: Lms) -> None:
    learner = lms.learner("canvas", "learner08")
    lms.submit_posttest(learner, correct=10)
    lms.driver("canvas").set_fault(path_contains="/scores", status=401, count=1)

    drain(lms.dispatcher(), timeout=10)

    (delivered,) = lms.rows()
    assert delivered.status is OutboxStatus.DELIVERED and delivered.attempts == 1
    assert len(lms.calls("/oauth2/token")) == 2
    assert [c["status"] for c in lms.calls("/scores")] == [401, 200]


def test_cli_lists_dead_letters_and_resends_them(lms: Lms, worker_env: dict[str, str]) -> None:
    visitor = lms.learner("canvas", "visitor")
    lms.submit_posttest(visitor, correct=5)
    drain(lms.dispatcher(), timeout=10)
    (dead,) = lms.rows()
    runner = CliRunner(env=worker_env)

    status = runner.invoke(grades, ["status"])
    assert status.exit_code == 0, status.output
    assert f"dead #{dead.id} " in status.output and "User not found in course" in status.output

    missing_choice = runner.invoke(grades, ["retry"])
    assert missing_choice.exit_code == 2

    lms.enroll("canvas", "visitor", course=7)
    retried = runner.invoke(grades, ["retry", "--id", str(dead.id)])
    assert retried.exit_code == 0, retried.output
    assert f"requeued 1: [{dead.id}]" in retried.output
    drain(lms.dispatcher(), timeout=10)
    assert [s["score_given"] for s in lms.scores("canvas", "visitor")] == ["50"]


def test_a_newer_score_retires_an_older_dead_letter_so_it_is_never_resent(lms: Lms) -> None:
    learner = lms.learner("canvas", "learner09")
    old = lms.submit_posttest(learner, correct=4)
    assert old is not None
    with transaction(lms.services.session_factory) as session:
        session.execute(
            update(ScoreOutbox).where(ScoreOutbox.id == old.id).values(status=OutboxStatus.DEAD)
        )
    newer = lms.submit_posttest(learner, correct=9)
    assert newer is not None
    with transaction(lms.services.session_factory) as session:
        assert resend(session, [old.id]) == []
    statuses = {row.id: row.status for row in lms.rows()}
    assert statuses == {old.id: OutboxStatus.SUPERSEDED, newer.id: OutboxStatus.PENDING}


def test_outbox_commands_show_every_queue_and_resend_a_dead_score(
    lms: Lms, worker_env: dict[str, str]
) -> None:
    from lti_tool.outbox.commands import outbox, worker

    visitor = lms.learner("canvas", "visitor")
    lms.submit_posttest(visitor, correct=6)
    drain(lms.dispatcher(), timeout=10)
    (dead,) = lms.rows()
    runner = CliRunner(env=worker_env)

    status = runner.invoke(outbox, ["status", "--limit", "1000"])
    lms.enroll("canvas", "visitor", course=7)
    resent = runner.invoke(outbox, ["resend", "scores", "--id", str(dead.id)])
    unknown = runner.invoke(outbox, ["resend", "faxes", "--all-dead"])
    delivered = runner.invoke(worker, ["--once"])

    assert status.exit_code == 0, status.output
    lines = status.output.splitlines()
    assert {line.split(":")[0] for line in lines[:3]} == {
        "scores",
        "certificate_mail",
        "cpe_monitor",
    }
    assert f"dead scores #{dead.id} " in status.output
    assert resent.exit_code == 0 and f"requeued 1: [{dead.id}]" in resent.output
    assert unknown.exit_code == 2 and "no queue 'faxes'" in unknown.output
    assert delivered.exit_code == 0, delivered.output
    assert [s["score_given"] for s in lms.scores("canvas", "visitor")] == ["60"]
