"""The learner's way from the overview to a passed post-test, failures and retakes included."""

from __future__ import annotations

from lti_tool.course import question_order as domain_order
from lti_tool.journey import events

from .conftest import LaunchFactory
from .flows import (
    CORRECT,
    TWO_OF_THREE,
    attempts_of,
    audit_events,
    begin,
    open_posttest,
    participation_of,
    question_order,
    read_all_sections,
    submit_posttest,
)


def test_acknowledgement_is_recorded_with_a_timestamp_before_any_content(
    launch: LaunchFactory,
) -> None:
    tab = launch()
    overview = tab.get("/")
    assert overview.path.endswith("/activity/overview")
    assert "Disclosures of relevant financial relationships" in overview.text
    assert "has no relevant financial relationships" in overview.text
    assert "All relevant financial relationships have been mitigated." in overview.text
    assert participation_of(tab).disclosures_acknowledged_at is None

    blocked = tab.get("/sections/welcome")
    assert blocked.status == 409
    assert "overview and disclosures" in blocked.text
    assert "This refresher takes five minutes" not in blocked.text

    tab.submit(overview.form("I have read the disclosures — begin"))
    acknowledged = participation_of(tab).disclosures_acknowledged_at
    assert acknowledged is not None
    names = [event.event for event in audit_events(tab)]
    assert names == [events.DISCLOSURES_ACKNOWLEDGED]


def test_learner_who_answers_every_question_correctly_passes_and_sees_the_rationales(
    launch: LaunchFactory,
) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    result = submit_posttest(tab, CORRECT)

    assert result.status == 200
    assert "3 of 3" in result.text and "You passed" in result.text
    assert "Alcohol rub does not remove visible soil" in result.text  # a rationale
    [attempt] = attempts_of(tab)
    assert (attempt.correct, attempt.total, attempt.passed) == (3, 3, True)
    assert attempt.answers == CORRECT
    assert [e.event for e in audit_events(tab)][-1] == events.POSTTEST_SUBMITTED


def test_failed_attempt_hides_rationales_and_a_retake_shows_a_new_question_order(
    launch: LaunchFactory,
) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    first = open_posttest(tab)
    first_order = question_order(first)
    assert question_order(open_posttest(tab)) == first_order  # a reload keeps the order

    failed = tab.submit(first.form("Submit my answers"), TWO_OF_THREE)
    assert "2 of 3" in failed.text and "did not reach the passing score of 70%" in failed.text
    assert "Rationale" not in failed.text
    assert "Retake the post-test" in failed.text

    retake = tab.get(failed.link("Retake the post-test"))
    second_order = question_order(retake)
    assert second_order != first_order
    passed = tab.submit(retake.form("Submit my answers"), CORRECT)
    assert "You passed" in passed.text and "Rationale" in passed.text

    first_attempt, second_attempt = attempts_of(tab)
    assert (first_attempt.number, first_attempt.passed) == (1, False)
    assert (second_attempt.number, second_attempt.passed) == (2, True)
    assert first_attempt.public_id != second_attempt.public_id
    for attempt, order in ((first_attempt, first_order), (second_attempt, second_order)):
        assert attempt.question_order == order
        assert tuple(order) == domain_order(tab_activity_bank(tab), attempt.public_id)


def tab_activity_bank(tab):  # type: ignore[no-untyped-def]
    from lti_tool.course import load_activity

    return load_activity(tab.tool.activities_dir / "mini-activity").posttest


def test_passing_score_is_exactly_seventy_percent_of_stored_answers(
    launch: LaunchFactory,
) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    page = open_posttest(tab)
    # A browser cannot smuggle a score: only the answers are read, and scored on the server.
    forged = {**TWO_OF_THREE, "score": "100", "correct": "3", "passed": "true"}
    result = tab.submit(page.form("Submit my answers"), forged)
    assert "2 of 3" in result.text
    [attempt] = attempts_of(tab)
    assert attempt.passed is False and attempt.correct == 2


def test_a_second_submit_of_the_same_attempt_changes_nothing(launch: LaunchFactory) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    form = open_posttest(tab).form("Submit my answers")

    first = tab.submit(form, TWO_OF_THREE)
    again = tab.submit(form, CORRECT)  # back button, changed answers, submitted again

    assert again.path == first.path
    assert "2 of 3" in again.text and "did not reach the passing score" in again.text
    [attempt] = attempts_of(tab)
    assert attempt.correct == 2 and attempt.answers == TWO_OF_THREE
    submitted = [e for e in audit_events(tab) if e.event == events.POSTTEST_SUBMITTED]
    assert len(submitted) == 1


def test_posttest_is_locked_until_every_section_was_viewed(launch: LaunchFactory) -> None:
    tab = launch()
    begin(tab)
    tab.get("/sections/welcome")

    locked = tab.get("/posttest")

    assert locked.status == 409
    assert "The post-test opens once you have viewed every section" in locked.text
    assert locked.link("Key facts").endswith("/activity/sections/key-facts")
    assert attempts_of(tab) == []


def test_unanswered_questions_are_named_and_the_given_answers_kept(
    launch: LaunchFactory,
) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    page = open_posttest(tab)

    again = tab.submit(page.form("Submit my answers"), {"mini-post-02": "b"})

    assert again.status == 200
    assert again.text.count("choose an answer") == 2
    assert again.form("Submit my answers").checked == {"mini-post-02": "b"}
    [attempt] = attempts_of(tab)
    assert attempt.submitted_at is None and attempt.answers == {"mini-post-02": "b"}


def test_an_answer_that_is_not_a_choice_is_refused(launch: LaunchFactory) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    page = open_posttest(tab)

    refused = tab.submit(page.form("Submit my answers"), {**CORRECT, "mini-post-01": "z"})

    assert refused.status == 400
    [attempt] = attempts_of(tab)
    assert attempt.submitted_at is None


def test_after_the_attempt_limit_credit_is_closed_but_content_stays_open(
    launch: LaunchFactory,
) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    for _ in range(3):
        submit_posttest(tab, TWO_OF_THREE)

    locked = tab.get("/posttest")
    assert locked.status == 409
    assert "used all 3 post-test attempts" in locked.text
    assert len(attempts_of(tab)) == 3
    section = tab.get("/")
    assert section.status == 200 and "/sections/" in section.path
    assert "credit cannot be earned" in section.text


def choice_letters(page_html: str, question_id: str) -> list[str]:
    """The choice keys of one question in the order the page shows them."""
    import re

    return re.findall(rf'id="{question_id}-([a-e])"', page_html)


def test_choices_are_shown_in_the_attempts_stored_order_which_survives_a_pause(
    launch: LaunchFactory,
) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    first_view = open_posttest(tab)
    [attempt] = attempts_of(tab)
    assert set(attempt.choice_order) == set(CORRECT)
    for question_id, order in attempt.choice_order.items():
        assert choice_letters(first_view.html, question_id) == order

    later = launch()  # the learner comes back in a new launch: the same attempt, same order
    again = open_posttest(later)
    for question_id, order in attempt.choice_order.items():
        assert choice_letters(again.html, question_id) == order

    result = later.submit(again.form("Submit my answers"), CORRECT)
    assert "You passed" in result.text
    # The review names each answer by the letter the learner saw, not by its key.
    for question_id, key in CORRECT.items():
        shown = "ABCDE"[attempt.choice_order[question_id].index(key)]
        assert f"Your answer: {shown}." in result.text.replace("\n", " ")
