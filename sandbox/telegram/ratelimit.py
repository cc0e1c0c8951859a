"""Telegram's flood limit as the emulator models it: one sliding one-second window over the
sending methods, answered with 429 and a whole-second retry_after."""

from __future__ import annotations

import math
import time
from collections import deque

from sandbox.telegram.errors import ApiError


class RateLimiter:
    """A sliding one-second window over sending calls; past the limit Telegram says 429."""

    def __init__(self, per_second: int | None) -> None:
        self.per_second = per_second
        self._stamps: deque[float] = deque()

    def acquire(self) -> None:
        """Count one call, or raise Too Many Requests with a whole-second retry_after."""
        if self.per_second is None:
            return
        now = time.monotonic()
        while self._stamps and self._stamps[0] <= now - 1.0:
            self._stamps.popleft()
        if len(self._stamps) >= self.per_second:
            retry_after = max(1, math.ceil(self._stamps[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                           {"retry_after": retry_after})
        self._stamps.append(now)
