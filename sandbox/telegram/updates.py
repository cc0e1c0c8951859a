"""getUpdates and the webhook methods: who receives the queued updates, and how."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.telegram.delivery import UpdateQueue, WebhookConfig, WebhookPusher
from sandbox.telegram.errors import ApiError, bad_request
from sandbox.telegram.params import Described, Handler, Params

UPDATE_TYPES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages",
    "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
    "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
    "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost",
})
DEFAULT_ALLOWED_UPDATES = UPDATE_TYPES - {"chat_member", "message_reaction",
                                          "message_reaction_count"}
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)


class UpdatesApi:
    """getUpdates and the webhook methods: who receives queued updates, and how."""

    def __init__(self) -> None:
        self.queue = UpdateQueue()
        self.session: aiohttp.ClientSession | None = None  # set while the server runs
        self.closing = False
        self._allowed: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._allowed_explicit: list[str] | None = None
        self._config: WebhookConfig | None = None
        self._pusher: WebhookPusher | None = None
        self._poller: object | None = None

    def methods(self) -> dict[str, Handler]:
        return {"getUpdates": self.get_updates, "setWebhook": self.set_webhook,
                "deleteWebhook": self.delete_webhook, "getWebhookInfo": self.get_webhook_info}

    @property
    def webhook(self) -> dict[str, Any] | None:
        return self._config.public() if self._config else None

    def offer(self, update: dict[str, Any], kind: str) -> None:
        """Queue a new update; like Telegram, one of a type the bot did not ask for is dropped."""
        if kind in self._allowed:
            self.queue.push(update)

    async def close(self) -> None:
        """Answer waiting long polls now and stop webhook delivery."""
        self.closing = True
        self.queue.changed.notify()
        if self._pusher:
            await self._pusher.stop()
            self._pusher = None

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self._config:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.integer("offset") or 0
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        self._set_allowed(params.structured("allowed_updates", "allowed updates"))
        self.queue.confirm(offset)
        ticket = object()
        self._poller = ticket
        self.queue.changed.notify()  # an older waiting poll learns it was superseded
        deadline = time.monotonic() + timeout
        while True:
            if self._poller is not ticket:
                raise ApiError(409, POLL_CONFLICT)
            if self._config:
                raise ApiError(409, WEBHOOK_CONFLICT)
            batch = self.queue.take(offset, limit)
            remaining = deadline - time.monotonic()
            if batch or self.closing or remaining <= 0:
                return batch
            await self.queue.changed.wait(remaining)

    def _set_allowed(self, allowed: Any) -> None:
        if allowed is None:  # not sent: the previous setting stays, as Telegram remembers it
            return
        if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
            raise bad_request("can't parse allowed updates JSON object")
        self._allowed_explicit = allowed
        self._allowed = (frozenset(allowed) & UPDATE_TYPES) or DEFAULT_ALLOWED_UPDATES

    async def set_webhook(self, params: Params) -> Described:
        url = (params.text("url") or "").strip()
        if not url:  # an empty URL removes the webhook, as the Bot API documents
            return await self.delete_webhook(params)
        self._check_url(url)
        secret = params.text("secret_token") or None
        if secret is not None and not _SECRET_SHAPE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("invalid max_connections specified")
        self._set_allowed(params.structured("allowed_updates", "allowed updates"))
        if params.boolean("drop_pending_updates"):
            self.queue.clear()
        same = self._config is not None and self._config.url == url
        await self._replace(WebhookConfig(
            url=url, secret_token=secret, max_connections=max_connections,
            allowed_updates=self._allowed_explicit, ip_address=params.text("ip_address"),
            has_custom_certificate=params.upload("certificate") is not None,
        ))
        return Described(True, "Webhook is already set" if same else "Webhook was set")

    @staticmethod
    def _check_url(url: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise bad_request("bad webhook: Wrong port number specified in the URL") from exc
        if parts.scheme not in ("http", "https"):
            raise bad_request("bad webhook: Unsupported URL protocol")
        if not parts.hostname or port == 0:
            raise bad_request("bad webhook: Wrong URL host")

    async def _replace(self, config: WebhookConfig | None) -> None:
        if self._pusher:
            await self._pusher.stop()
            self._pusher = None
        self._config = config
        if config and self.session:
            self._pusher = WebhookPusher(self.queue, self.session, config)
            self._pusher.start()
        self.queue.changed.notify()

    async def delete_webhook(self, params: Params) -> Described:
        if params.boolean("drop_pending_updates"):
            self.queue.clear()
        existed = self._config is not None
        await self._replace(None)
        return Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        config = self._config
        info: dict[str, Any] = {
            "url": config.url if config else "",
            "has_custom_certificate": bool(config and config.has_custom_certificate),
            "pending_update_count": len(self.queue),
        }
        if config:
            info["max_connections"] = config.max_connections
            info["ip_address"] = config.ip_address or "127.0.0.1"
            if config.allowed_updates is not None:
                info["allowed_updates"] = config.allowed_updates
            if config.last_error_date:
                info["last_error_date"] = config.last_error_date
                info["last_error_message"] = config.last_error_message
        return info
