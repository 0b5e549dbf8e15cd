"""Answers of a form in progress are never lost: drafts saved on each change, restored."""

from __future__ import annotations

from .conftest import LaunchFactory
from .flows import (
    CORRECT,
    attempts_of,
    begin,
    open_posttest,
    participation_of,
    read_all_sections,
    submit_posttest,
)


def test_posttest_draft_survives_a_reload_and_a_new_launch(launch: LaunchFactory) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    form = open_posttest(tab).form("Submit my answers")
    draft_url = form.attrs["data-draft-url"]

    saved = tab.post_raw(draft_url, form.data({"mini-post-02": "b"}))
    assert saved.status_code == 204
    saved = tab.post_raw(draft_url, form.data({"mini-post-03": "e"}))
    assert saved.status_code == 204

    assert open_posttest(tab).form("Submit my answers").checked == {
        "mini-post-02": "b",
        "mini-post-03": "e",
    }
    after_expiry = launch()  # the session ended; the learner launches again
    restored = open_posttest(after_expiry).form("Submit my answers")
    assert restored.action.partition("/activity")[2] == form.action.partition("/activity")[2]
    assert restored.checked == {"mini-post-02": "b", "mini-post-03": "e"}
    [attempt] = attempts_of(tab)
    assert attempt.submitted_at is None


def test_a_draft_needs_the_launch_csrf_token(launch: LaunchFactory) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    form = open_posttest(tab).form("Submit my answers")

    refused = tab.post_raw(form.attrs["data-draft-url"], {"mini-post-01": "a"})

    assert refused.status_code == 400
    [attempt] = attempts_of(tab)
    assert attempt.answers == {}


def test_a_submitted_attempt_takes_no_more_drafts(launch: LaunchFactory) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    form = open_posttest(tab).form("Submit my answers")
    submit_posttest(tab, CORRECT)

    late = tab.post_raw(form.attrs["data-draft-url"], form.data({"mini-post-01": "d"}))

    assert late.status_code == 409
    [attempt] = attempts_of(tab)
    assert attempt.answers == CORRECT


def test_evaluation_draft_is_restored_when_the_page_is_shown_again(launch: LaunchFactory) -> None:
    tab = launch()
    begin(tab)
    read_all_sections(tab)
    submit_posttest(tab, CORRECT)
    form = tab.get("/evaluation").form("Submit the evaluation")

    saved = tab.post_raw(
        form.attrs["data-draft-url"],
        form.data({"objective-met-2": "3", "comments": "Half written <em>note</em>"}),
    )

    assert saved.status_code == 204
    assert participation_of(tab).evaluation_draft["objective-met-2"] == "3"
    page = launch().get("/evaluation")
    restored = page.form("Submit the evaluation")
    assert restored.checked == {"objective-met-2": "3"}
    assert restored.textareas["comments"] == "Half written <em>note</em>"
    assert "Half written &lt;em&gt;note&lt;/em&gt;" in page.html
