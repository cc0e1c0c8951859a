"""Every update written down before Telegram is told it arrived, and handed back after a crash.

python-telegram-bot confirms updates to Telegram as soon as they are queued: the polling loop
sends the next getUpdates offset right after queueing a batch, and our webhook answers 200
right after queueing. An update queued but not yet handled was therefore lost to a crash. The
inbox records each batch in the ledger first (one transaction), so whatever Telegram considers
delivered is on disk, and a restart queues the unclaimed ones again before polling starts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

from bot.buttons import wire_form
from bot.processor import ordering_key
from storage.updates import UpdateLedger

log = logging.getLogger(__name__)

RECORD_RETRY_DELAYS = (0.2, 0.5, 1.0, None)  # seconds between tries; None: the last one


class AlbumArrivals:
    """Which updates of each album have arrived, and when the last did. Telegram sends an
    album as separate updates with no count; what has arrived, against what has been handled,
    tells the album's answer when every photo is in (bot/selling/photos.py)."""

    KEEP = 10_000  # albums remembered; the oldest are forgotten beyond that

    def __init__(self) -> None:
        self._seen: dict[str, tuple[set[int], float]] = {}

    def note(self, updates: Sequence[Update]) -> None:
        for update in updates:
            group = update.message.media_group_id if update.message else None
            if group:
                ids = self._seen.pop(group, (set(), 0.0))[0]
                ids.add(update.update_id)
                self._seen[group] = (ids, time.monotonic())
        while len(self._seen) > self.KEEP:
            self._seen.pop(next(iter(self._seen)))

    def arrived(self, group: str) -> tuple[frozenset[int], float]:
        """The album's update ids received so far, and the monotonic time of the last."""
        ids, last = self._seen.get(group, (set(), 0.0))
        return frozenset(ids), last


class Inbox:
    def __init__(self, ledger: UpdateLedger) -> None:
        self._ledger = ledger
        self.albums = AlbumArrivals()

    async def keep(self, updates: Sequence[Update]) -> None:
        """Record the updates, trying again briefly: until this returns, Telegram is told
        nothing. If the database stays unusable, handling them beats refusing them."""
        self.albums.note(updates)
        rows = [(update.update_id, ordering_key(update), _as_json(update)) for update in updates]
        for delay in RECORD_RETRY_DELAYS:
            try:
                await self._ledger.record(rows)
                return
            except Exception:
                if delay is None:
                    log.exception("could not record updates %s; handling them anyway",
                                  [row[0] for row in rows])
                    return
                await asyncio.sleep(delay)

    async def requeue(self, queue: asyncio.Queue[object], bot: ExtBot[Any]) -> int:
        """Queue again every update a crash left unhandled, oldest first; return how many.

        One that cannot be read back (a damaged row, a newer Bot API than this PTB knows) is
        logged and marked taken, so it can never stop the bot from starting."""
        requeued = 0
        for update_id, payload in await self._ledger.unclaimed():
            try:
                update = Update.de_json(json.loads(payload), bot)
                bot.insert_callback_data(update)  # buttons carry typed values (bot/buttons.py)
            except Exception:
                log.exception("update %s from before a restart is unreadable; dropped", update_id)
                await self._ledger.claim(update_id, None)
                continue
            await queue.put(update)
            requeued += 1
        if requeued:
            log.info("handling %d update(s) received before a restart", requeued)
        return requeued


def _as_json(update: Update) -> str:
    """The update as Telegram sent it: its buttons' values packed again."""
    return json.dumps(update.to_dict(), default=wire_form)
