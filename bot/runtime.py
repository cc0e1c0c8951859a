"""Starts and stops the whole bot in the running event loop: database, Application, web server.

`python -m bot run`, the demo, the tests and the benchmarks all go through here, so they exercise
exactly what production runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from telegram import Update

from bot.application import build_application
from bot.config import Settings
from bot.context import DealScoutApplication
from bot.pushes import set_up_pushes
from bot.web.server import WebServer
from storage.db import Database
from storage.timeutil import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 10
LEADER_RETRY_SECONDS = 2.0  # how often a replica that does not poll asks to become the one


class BotRuntime:
    def __init__(
        self,
        settings: Settings,
        *,
        webhook: bool = False,
        on_build: Callable[[DealScoutApplication], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`on_build` sees the Application before it starts (tests and benchmarks add probes);
        `clock` is what "now" is for its repositories and jobs."""
        self.settings = settings
        self.webhook = webhook
        self.clock = clock
        self._on_build = on_build
        self.db: Database | None = None
        self.application: DealScoutApplication | None = None
        self.web: WebServer | None = None
        self._leading: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bring everything up, in the order PTB's own `run_polling` uses."""
        self.db = await Database.open(self.settings.database_location)
        self.application = build_application(self.settings, self.db, self.clock)
        app = self.application
        if self._on_build is not None:
            self._on_build(app)
        await app.initialize()
        # Application.initialize() does not call post_init; run_polling would. We run the
        # lifecycle by hand (to share the loop with aiohttp), so we call it as it would.
        if app.post_init is not None:
            await app.post_init(app)
        self.web = WebServer(
            application=app,
            host=self.settings.web_host,
            port=self.settings.web_port,
            webhook_secret=self.settings.webhook_secret if self.webhook else None,
        )
        await self.web.start()
        if self.webhook:
            await app.bot.set_webhook(
                url=self.settings.webhook_url,
                secret_token=self.settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
            )
        elif app.services.coordination.shared:
            # Several replicas: one polls into the shared inbox, all handle from it.
            self._leading = asyncio.create_task(self._poll_when_elected(), name="leader")
        else:
            await self._poll()
        await app.start()
        app.create_task(set_up_pushes(app), name="set-up-pushes")  # needs the web server up
        log.info("bot running (%s)", "webhook" if self.webhook else "polling")

    async def _poll(self) -> None:
        assert self.application is not None
        await self.application.updater.start_polling(
            timeout=POLL_TIMEOUT_SECONDS, allowed_updates=Update.ALL_TYPES
        )

    async def _poll_when_elected(self) -> None:
        """Ask for the leader lock until this replica holds it, then poll Telegram."""
        assert self.application is not None
        coordination = self.application.services.coordination
        while True:
            try:
                if await coordination.try_lead():
                    await self._poll()
                    return
            except Exception:
                log.exception("could not ask for the polling leader lock; asking again")
            await asyncio.sleep(LEADER_RETRY_SECONDS)

    @property
    def polling(self) -> bool:
        """True while this replica is the one polling Telegram."""
        app = self.application
        return app is not None and app.updater is not None and app.updater.running

    async def stop(self) -> None:
        """Take everything down; safe to call after a partial start."""
        app = self.application
        if self._leading is not None:
            self._leading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._leading
        if app is not None:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            with contextlib.suppress(RuntimeError):
                await app.shutdown()
            if app.post_shutdown is not None:  # as run_polling would
                await app.post_shutdown(app)
        if app is not None:
            await app.services.coordination.resign()
        if self.web is not None:
            await self.web.stop()
        if self.db is not None:
            await self.db.close()
        log.info("bot stopped")

    async def __aenter__(self) -> BotRuntime:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def run_until_stopped(settings: Settings, *, webhook: bool) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with BotRuntime(settings, webhook=webhook):
        await stop.wait()
