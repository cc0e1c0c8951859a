"""What the in-process benchmarks share: handler exceptions, and waiting for the bot's reply."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from bot.context import BotContext, DealScoutApplication
from bot.runtime import BotRuntime
from sandbox.autopilot import answer_marketplace_prompt
from sandbox.browser import connect_all
from sandbox.harness import sandbox_settings
from sandbox.telegram import ChatMessage, Seller
from sandbox.world import SandboxWorld
from storage.sqlite import SQLiteTransaction

TITLE_NOTE = "From the title I filled in"


class HandlerErrors:
    """An error handler the run adds to the bot (BotRuntime's on_build), so a benchmark can
    count handler exceptions instead of letting the bot's own handler swallow them."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def install(self, application: DealScoutApplication) -> None:
        application.add_error_handler(self._collect)

    async def _collect(self, update: object, context: BotContext) -> None:
        if context.error is not None:
            self.errors.append(context.error)


class Journey(Protocol):
    """A scripted seller's run: their chat, and the bot messages nobody asked for."""

    seller: Seller
    extra: list[str]


def text_of(message: ChatMessage) -> str:
    return message.text or message.caption or ""


async def expect(
    journey: Journey, *fragments: str, patience: float,
    allowed: Callable[[ChatMessage], bool] = lambda _: False, answering: bool = False,
) -> ChatMessage:
    """The next bot message holding any of the fragments; messages passed over on the way are
    noted as extra unless `allowed` (the preview's photos, the ZIP confirmation). `answering`:
    what eBay asks for its category on the way is answered (sandbox/autopilot.py), and the
    note on item specifics taken from the title is expected."""
    deadline = time.monotonic() + patience
    while True:
        message = await journey.seller.next_message(
            timeout=max(0.0, deadline - time.monotonic())
        )
        if any(fragment in text_of(message) for fragment in fragments):
            return message
        if answering and (TITLE_NOTE in text_of(message)
                          or await answer_marketplace_prompt(journey.seller, message)):
            continue
        if not allowed(message):
            journey.extra.append(text_of(message)[:70] or "(a message without text)")


@asynccontextmanager
async def connected_bot(seller_id: int) -> AsyncIterator[tuple[SandboxWorld, BotRuntime]]:
    """The real bot on the sandboxes (Telegram's flood limit off on both sides), in a folder of
    its own, with one seller who has connected every marketplace."""
    with tempfile.TemporaryDirectory(prefix="deal-scout-bench-") as tmp:
        async with SandboxWorld(telegram_rate_limit=None) as world:
            settings = replace(sandbox_settings(world, Path(tmp)), telegram_max_rate=0)
            async with BotRuntime(settings) as runtime:
                await connect_all(world, world.telegram.seller(seller_id, "Ana"))
                yield world, runtime


class StatementCount:
    """Counts the SQL statements the bot sends while installed: each call of a transaction's
    execute, executemany, fetchone or fetchall (the Database's own shortcuts go through one)."""

    METHODS = ("execute", "executemany", "fetchone", "fetchall")

    def __init__(self) -> None:
        self.count = 0
        self.by_table: Counter[str] = Counter()
        self._originals: dict[str, Any] = {}

    def install(self) -> None:
        for name in self.METHODS:
            original = getattr(SQLiteTransaction, name)
            self._originals[name] = original

            async def counted(tx: Any, sql: str, *args: Any, _original: Any = original,
                              **kwargs: Any) -> Any:
                self.count += 1
                self.by_table[_statement_kind(sql)] += 1
                return await _original(tx, sql, *args, **kwargs)

            setattr(SQLiteTransaction, name, counted)

    def remove(self) -> None:
        for name, original in self._originals.items():
            setattr(SQLiteTransaction, name, original)


def statement_shares(kinds: Counter[str]) -> Counter[str]:
    """The statements by what they are for: per-update durability, the seller's answers, reads
    of anything, and the listing's own writes."""
    shares: Counter[str] = Counter()
    for kind, n in kinds.items():
        verb, _, table = kind.partition(" ")
        if table == "processed_updates" or table.startswith("ptb_"):
            shares["durable"] += n
        elif verb == "SELECT":
            shares["reads"] += n
        elif table in ("drafts", "draft_photos", "seller_preferences", "sellers"):
            shares["answers"] += n
        else:
            shares["listing"] += n
    return shares


def _statement_kind(sql: str) -> str:
    """"SELECT drafts", "INSERT processed_updates": what a statement does, to what."""
    words = sql.split()
    verb = words[0].upper() if words else "?"
    for keyword in ("FROM", "INTO", "UPDATE"):
        if keyword in (w.upper() for w in words):
            index = [w.upper() for w in words].index(keyword)
            if index + 1 < len(words):
                return f"{verb} {words[index + 1].strip('(')}"
    return verb
