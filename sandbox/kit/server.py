"""The marketplace sandboxes' server: an aiohttp app on loopback that starts and stops quickly
and counts what it serves, for benchmarks and tests."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SandboxServer:
    """An aiohttp app on loopback that starts and stops quickly, like the Telegram emulator."""

    def __init__(self) -> None:
        self.request_count = 0  # every request served, for benchmarks and tests
        self.recent_requests: deque[tuple[float, str, str]] = deque(maxlen=64)
        self.watchers: list[Callable[[str, str], None]] = []  # told (method, path) on arrival
        self.app = web.Application(
            client_max_size=64 * 1024 * 1024, middlewares=[self._count_requests]
        )
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @web.middleware
    async def _count_requests(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.request_count += 1
        self.recent_requests.append((time.monotonic(), request.method, request.path))
        for watch in self.watchers:
            watch(request.method, request.path)
        return await handler(request)

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._runner = web.AppRunner(
            self.app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self._url = f"http://{host}:{bound}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
