"""The Application's update queue, with every update written down before it is queued.

python-telegram-bot confirms updates to Telegram as soon as they are queued: the polling loop
sends the next getUpdates offset right after `put` returns, and our webhook answers 200 right
after it. An update queued but not yet handled was therefore lost to a crash. Here `put` first
records the update in the ledger, so whatever Telegram considers delivered is on disk, and a
restart hands the unclaimed ones back to the queue before polling starts.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, Update

from bot.processor import ordering_key
from storage.updates import UpdateLedger

log = logging.getLogger(__name__)

Record = Callable[[int, int | None, str], Awaitable[None]]


class InboxQueue(asyncio.Queue):  # type: ignore[type-arg]
    """An asyncio.Queue whose `put` records each Update first (anything else passes as is)."""

    def __init__(self) -> None:
        super().__init__()
        self._record: Record | None = None

    def bind(self, record: Record) -> None:
        """Attach the ledger once the services exist (the queue is made before them)."""
        self._record = record

    async def put(self, item: object) -> None:
        if self._record is not None and isinstance(item, Update):
            try:
                await self._record(item.update_id, ordering_key(item), item.to_json())
            except Exception:
                # Handling it now beats refusing it: only a crash before it is handled loses it.
                log.exception("could not record update %s; handling it anyway", item.update_id)
        await super().put(item)


async def requeue_unclaimed(ledger: UpdateLedger, queue: asyncio.Queue, bot: Bot) -> int:
    """Queue again every update a crash left unhandled, oldest first; return how many."""
    payloads = await ledger.unclaimed()
    for payload in payloads:
        await queue.put(Update.de_json(json.loads(payload), bot))
    if payloads:
        log.info("handling %d update(s) received before a restart", len(payloads))
    return len(payloads)
