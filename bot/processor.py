"""Runs different sellers' updates concurrently while each seller's stay strictly in order.

PTB's plain `concurrent_updates(True)` lets a seller's second update overtake the first, and a
`ConversationHandler` then drops it. Here each seller has a lock, taken before anything else is
awaited, so updates are handled in arrival order per seller; other sellers never wait on it.
It also skips an update the ledger has seen before (Telegram redelivers after failures).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from storage.scope import update_scope

log = logging.getLogger(__name__)

Claim = Callable[[int, int | None], Awaitable[bool]]
AfterUpdate = Callable[[], Awaitable[None]]
# With several replicas: the seller's turn in the database, and what to do holding it before
# the update (handle the seller's older updates that landed elsewhere: bot/replicas.py).
SellerTurn = Callable[[int], contextlib.AbstractAsyncContextManager[None]]
CatchUp = Callable[[int, object], Awaitable[None]]

# High on purpose: a slot is held while waiting for the seller's lock, and one seller with a
# backlog must not be able to take every slot and stall the others.
DEFAULT_MAX_CONCURRENT_UPDATES = 1024


def ordering_key(update: object) -> int | None:
    """Whose queue the update joins: the user's, else the chat's, else none (runs at once)."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class PerSellerUpdateProcessor(BaseUpdateProcessor):
    """Serialises per seller, deduplicates by update_id, and writes persistence after each."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}
        self._claim: Claim | None = None
        self._after_update: AfterUpdate | None = None
        self._turn: SellerTurn | None = None
        self._catch_up: CatchUp | None = None

    def bind(self, *, claim: Claim | None, after_update: AfterUpdate | None,
             turn: SellerTurn | None = None, catch_up: CatchUp | None = None) -> None:
        """Attach the update ledger and the persistence flush once the Application exists;
        with several replicas, the seller's turn in the database and the catch-up."""
        self._claim = claim
        self._after_update = after_update
        self._turn = turn
        self._catch_up = catch_up

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            await self._run(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock, contextlib.AsyncExitStack() as turn:
                if self._turn is not None:
                    await self._take_turn(turn, key)
                    await self._catch_up_on(key, update)
                await self._run(update, coroutine)
        finally:
            self._holders[key] -= 1
            if self._holders[key] == 0:
                del self._holders[key]
                del self._locks[key]

    async def _run(self, update: object, coroutine: Awaitable[Any]) -> None:
        first = await self._is_first_delivery(update)
        if first is False:
            log.info("skipped update %s: already handled", getattr(update, "update_id", "?"))
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        with update_scope():  # the draft, accounts … read once for this update (storage/scope.py)
            await coroutine
        if first is None:  # handled without a claim: claim it now, or a restart handles it again
            with contextlib.suppress(Exception):
                await self._claim(update.update_id, ordering_key(update))  # type: ignore[misc,union-attr]
        if self._after_update is not None:
            try:
                await self._after_update()
            except Exception:
                log.exception("writing persistence after update failed")

    async def _take_turn(self, stack: contextlib.AsyncExitStack, key: int) -> None:
        """The seller's turn among replicas; without the database, this replica's order."""
        try:
            await stack.enter_async_context(self._turn(key))  # type: ignore[misc]
        except Exception:
            log.exception("no turn in the database for seller %s; handling in this replica's"
                          " own order", key)

    async def _catch_up_on(self, key: int, update: object) -> None:
        try:
            await self._catch_up(key, update)  # type: ignore[misc]
        except Exception:
            log.exception("catching up on seller %s's older updates failed", key)

    async def _is_first_delivery(self, update: object) -> bool | None:
        """True to handle, False for a duplicate, None when the ledger could not say."""
        if self._claim is None or not isinstance(update, Update):
            return True
        try:
            return await self._claim(update.update_id, ordering_key(update))
        except Exception:
            # Better to answer a rare duplicate than to drop a seller's message on the floor.
            log.exception("update ledger unavailable; handling update %s without a claim",
                          update.update_id)
            return None

    @property
    def sellers_in_flight(self) -> int:
        return len(self._holders)

    async def initialize(self) -> None:
        """Nothing to allocate: locks are made on demand."""

    async def shutdown(self) -> None:
        self._locks.clear()
        self._holders.clear()
