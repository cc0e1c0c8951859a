"""A change signal: how long polls, the webhook pusher and waiting tests learn that something
happened, without polling in a loop."""

from __future__ import annotations

import asyncio
import contextlib


class Signal:
    """Wakes every waiter on each change; waiters then re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float | None) -> None:
        """Return on the next change, or after seconds (None: no limit)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
