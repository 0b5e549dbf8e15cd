"""Recently counted outcomes, so the console page answers at once on a large cohort.

Counting 100,000 learners takes the database a few seconds; a provider looking at the page
does not need figures newer than a few minutes. Each process keeps the last reports it
counted, by activity and date range, and counts again when one is older than
``max_age_seconds`` or when asked to (the page's "count again now").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lti_tool.outcomes.report import OutcomesReport

Key = tuple[str, date | None, date | None]
KEPT = 32  # reports kept per process (most recently used)


@dataclass(frozen=True)
class Snapshot:
    report: OutcomesReport
    counted_at: datetime


class OutcomeSnapshots:
    def __init__(self, max_age_seconds: int, clock: Callable[[], datetime]) -> None:
        self.max_age = timedelta(seconds=max_age_seconds)
        self.clock = clock
        self._kept: OrderedDict[Key, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, key: Key, count: Callable[[], OutcomesReport | None], *, fresh: bool = False
    ) -> Snapshot | None:
        now = self.clock()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and not fresh and now - kept.counted_at <= self.max_age:
                self._kept.move_to_end(key)
                return kept
        report = count()  # outside the lock: other activities' pages need not wait
        if report is None:
            return None
        snapshot = Snapshot(report, now)
        with self._lock:
            self._kept[key] = snapshot
            self._kept.move_to_end(key)
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return snapshot
