"""A platform's "not newer" answer is known by its words too, not only by the product family
the registration names: a Moodle registered by hand may name none (the topology test saw a
score resent after its sender died become a dead letter)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from lti_tool.grades.ags import classify_failure
from lti_tool.models.grades import FailureKind

NOW = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)


def _answer(status: int, message: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps({"status": status, "reason": message}).encode()
    response.headers["Content-Type"] = "application/json"
    return response


@pytest.mark.parametrize("family", ["moodle", ""])
def test_moodles_earlier_timestamp_409_means_the_score_is_there(family: str) -> None:
    answer = _answer(409, "Refusing score with an earlier timestamp for item 7 and user 5")

    failure = classify_failure(answer, product_family=family, is_score=True, now=NOW)

    assert failure.not_newer
    assert failure.kind is FailureKind.PERMANENT


@pytest.mark.parametrize("family", ["canvas", ""])
def test_canvas_before_last_updated_400_means_a_newer_score_is_there(family: str) -> None:
    answer = _answer(400, "Provided timestamp of x before last updated timestamp of y")

    failure = classify_failure(answer, product_family=family, is_score=True, now=NOW)

    assert failure.not_newer


def test_another_409_is_a_client_error_to_retry_a_few_times() -> None:
    failure = classify_failure(_answer(409, "Conflict"), product_family="", is_score=True, now=NOW)

    assert not failure.not_newer
    assert failure.kind is FailureKind.CLIENT_ERROR
