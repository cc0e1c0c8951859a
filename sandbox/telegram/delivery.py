"""How updates reach the bot: the queue with Telegram's confirm-by-offset rule, shared by
getUpdates and the webhook, and the pusher that posts to a webhook one update at a time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from sandbox.telegram.signals import Signal

WEBHOOK_ATTEMPTS = 5
WEBHOOK_BACKOFF_SECONDS = 0.05


@dataclass
class _Queued:
    update: dict[str, Any]
    redelivered: bool = False
    returned: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


class UpdateQueue:
    """Pending updates with Telegram's confirm-by-offset rule, shared by polling and webhook."""

    def __init__(self) -> None:
        self._pending: list[_Queued] = []
        self.changed = Signal()
        # How often each update went out (a bot that dies before confirming gets it again), and
        # who wants to know the moment a batch goes out: what crash tests need to see.
        self.deliveries: Counter[int] = Counter()
        self.watchers: list[Callable[[list[dict[str, Any]]], None]] = []

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, update: dict[str, Any], *, redelivered: bool = False) -> None:
        self._pending.append(_Queued(update, redelivered))
        self.changed.notify()

    def confirm(self, offset: int) -> None:
        """Forget what the offset confirms; a negative offset keeps only the last -offset."""
        if offset < 0:
            self._pending = self._pending[offset:]
            return
        # A redelivered update keeps its old id: it is confirmable only once it went out again.
        self._pending = [item for item in self._pending
                         if item.update_id >= offset or (item.redelivered and not item.returned)]

    def take(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """Up to limit updates at or after offset, oldest first; they stay until confirmed."""
        ready = [item for item in self._pending
                 if offset <= 0 or item.update_id >= offset
                 or (item.redelivered and not item.returned)]
        ready.sort(key=lambda item: item.update_id)
        batch = ready[:limit]
        for item in batch:
            item.returned = True
        updates = [item.update for item in batch]
        self.delivered(updates)
        return updates

    def delivered(self, updates: list[dict[str, Any]]) -> None:
        """Count a delivery of each update and tell the watchers."""
        if not updates:
            return
        self.deliveries.update(int(update["update_id"]) for update in updates)
        for watch in list(self.watchers):
            watch(updates)

    def head(self) -> _Queued | None:
        return self._pending[0] if self._pending else None

    def discard(self, item: _Queued) -> None:
        with contextlib.suppress(ValueError):
            self._pending.remove(item)

    def clear(self) -> None:
        self._pending.clear()


@dataclass
class WebhookConfig:
    """What setWebhook stored; getWebhookInfo reports it with the last delivery error."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None
    has_custom_certificate: bool = False
    last_error_date: int | None = None
    last_error_message: str | None = None

    def public(self) -> dict[str, Any]:
        return {"url": self.url, "secret_token": self.secret_token,
                "max_connections": self.max_connections, "allowed_updates": self.allowed_updates,
                "ip_address": self.ip_address}


class WebhookPusher:
    """Posts queued updates to the webhook one at a time, in order, retrying a failed post."""

    def __init__(self, queue: UpdateQueue, session: aiohttp.ClientSession,
                 config: WebhookConfig) -> None:
        self._queue = queue
        self._session = session
        self._config = config
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="telegram-webhook-pusher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            item = self._queue.head()
            if item is None:
                await self._queue.changed.wait(None)
                continue
            await self._deliver(item)
            self._queue.discard(item)

    async def _deliver(self, item: _Queued) -> bool:
        headers = {}
        if self._config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._config.secret_token
        for attempt in range(WEBHOOK_ATTEMPTS):
            self._queue.delivered([item.update])
            try:
                async with self._session.post(self._config.url, json=item.update,
                                              headers=headers) as response:
                    if 200 <= response.status < 300:
                        return True
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}: {exc}"
            self._config.last_error_date = int(time.time())
            self._config.last_error_message = error
            if attempt + 1 < WEBHOOK_ATTEMPTS:
                await asyncio.sleep(WEBHOOK_BACKOFF_SECONDS * 2 ** attempt)
        return False
