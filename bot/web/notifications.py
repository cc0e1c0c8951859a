"""/notifications/{marketplace}: where a marketplace pushes events to us (eBay's Notification
API).

- GET with `challenge_code`: the marketplace proving the endpoint is ours before it sends
  anything; answered as it documents (eBay: JSON `{"challengeResponse": …}`).
- POST: a push. Its signature is checked before anything else; a forged or unsigned one is
  refused (412, which eBay reads as "not accepted") and logged for the operator. A verified one
  is acknowledged at once (204) and acted on in the background, since the marketplace waits
  for the answer and retries a slow one.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.context import DealScoutApplication
from bot.pushes import PushHandler
from marketplaces.base import MarketplaceError
from marketplaces.capabilities import ForgedNotification, PushNotifications

log = logging.getLogger(__name__)

PATH = "/notifications/{marketplace}"
MAX_PUSH_BYTES = 64 * 1024  # eBay's messages are a few hundred bytes
SIGNATURE_HEADER = "X-EBAY-SIGNATURE"


class NotificationRoutes:
    def __init__(self, application: DealScoutApplication) -> None:
        self._application = application
        self._marketplaces = application.services.marketplaces
        self._pushes = PushHandler(application)

    def register(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.challenge)
        app.router.add_post(PATH, self.push)

    def _receiver(self, request: web.Request) -> tuple[str, PushNotifications]:
        name = request.match_info["marketplace"]
        adapter = self._marketplaces.get(name)
        if not isinstance(adapter, PushNotifications):
            raise web.HTTPNotFound()
        return name, adapter

    async def challenge(self, request: web.Request) -> web.Response:
        _, adapter = self._receiver(request)
        code = request.query.get("challenge_code", "")
        answer = adapter.answer_challenge(code) if code else None
        if answer is None:
            raise web.HTTPNotFound() if code else web.HTTPBadRequest(text="challenge_code missing")
        return web.json_response({"challengeResponse": answer})

    async def push(self, request: web.Request) -> web.Response:
        name, adapter = self._receiver(request)
        if request.content_length is not None and request.content_length > MAX_PUSH_BYTES:
            raise web.HTTPRequestEntityTooLarge(MAX_PUSH_BYTES, request.content_length)
        body = await request.read()
        try:
            pushed = await adapter.read_notification(body, request.headers.get(SIGNATURE_HEADER))
        except ForgedNotification as exc:
            log.warning("refused a %s push from %s: %s", name, request.remote, exc.message)
            return web.Response(status=412)
        except MarketplaceError as exc:  # the key could not be fetched: let eBay retry
            log.warning("could not verify a %s push: %s", name, exc.message)
            return web.Response(status=503)
        self._application.create_task(
            self._pushes.handle(name, pushed), name=f"push:{name}:{pushed.notification_id}"
        )
        return web.Response(status=204)
