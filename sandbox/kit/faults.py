"""Fault injection for the sandboxes' API routes: latency, a share of 5xx, 429 with Retry-After,
and hangs, drawn at random from a seeded generator or queued exactly for a test."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.kit.errors import ErrorResponder
from sandbox.kit.server import Handler


@dataclass
class Fault:
    kind: str  # "error", "rate_limit", "hang"
    status: int = 503
    retry_after: int = 1
    path_contains: str = ""  # only requests whose path contains this (all when empty)

    def applies_to(self, path: str) -> bool:
        return self.path_contains in path


@dataclass
class Faults:
    """Latency, a share of 5xx, 429 with Retry-After, and hangs, for the API routes.

    Random faults are drawn from a seeded generator, so a benchmark run can be repeated;
    `next(...)` queues exact faults for tests that must be deterministic.
    """

    latency_seconds: float = 0.0
    error_share: float = 0.0
    rate_limit_share: float = 0.0
    hang_share: float = 0.0
    retry_after_seconds: int = 1
    hang_seconds: float = 60.0
    seed: int = 7
    injected: Counter[str] = field(default_factory=Counter)
    _queued: deque[Fault] = field(default_factory=deque)
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def next(
        self,
        kind: str,
        *,
        status: int = 503,
        retry_after: int = 1,
        times: int = 1,
        path_contains: str = "",
    ) -> None:
        """Queue `times` faults for the next API calls, e.g. next("rate_limit", retry_after=2);
        with `path_contains`, only calls to matching paths take them."""
        if kind not in ("error", "rate_limit", "hang"):
            raise ValueError(f"unknown fault kind {kind!r}")
        self._queued.extend(
            Fault(kind, status, retry_after, path_contains) for _ in range(times)
        )

    def clear(self) -> None:
        self._queued.clear()
        self.latency_seconds = self.error_share = self.rate_limit_share = self.hang_share = 0.0

    def draw(self, path: str = "") -> Fault | None:
        for queued in self._queued:
            if queued.applies_to(path):
                self._queued.remove(queued)
                return queued
        roll = self._random.random()
        if roll < self.error_share:
            return Fault("error", self._random.choice((500, 502, 503)))
        roll -= self.error_share
        if roll < self.rate_limit_share:
            return Fault("rate_limit", 429, self.retry_after_seconds)
        roll -= self.rate_limit_share
        if roll < self.hang_share:
            return Fault("hang")
        return None

    def middleware(self, applies: Callable[[web.Request], bool], error: ErrorResponder) -> Any:
        """An aiohttp middleware that injects faults into the requests `applies` selects."""

        @web.middleware
        async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not applies(request):
                return await handler(request)
            if self.latency_seconds:
                await asyncio.sleep(self.latency_seconds)
            fault = self.draw(request.path)
            if fault is None:
                return await handler(request)
            self.injected[fault.kind] += 1
            if fault.kind == "hang":
                await asyncio.sleep(self.hang_seconds)
                return await handler(request)
            if fault.kind == "rate_limit":
                response = error(429, "rate_limited", "Too many requests; slow down.")
                response.headers["Retry-After"] = str(fault.retry_after)
                return response
            return error(fault.status, "unavailable", "The service is temporarily unavailable.")

        return inject
