"""A small HTTP load balancer for several bot replicas, as a real one behaves.

Requests (Telegram's webhook POSTs, OAuth redirects, /healthz) go round-robin over the
replicas. A replica that refuses the connection (down, restarting) is skipped and the next one
tried, so nothing is lost to a dead replica; one that fails after taking the request gets a
502 back to the caller, which is Telegram's cue to deliver the update again.
"""

from __future__ import annotations

import itertools
from collections import Counter

import aiohttp
from aiohttp import web

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer",
                        "upgrade", "proxy-authorization", "proxy-authenticate", "host",
                        "content-length"})


class LoadBalancer:
    def __init__(self, upstreams: list[str], host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstreams = list(upstreams)
        self._host, self._port = host, port
        self._turns = itertools.cycle(range(len(self.upstreams)))
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.served: Counter[str] = Counter()  # upstream → requests it answered
        self.skipped: Counter[str] = Counter()  # upstream → connections it refused

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=60), auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> LoadBalancer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        for _ in self.upstreams:
            upstream = self.upstreams[next(self._turns)]
            try:
                async with self._session.request(
                    request.method, upstream + request.path_qs, data=body, headers=headers,
                    allow_redirects=False,
                ) as answer:
                    content = await answer.read()
                    self.served[upstream] += 1
                    kept = {k: v for k, v in answer.headers.items()
                            if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=answer.status, body=content, headers=kept)
            except aiohttp.ClientConnectorError:
                self.skipped[upstream] += 1  # never reached it: the next replica may
                continue
            except (aiohttp.ClientError, TimeoutError):
                return web.Response(status=502, text="the replica failed mid-request")
        return web.Response(status=502, text="no replica is up")
