"""The evaluation: required answers with messages next to the fields, stored once."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.journey import events
from lti_tool.models import EvaluationResponse

from .conftest import Browser, LaunchFactory
from .flows import (
    CORRECT,
    EVALUATION,
    audit_events,
    begin,
    participation_of,
    read_all_sections,
    submit_posttest,
)


def _passed(launch: LaunchFactory) -> Browser:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    submit_posttest(tab, CORRECT)
    return tab


def _responses(tab: Browser) -> list[EvaluationResponse]:
    with tab.tool.session() as session:
        return list(session.scalars(select(EvaluationResponse)))


def test_evaluation_waits_for_a_passed_posttest(launch: LaunchFactory) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    page = tab.get("/evaluation")
    assert page.status == 409
    assert page.link("Go to the post-test").endswith("/activity/posttest")


def test_missing_required_answers_are_named_next_to_their_fields(launch: LaunchFactory) -> None:
    tab = _passed(launch)
    form = tab.get("/evaluation").form("Submit the evaluation")

    page = tab.submit(form, {"objective-met-1": "4", "comments": "Useful."})

    assert page.status == 200
    assert "Please check these 3 answers" in page.text
    for item in ("objective-met-2", "fair-balance", "intent-to-change"):
        assert f'<p class="field-error" id="error-{item}">' in page.html
        assert f'aria-describedby="error-{item}"' in page.html
    assert 'id="error-objective-met-1"' not in page.html
    kept = page.form("Submit the evaluation")
    assert kept.checked == {"objective-met-1": "4"}
    assert kept.textareas["comments"] == "Useful."
    assert _responses(tab) == []
    assert participation_of(tab).evaluation_completed_at is None


def test_a_conditional_question_is_required_only_after_its_answer(launch: LaunchFactory) -> None:
    tab = _passed(launch)
    form = tab.get("/evaluation").form("Submit the evaluation")

    page = tab.submit(form, {**EVALUATION, "fair-balance": "no"})
    assert "Write an answer to this question." in page.text
    assert 'id="error-fair-balance-comment"' in page.html

    done = tab.submit(
        page.form("Submit the evaluation"),
        {**EVALUATION, "fair-balance": "no", "fair-balance-comment": "One product was favoured."},
    )
    assert done.path.endswith("/activity/complete")
    [response] = _responses(tab)
    assert response.answers["fair-balance-comment"] == "One product was favoured."
    assert response.answers["objective-met-1"] == 5


def test_evaluation_is_stored_once_and_completes_the_journey(launch: LaunchFactory) -> None:
    tab = _passed(launch)
    form = tab.get("/evaluation").form("Submit the evaluation")

    first = tab.submit(form, EVALUATION)
    second = tab.submit(form, {**EVALUATION, "intent-to-change": "yes"})

    assert first.path.endswith("/activity/complete") and second.path == first.path
    assert "You have completed this activity." in first.text
    [response] = _responses(tab)
    assert response.answers == {
        "objective-met-1": 5,
        "objective-met-2": 4,
        "fair-balance": "yes",
        "intent-to-change": "not-sure",
    }
    names = [event.event for event in audit_events(tab)]
    assert names.count(events.EVALUATION_SUBMITTED) == 1
    assert names[-2:] == [events.EVALUATION_SUBMITTED, events.JOURNEY_COMPLETED]
    assert tab.get("/").path.endswith("/activity/complete")


def test_completion_page_shows_the_record_and_offers_the_credit_claim(
    launch: LaunchFactory,
) -> None:
    tab = _passed(launch)
    tab.submit(tab.get("/evaluation").form("Submit the evaluation"), EVALUATION)

    record = tab.get("/complete")

    assert "Attempt 1" in record.text and "3 of 3 (100%), passed" in record.text
    assert "Pre-test Skipped" in record.text
    assert "Sections viewed 2 of 2" in record.text
    assert "Evaluation Completed" in record.text
    claim = [href for href, label in record.links if label == "Claim your credit and certificate"]
    assert len(claim) == 1 and claim[0].endswith("/certificates/claim")
