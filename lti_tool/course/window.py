"""When an activity is open: release and expiration as instants in UTC.

``activity.yaml`` gives calendar dates; they are read in the provider's time zone
(``provider.timezone``, default America/New_York). The activity opens at 00:00 on the release
date and the expiration date is inclusive: credit can be earned until the end of that day,
i.e. until 00:00 of the next day in the provider's zone. ACCME and ACPE print these dates on
the activity page, so this is the reading a learner would expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from lti_tool.course.schema import ActivityMeta


def _start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class ActivityWindow:
    opens_at: datetime  # first instant the activity is available
    closes_at: datetime  # first instant credit can no longer be earned

    def is_released(self, now: datetime) -> bool:
        return now >= self.opens_at

    def is_expired(self, now: datetime) -> bool:
        return now >= self.closes_at


def activity_window(meta: ActivityMeta) -> ActivityWindow:
    return _window(meta.release_date, meta.expiration_date, meta.provider.zone)


# Each step's entry rule asks, several times a page; the answer rests on these three values
# (ZoneInfo keeps one instance per zone, so the zone is as good a key as its name).
@lru_cache(maxsize=256)
def _window(release_date: date, expiration_date: date, zone: ZoneInfo) -> ActivityWindow:
    return ActivityWindow(
        opens_at=_start_of_day(release_date, zone),
        closes_at=_start_of_day(expiration_date + timedelta(days=1), zone),
    )
