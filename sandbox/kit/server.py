"""Serving a stand-in over real HTTP on loopback: an aiohttp app that starts on a free port and
stops quickly (the Telegram emulator and every marketplace sandbox), and the marketplace
sandboxes' server, which also counts what it serves for benchmarks and tests."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable
from typing import ClassVar, Self

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LoopbackServer(ABC):
    """Serves `application()` on host:port until stop(); port 0 picks a free port.

    Handlers still running when it stops are cancelled (handler_cancellation), so a waiting
    long poll or a hung request never holds up a test's teardown.
    """

    SHUTDOWN_TIMEOUT: ClassVar[float] = 0.5

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @abstractmethod
    def application(self) -> web.Application:
        """The aiohttp app to serve, asked for on every start."""

    @property
    def url(self) -> str:
        """http://host:port where it is served; RuntimeError before start()."""
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0 picks a free port)."""
        self._runner = web.AppRunner(self.application(), handler_cancellation=True,
                                     shutdown_timeout=self.SHUTDOWN_TIMEOUT, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._url = f"http://{shown}:{bound_port}"

    async def stop(self) -> None:
        """Stop serving; handlers still running are cancelled."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


class SandboxServer(LoopbackServer):
    """A marketplace sandbox's server: subclasses add routes and middlewares to `self.app`."""

    def __init__(self) -> None:
        super().__init__()
        self.request_count = 0  # every request served, for benchmarks and tests
        self.recent_requests: deque[tuple[float, str, str]] = deque(maxlen=64)
        self.watchers: list[Callable[[str, str], None]] = []  # told (method, path) on arrival
        self.app = web.Application(
            client_max_size=64 * 1024 * 1024, middlewares=[self._count_requests]
        )

    def application(self) -> web.Application:
        return self.app

    @web.middleware
    async def _count_requests(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.request_count += 1
        self.recent_requests.append((time.monotonic(), request.method, request.path))
        for watch in self.watchers:
            watch(request.method, request.path)
        return await handler(request)
