"""The aiohttp server that shares the bot's event loop: /healthz, the Telegram webhook, the
OAuth start and callback pages, the signed media URLs marketplaces fetch photos from, and the
endpoint marketplaces push notifications to.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot import __version__
from bot.context import DealScoutApplication
from bot.web.item_page import ItemPages
from bot.web.notifications import NotificationRoutes
from bot.web.oauth_pages import OAuthRoutes
from bot.web.security import protect

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024


class WebServer:
    def __init__(
        self,
        *,
        application: DealScoutApplication,
        host: str,
        port: int,
        webhook_secret: str | None = None,
    ) -> None:
        self._application = application
        self._db = application.services.db
        self._host = host
        self._port = port
        self._webhook_secret = webhook_secret
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        protect(self.app)
        self.app.router.add_get("/healthz", self.healthz)
        self.app.router.add_post(WEBHOOK_PATH, self.telegram_webhook)
        OAuthRoutes(application).register(self.app)
        ItemPages(application).register(self.app)
        NotificationRoutes(application).register(self.app)
        media = application.services.media
        if media is not None:
            self.app.router.add_get("/media/{token}", media.handle)

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        if self._runner is None or not self._runner.addresses:
            return self._port
        return self._runner.addresses[0][1]

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("web server listening on %s", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, request: web.Request) -> web.Response:
        db_ok = await self._db.ping()
        body = {
            "ok": db_ok,
            "db": "ok" if db_ok else "unreachable",
            "queue_depth": self._application.update_queue.qsize(),
            "version": __version__,
        }
        return web.json_response(body, status=200 if db_ok else 503)

    async def telegram_webhook(self, request: web.Request) -> web.Response:
        """Telegram's POST of one update. A wrong secret is refused; anything with the right
        one comes from Telegram and is acknowledged, even what cannot be read as an update:
        any other answer makes Telegram send the same bytes again, for ever."""
        if self._webhook_secret is None:
            raise web.HTTPNotFound()
        if not _same_secret(request.headers.get(SECRET_HEADER, ""), self._webhook_secret):
            log.warning("webhook call with a wrong or missing secret token from %s", request.remote)
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        update = self._read_update(await request.read())
        if update is not None:
            self._application.bot.insert_callback_data(update)  # typed buttons (bot/buttons.py)
            # Written down before the 200 that tells Telegram it arrived (bot/inbox.py).
            await self._application.inbox.keep([update])
            await self._application.update_queue.put(update)
        return web.json_response({"ok": True})

    def _read_update(self, body: bytes) -> Update | None:
        """The update in a webhook body, or None (logged once) when python-telegram-bot cannot
        read it: not JSON, not an object, or fields not of the types it expects."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not UTF-8 JSON, or nested past any real update
            log.warning("acknowledged a webhook body that is not readable JSON (%d bytes)",
                        len(body))
            return None
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            update_id = None
        try:
            update = Update.de_json(data, self._application.bot) if update_id is not None else None
        except Exception:  # PTB's parsers assume Telegram's types; anything else breaks them
            update = None
        if update is None:
            what = f"update {update_id}" if update_id is not None else f"JSON {_kind(data)}"
            log.warning("acknowledged webhook %s, which python-telegram-bot cannot read", what)
        return update


def _kind(data: object) -> str:
    """What a JSON value is, in JSON's own words."""
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "boolean"
    names = {dict: "object without an update_id", list: "array", str: "string"}
    return next((name for kind, name in names.items() if isinstance(data, kind)), "number")


def _same_secret(offered: str, expected: str) -> bool:
    """The secret header compared in constant time; a header that is not UTF-8 (aiohttp keeps
    its bytes as surrogates) cannot be our secret."""
    try:
        offered_bytes = offered.encode()
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(offered_bytes, expected.encode())
