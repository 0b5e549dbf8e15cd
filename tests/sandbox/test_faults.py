"""Fault injection, the call log and reset: the platform misbehaves on request and tells all."""

from __future__ import annotations

import time

import requests

from lti_tool.sandbox.driver import SandboxDriver

from .services import MAIN_LINE_ITEM, ToolClient, score, sub_of, with_segment
from .standin_tool import StandInTool


def test_fault_fails_the_next_matching_calls_then_lets_them_through(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(driver, standin)
    learner = sub_of(driver, "learner01")
    driver.set_fault(path_contains="/scores", status=500, count=2)

    statuses = [
        client.post_score(MAIN_LINE_ITEM[driver.flavour], score(learner, n)).status_code
        for n in (1, 2, 3)
    ]

    assert statuses == [500, 500, 200]
    assert [s["score_given"] for s in driver.scores()] == ["3"]
    score_calls = [call for call in driver.calls() if "/scores" in call["path"]]
    assert [call["faulted"] for call in score_calls] == [True, True, False]


def test_rate_limit_fault_sends_retry_after(driver: SandboxDriver, standin: StandInTool) -> None:
    client = ToolClient(driver, standin)
    driver.set_fault(status=429, retry_after=1, count=1)

    response = client.get(MAIN_LINE_ITEM[driver.flavour])

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert client.get(MAIN_LINE_ITEM[driver.flavour]).status_code == 200


def test_fault_without_a_path_spares_pages_and_launches(
    driver: SandboxDriver, browser: requests.Session
) -> None:
    driver.set_fault(status=503, count=5)

    assert requests.get(driver.base_url + "/", timeout=5).status_code == 200
    assert driver.launch(browser, "learner01").json()["ok"] is True
    assert len(requests.get(f"{driver.base_url}/_sandbox/faults", timeout=5).json()) == 1


def test_delay_fault_answers_late_and_still_records_the_score(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    client = ToolClient(driver, standin)
    learner = sub_of(driver, "learner01")
    driver.set_fault(path_contains="/scores", delay_seconds=0.4, count=1)

    started = time.monotonic()
    timed_out = False
    try:
        client.session.post(
            client.url(with_segment(MAIN_LINE_ITEM[driver.flavour], "scores")),
            json=score(learner, 70),
            headers={"Content-Type": "application/vnd.ims.lis.v1.score+json"},
            timeout=0.1,
        )
    except requests.exceptions.ReadTimeout:
        timed_out = True
    deadline = time.monotonic() + 3
    while not driver.scores() and time.monotonic() < deadline:
        time.sleep(0.05)

    assert timed_out
    assert time.monotonic() - started >= 0.4
    assert [s["score_given"] for s in driver.scores()] == ["70"]


def test_call_log_records_method_path_and_status(
    driver: SandboxDriver, browser: requests.Session
) -> None:
    driver.launch(browser, "learner01")

    calls = driver.calls()

    auth_paths = {"canvas": "/canvas/api/lti/authorize?", "moodle": "/moodle/mod/lti/auth.php?"}
    assert any(
        call["method"] == "GET"
        and call["path"].startswith(auth_paths[driver.flavour])
        and call["status"] == 200
        for call in calls
    )
    assert not any(call["path"].startswith("/_sandbox") for call in calls)
    assert [call["seq"] for call in calls] == sorted(call["seq"] for call in calls)


def test_bad_fault_is_refused(driver: SandboxDriver) -> None:
    response = requests.post(f"{driver.base_url}/_sandbox/faults", json={"status": 200}, timeout=5)

    assert response.status_code == 400


def test_reset_returns_to_the_seeded_state(driver: SandboxDriver, standin: StandInTool) -> None:
    client = ToolClient(driver, standin)
    client.post_score(MAIN_LINE_ITEM[driver.flavour], score(sub_of(driver, "learner01")))
    driver.set_fault(status=500, count=3)
    line_items_before = driver.line_items()

    driver.reset()

    assert driver.scores() == []
    assert driver.calls() == []
    assert requests.get(f"{driver.base_url}/_sandbox/faults", timeout=5).json() == []
    assert driver.line_items() == line_items_before
