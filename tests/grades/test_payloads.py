"""The pure builders: score objects, timestamps, URLs, Link and Retry-After headers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from lti_tool import protocol
from lti_tool.grades import payloads

NOON = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


def test_percentage_is_exact_to_two_decimals_half_up() -> None:
    assert payloads.percent(Fraction(7, 10)) == Decimal("70.00")
    assert payloads.percent(Fraction(2, 3)) == Decimal("66.67")
    assert payloads.percent(Fraction(1, 8)) == Decimal("12.50")
    assert payloads.percent(Fraction(1, 1)) == Decimal("100.00")


def test_score_object_carries_sub_percentage_of_100_and_millisecond_timestamp() -> None:
    score = payloads.score_payload(
        sub="c0ffee",
        score_given=Decimal("66.67"),
        activity_progress=protocol.ACTIVITY_PROGRESS_SUBMITTED,
        timestamp=NOON,
    )
    assert score == {
        "userId": "c0ffee",
        "scoreGiven": 66.67,
        "scoreMaximum": 100,
        "activityProgress": "Submitted",
        "gradingProgress": "FullyGraded",
        "timestamp": "2026-03-01T12:00:00.123+00:00",
    }


def test_whole_percentages_go_out_as_json_integers() -> None:
    score = payloads.score_payload(
        sub="s", score_given=Decimal("80.00"), activity_progress="Completed", timestamp=NOON
    )
    assert score["scoreGiven"] == 80 and isinstance(score["scoreGiven"], int)


def test_score_above_the_maximum_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="outside"):
        payloads.score_payload(
            sub="s", score_given=Decimal("100.01"), activity_progress="Submitted", timestamp=NOON
        )


def test_a_new_timestamp_is_at_least_one_second_after_the_previous_one() -> None:
    previous = dt.datetime(2026, 3, 1, 12, 0, 0, 900000, tzinfo=dt.UTC)
    later_same_second = dt.datetime(2026, 3, 1, 12, 0, 0, 950000, tzinfo=dt.UTC)
    stamp = payloads.next_score_timestamp(later_same_second, previous)
    assert stamp == dt.datetime(2026, 3, 1, 12, 0, 1, 900000, tzinfo=dt.UTC)
    # Moodle compares whole seconds: the new one is strictly newer there too.
    assert int(stamp.timestamp()) > int(previous.timestamp())


def test_a_timestamp_well_after_the_previous_one_is_now_in_milliseconds() -> None:
    previous = NOON - dt.timedelta(minutes=5)
    assert payloads.next_score_timestamp(NOON, previous) == NOON.replace(microsecond=123000)
    assert payloads.next_score_timestamp(NOON, None) == NOON.replace(microsecond=123000)


def test_scores_segment_goes_before_moodles_query_string() -> None:
    url = "https://moodle.example/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"
    assert payloads.add_path_segment(url, "scores") == (
        "https://moodle.example/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=1"
    )
    canvas = "https://canvas.example/api/lti/courses/7/line_items/31/"
    assert payloads.add_path_segment(canvas, "scores") == (
        "https://canvas.example/api/lti/courses/7/line_items/31/scores"
    )


def test_filters_are_added_to_an_existing_query_string() -> None:
    url = "https://moodle.example/mod/lti/services.php/2/lineitems?type_id=1"
    assert payloads.with_query(url, {"resource_id": "cervical-dystonia"}) == (
        "https://moodle.example/mod/lti/services.php/2/lineitems?type_id=1&resource_id=cervical-dystonia"
    )


def test_next_page_url_is_kept_exactly_as_the_platform_sent_it() -> None:
    header = (
        '<https://lms.example/CourseSection/2/lineitems?Page=2&Token=AbC>; rel="next", '
        '<https://lms.example/CourseSection/2/lineitems?Page=9>; rel="last"'
    )
    assert (
        payloads.next_page_url(header)
        == "https://lms.example/CourseSection/2/lineitems?Page=2&Token=AbC"
    )
    assert payloads.next_page_url('<https://x.example/a>; rel="last"') is None
    assert payloads.next_page_url(None) is None


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert payloads.retry_after_seconds("7", now) == 7.0
    assert payloads.retry_after_seconds("Sun, 01 Mar 2026 12:00:30 GMT", now) == 30.0
    assert payloads.retry_after_seconds("Sun, 01 Mar 2026 11:00:00 GMT", now) == 0.0
    assert payloads.retry_after_seconds("soon", now) is None
    assert payloads.retry_after_seconds(None, now) is None
