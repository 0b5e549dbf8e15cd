"""When a failed job is tried again: one rule for every queue of the outbox."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff from ``base`` doubling to ``cap``, with "equal jitter" (half the
    delay fixed, half random) so that jobs failed by one outage do not all come back in the
    same second; a ``Retry-After`` from the other side is believed up to ``max_retry_after``.
    After ``max_attempts`` tries a job becomes a dead letter."""

    base: timedelta
    cap: timedelta
    max_attempts: int
    max_retry_after: timedelta = timedelta(hours=1)
    jitter: bool = True

    def ceiling(self, attempts_so_far: int) -> timedelta:
        """The longest wait after ``attempts_so_far`` tries: base, 2·base, 4·base … cap."""
        return min(self.cap, self.base * 2 ** max(0, attempts_so_far - 1))

    def delay(
        self,
        attempts_so_far: int,
        rng: random.Random,
        retry_after: float | None = None,
    ) -> timedelta:
        if retry_after is not None:
            return min(timedelta(seconds=max(0.0, retry_after)), self.max_retry_after)
        ceiling = self.ceiling(attempts_so_far)
        if not self.jitter:
            return ceiling
        half = ceiling.total_seconds() / 2
        return timedelta(seconds=half + rng.uniform(0, half))

    def exhausted(self, attempts_so_far: int) -> bool:
        return attempts_so_far >= self.max_attempts
