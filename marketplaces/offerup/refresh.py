"""One refresh per refresh token, however many callers ask at once.

OfferUp's partner contract rotates refresh tokens with reuse detection: presenting a refresh
token a second time revokes the seller's whole grant. Two concurrent refreshes of one
connection must therefore share a single token call and its answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable

from marketplaces.base import Tokens


class RefreshOnce:
    """Callers refreshing the same refresh token share one token call and its answer.

    With rotation and reuse detection, a second exchange of a token that was just rotated
    revokes the seller's whole connection, so this is not an optimisation but a necessity.
    Answers are remembered briefly, for callers that read the old tokens just before the new
    ones were stored.
    """

    def __init__(self, remember_seconds: float = 120.0) -> None:
        self._remember_seconds = remember_seconds
        self._running: dict[str, asyncio.Future[Tokens]] = {}
        self._answers: dict[str, tuple[float, Tokens]] = {}

    async def run(self, refresh_token: str, call: Callable[[], Awaitable[Tokens]]) -> Tokens:
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        now = time.monotonic()
        self._answers = {k: v for k, v in self._answers.items() if v[0] > now}
        if key in self._answers:
            return self._answers[key][1]
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(call())
            self._running[key] = running
            running.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(running)

    def _settle(self, key: str, done: asyncio.Future[Tokens]) -> None:
        self._running.pop(key, None)
        if done.cancelled() or done.exception() is not None:
            return
        self._answers[key] = (time.monotonic() + self._remember_seconds, done.result())
