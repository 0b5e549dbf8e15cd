"""AGS 2.0: line items, scores (with each LMS's refusals) and results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from urllib3.util import SKIP_HEADER

from lti_tool.sandbox import register_tool, vocab
from lti_tool.sandbox.driver import SandboxDriver

from .conftest import Running
from .services import LINE_ITEMS, MAIN_LINE_ITEM, ToolClient, later, score, sub_of, with_segment
from .standin_tool import StandInTool


@pytest.fixture
def client(driver: SandboxDriver, standin: StandInTool) -> ToolClient:
    return ToolClient(driver, standin)


def test_score_lands_in_the_gradebook(driver: SandboxDriver, client: ToolClient) -> None:
    learner = sub_of(driver, "learner04")

    response = client.post_score(
        MAIN_LINE_ITEM[driver.flavour], score(learner, 87.5, comment="Well done")
    )

    assert response.status_code == 200, response.text
    received = driver.scores()
    assert len(received) == 1
    assert received[0]["username"] == "learner04"
    assert received[0]["score_given"] == "87.5"
    assert received[0]["activity_progress"] == "Completed"
    assert received[0]["grading_progress"] == "FullyGraded"
    course = 7 if driver.flavour == "canvas" else 2
    page = requests.get(f"{driver.base_url}/{driver.flavour}/courses/{course}/gradebook", timeout=5)
    assert "Dmitri Volkov" in page.text
    assert "87.5 / 100" in page.text
    assert "Well done" in page.text


def test_canvas_answers_a_result_url_for_a_score(
    canvas: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(canvas, standin)

    response = client.post_score(MAIN_LINE_ITEM["canvas"], score(sub_of(canvas, "learner01")))

    assert response.json()["resultUrl"].startswith(
        f"{canvas.base_url}/canvas/api/lti/courses/7/line_items/31/results/"
    )


def test_canvas_refuses_a_score_older_than_the_last_one(
    canvas: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(canvas, standin)
    learner = sub_of(canvas, "learner01")
    assert client.post_score(MAIN_LINE_ITEM["canvas"], score(learner, 90)).status_code == 200

    older = client.post_score(MAIN_LINE_ITEM["canvas"], score(learner, 10, at=later(-60)))

    assert older.status_code == 400
    assert "before last updated timestamp" in older.json()["errors"]["message"]
    assert [s["score_given"] for s in canvas.scores()] == ["90"]


def test_canvas_refuses_a_call_without_user_agent(
    canvas: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(canvas, standin)

    response = client.post_score(
        MAIN_LINE_ITEM["canvas"],
        score(sub_of(canvas, "learner01")),
        headers={"User-Agent": SKIP_HEADER},
    )

    assert response.status_code == 403
    assert canvas.scores() == []


def test_canvas_refuses_a_user_not_in_the_course_with_its_error_body(
    canvas: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(canvas, standin)
    visitor = sub_of(canvas, "visitor")

    response = client.post_score(MAIN_LINE_ITEM["canvas"], score(visitor))

    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "type": "unprocessable_entity",
            "message": "User not found in course or is not a student",
        }
    }


def test_canvas_refuses_score_given_without_score_maximum(
    canvas: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(canvas, standin)
    body = score(sub_of(canvas, "learner01"))
    del body["scoreMaximum"]

    response = client.post_score(MAIN_LINE_ITEM["canvas"], body)

    assert response.status_code == 422


def test_moodle_refuses_a_score_not_newer_by_a_whole_second(
    moodle: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(moodle, standin)
    learner = sub_of(moodle, "learner01")
    first = datetime(2030, 1, 1, 12, 0, 0, 100_000, tzinfo=UTC)
    assert (
        client.post_score(MAIN_LINE_ITEM["moodle"], score(learner, 50, at=first)).status_code == 200
    )

    same_second = client.post_score(
        MAIN_LINE_ITEM["moodle"], score(learner, 60, at=first + timedelta(milliseconds=800))
    )
    next_second = client.post_score(
        MAIN_LINE_ITEM["moodle"], score(learner, 70, at=first + timedelta(seconds=1))
    )

    assert same_second.status_code == 409
    assert "Refusing score with an earlier timestamp" in same_second.text
    assert next_second.status_code == 200
    assert [s["score_given"] for s in moodle.scores()] == ["50", "70"]


def test_moodle_refuses_an_unenrolled_user_with_400(
    moodle: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(moodle, standin)

    response = client.post_score(MAIN_LINE_ITEM["moodle"], score(sub_of(moodle, "visitor")))

    assert response.status_code == 400
    assert response.text == "Incorrect score received"


def test_moodle_scores_go_before_the_query_string(
    moodle: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(moodle, standin)
    line_item = MAIN_LINE_ITEM["moodle"]
    body = score(sub_of(moodle, "learner01"))

    misplaced = client.post_json(line_item + "/scores", body, vocab.MEDIA_SCORE)
    right = client.post_json(with_segment(line_item, "scores"), body, vocab.MEDIA_SCORE)

    assert (
        line_item + "/scores"
        == "/moodle/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1/scores"
    )
    assert misplaced.status_code == 404
    assert right.status_code == 200
    assert right.json() == []
    assert len(moodle.scores()) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"scoreGiven": 101},
        {"timestamp": "yesterday"},
        {"timestamp": "2030-01-01T12:00:00"},
        {"activityProgress": "Finished"},
        {"gradingProgress": "Graded"},
        {"scoreGiven": "80"},
    ],
    ids=["above-maximum", "not-iso", "no-offset", "bad-activity", "bad-grading", "string-score"],
)
def test_malformed_score_is_refused(
    driver: SandboxDriver, client: ToolClient, change: dict
) -> None:
    body = {**score(sub_of(driver, "learner01")), **change}

    response = client.post_score(MAIN_LINE_ITEM[driver.flavour], body)

    assert response.status_code == 400
    assert driver.scores() == []


def test_score_with_the_wrong_media_type_is_refused(
    driver: SandboxDriver, client: ToolClient
) -> None:
    response = client.post_json(
        with_segment(MAIN_LINE_ITEM[driver.flavour], "scores"),
        score(sub_of(driver, "learner01")),
        "application/json",
    )

    assert response.status_code in (400, 415)
    assert driver.scores() == []


def test_line_items_can_be_created_found_updated_and_deleted(
    driver: SandboxDriver, client: ToolClient
) -> None:
    container = LINE_ITEMS[driver.flavour]
    launch_claims = driver.launch_form(requests.Session(), "instructor").claims
    resource_link_id = launch_claims[vocab.CLAIM_RESOURCE_LINK]["id"]
    created = client.post_json(
        container,
        {
            "label": "Post-test",
            "scoreMaximum": 20,
            "tag": "posttest",
            "resourceLinkId": resource_link_id,
        },
        vocab.MEDIA_LINEITEM,
    )
    assert created.status_code == (201 if driver.flavour == "moodle" else 200), created.text
    item = created.json()
    assert item["resourceLinkId"] == resource_link_id

    by_tag = client.get(container, params={"tag": "posttest"}).json()
    by_link = client.get(container, params={"resource_link_id": resource_link_id}).json()
    assert [found["id"] for found in by_tag] == [item["id"]]
    assert item["id"] in [found["id"] for found in by_link]
    assert len(by_link) == 2, "the seeded graded item and the new one"

    updated = client.session.put(
        item["id"], json={"label": "Post-test (renamed)", "scoreMaximum": 25}, timeout=5
    ).json()
    assert updated["label"] == "Post-test (renamed)"
    assert updated["scoreMaximum"] == 25

    assert client.session.delete(item["id"], timeout=5).status_code == 204
    assert client.get(item["id"]).status_code == 404


def test_line_item_of_another_tool_is_forbidden(running: Running, standin: StandInTool) -> None:
    other = register_tool(
        running.app, "canvas", tool_base_url=standin.base_url, name="Other", primary=False
    )
    other_driver = SandboxDriver(running.base_url, "canvas", client_id=other.client_id)
    client = ToolClient(other_driver, standin)

    response = client.get(MAIN_LINE_ITEM["canvas"])

    assert response.status_code == 403


def test_results_report_the_latest_score_per_learner(
    driver: SandboxDriver, client: ToolClient
) -> None:
    learner = sub_of(driver, "learner05")
    other = sub_of(driver, "learner06")
    line_item = MAIN_LINE_ITEM[driver.flavour]
    client.post_score(line_item, score(learner, 40, at=later(-10)))
    client.post_score(line_item, score(learner, 95))
    client.post_score(
        line_item, score(other, None, activityProgress="Started", gradingProgress="NotReady")
    )

    results = client.get(with_segment(line_item, "results")).json()
    only_learner = client.get(
        with_segment(line_item, "results"), params={"user_id": learner}
    ).json()

    by_user = {result["userId"]: result for result in results}
    assert by_user[learner]["resultScore"] == 95
    assert by_user[learner]["resultMaximum"] == 100
    assert "resultScore" not in by_user[other]
    assert [result["userId"] for result in only_learner] == [learner]
