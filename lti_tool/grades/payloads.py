"""Pure builders for what the tool sends to AGS: scores, line items, URLs, header parsing.

AGS 2.0 https://www.imsglobal.org/spec/lti-ags/v2p0/ : §3.4.2 score publish (the score
object), §3.2 line item service, §3.2.5 container filters; RFC 8288 ``Link`` headers for
paging; RFC 9110 §10.2.3 ``Retry-After``. No I/O here: every function is a plain value in,
value out, so the rules are tested without a platform.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from email.utils import parsedate_to_datetime
from fractions import Fraction
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lti_tool import protocol

SCORE_MAXIMUM = Decimal(100)
# Moodle compares score timestamps in whole seconds and refuses (409) one that is not
# strictly newer; Canvas refuses (400) one older than the last. Each new score for a
# (learner, line item) pair is therefore stamped at least a full second after the last.
MIN_TIMESTAMP_STEP = dt.timedelta(seconds=1)

_PERCENT_STEP = Decimal("0.01")


def percent(fraction: Fraction) -> Decimal:
    """A score fraction as a percentage of 100, exact to two decimals (half-up)."""
    value = Decimal(fraction.numerator) * 100 / Decimal(fraction.denominator)
    return value.quantize(_PERCENT_STEP, rounding=ROUND_HALF_UP)


def json_number(value: Decimal) -> int | float:
    """The wire form of an exact score: JSON has only binary numbers, so convert last.

    A two-decimal Decimal round-trips through ``float`` repr unchanged ("83.33").
    """
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def truncate_to_millis(moment: dt.datetime) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso_millis(moment: dt.datetime) -> str:
    """ISO 8601 with milliseconds and an explicit UTC offset, as AGS examples show."""
    return truncate_to_millis(moment).isoformat(timespec="milliseconds")


def next_score_timestamp(now: dt.datetime, previous: dt.datetime | None) -> dt.datetime:
    """The timestamp of a new score: now, but at least one second after the pair's last."""
    stamp = truncate_to_millis(now)
    if previous is not None and stamp < previous + MIN_TIMESTAMP_STEP:
        stamp = truncate_to_millis(previous + MIN_TIMESTAMP_STEP)
    return stamp


def score_payload(
    *,
    sub: str,
    score_given: Decimal | None,
    activity_progress: str,
    timestamp: dt.datetime,
    grading_progress: str = protocol.GRADING_PROGRESS_FULLY_GRADED,
    score_maximum: Decimal = SCORE_MAXIMUM,
) -> dict[str, Any]:
    """The AGS score object (§3.4.2). ``userId`` is the learner's LTI ``sub``."""
    payload: dict[str, Any] = {
        "userId": sub,
        "activityProgress": activity_progress,
        "gradingProgress": grading_progress,
        "timestamp": iso_millis(timestamp),
    }
    if score_given is not None:
        if not Decimal(0) <= score_given <= score_maximum:
            raise ValueError(f"score {score_given} is outside 0..{score_maximum}")
        payload["scoreGiven"] = json_number(score_given)
        payload["scoreMaximum"] = json_number(score_maximum)
    return payload


def line_item_payload(
    *, label: str, resource_id: str, resource_link_id: str | None, tag: str = "cme-posttest"
) -> dict[str, Any]:
    """A new line item (§3.2.7), scored out of 100 like every score the tool sends."""
    payload: dict[str, Any] = {
        "label": label or resource_id,
        "scoreMaximum": json_number(SCORE_MAXIMUM),
        "resourceId": resource_id,
        "tag": tag,
    }
    if resource_link_id:
        payload["resourceLinkId"] = resource_link_id
    return payload


def add_path_segment(url: str, segment: str) -> str:
    """``…/lineitem?type_id=1`` + ``scores`` → ``…/lineitem/scores?type_id=1``.

    Moodle's service URLs carry the tool type in a query string, so the path segment goes
    before the ``?``; appending it to the whole URL gives Moodle a 404.
    """
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/" + segment
    return urlunsplit(parts._replace(path=path))


def with_query(url: str, params: dict[str, str]) -> str:
    """Add query parameters, keeping those already in the URL (Moodle's ``type_id``)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in query if key not in params]
    return urlunsplit(parts._replace(query=urlencode(kept + list(params.items()))))


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^,;]+)*)")
_REL = re.compile(r'rel\s*=\s*"?([^";]+)"?', re.IGNORECASE)


def next_page_url(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 Link header, exactly as the platform wrote it.

    Only the relation name is compared case-insensitively: URLs are case-sensitive (Moodle's
    ``CourseSection`` path segment, signed Canvas page tokens).
    """
    if not link_header:
        return None
    for match in _LINK.finditer(link_header.replace("\n", " ")):
        rel = _REL.search(match.group(2))
        if rel and "next" in rel.group(1).lower().split():
            return match.group(1).strip()
    return None


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # an HTTP date is always GMT
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - now).total_seconds())
