"""What the product's tests share: photos, a seller walking /post, waiting without sleeping
blind, a clock a test can move, and a handler that holds a seller's queue.

Test modules import from here and never from each other.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from PIL import Image
from telegram import Update
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.context import BotContext, DealScoutApplication
from sandbox.autopilot import answer_until
from sandbox.browser import connect_all
from sandbox.telegram import ChatMessage, Seller
from sandbox.world import SandboxWorld
from storage.db import Database
from storage.timeutil import Clock

T = TypeVar("T")
WAIT_SECONDS = 10.0  # the longest any single expectation waits before the test fails


# ── Photos ────────────────────────────────────────────────────────────────────────────────────


def jpeg(width: int = 1200, height: int = 900, color: tuple[int, ...] = (180, 120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


# ── A seller in the chat ──────────────────────────────────────────────────────────────────────


async def reply(seller: Seller, *fragments: str) -> ChatMessage:
    """The bot's next message to `seller`, which must contain every fragment."""
    message = await seller.next_message()
    for fragment in fragments:
        assert fragment in (message.text or message.caption or ""), message.text
    return message


def titles_on(world: SandboxWorld) -> dict[str, list[str]]:
    return {
        "ebay": [listing.title for listing in world.ebay.listings],
        "facebook": [listing.title for listing in world.facebook.listings],
        "offerup": [listing.title for listing in world.offerup.listings.values()],
    }


async def start_with_photo(world: SandboxWorld, seller: Seller) -> None:
    """Every marketplace connected, /post, one photo, Done: at the title step."""
    await connect_all(world, seller)
    await post_one_photo(seller)


async def post_one_photo(seller: Seller) -> None:
    """/post, one photo, Done: at the title step, with whatever the seller has connected."""
    await seller.send_command("post")
    await reply(seller, "Send me its photos")
    await seller.send_photo(jpeg())
    await reply(seller, "Added 1 photo")
    await seller.press("Done ✅")


async def fill_to_marketplaces(
    seller: Seller, title: str = "Brass desk lamp, 1970s",
    description: str | None = "Rewired, <b>no</b> dents.\nPick-up or shipping.",
) -> ChatMessage:
    """From the title prompt to "Where should I post it?", which it returns. What eBay asks
    for its category (the leaf, its condition, item specifics) is answered by the autopilot: the
    first category, a used condition, no note, the first value of each required specific."""
    await reply(seller, "What's the title? Up to 70 characters — OfferUp's limit")
    await seller.send_text(title)
    await answer_until(seller, "What's the price in US dollars?")
    await seller.send_text("$1,200")
    await reply(seller, "Add a description")
    if description is None:
        await seller.press("Skip")
    else:
        await seller.send_text(description)
    await answer_until(seller, "Where is the item?")
    await seller.send_text("98402")
    await reply(seller, "📍 98402 it is.")
    return await reply(seller, "Where should I post it?")


async def fill_details(
    seller: Seller, title: str = "Brass desk lamp, 1970s",
    description: str | None = "Rewired, <b>no</b> dents.\nPick-up or shipping.",
) -> ChatMessage:
    """From the title prompt to the preview, answering every step."""
    await fill_to_marketplaces(seller, title, description)
    await seller.press("Continue »")
    return await preview_summary(seller)


async def preview_summary(seller: Seller) -> ChatMessage:
    """The preview card (its photos come first, as messages of their own)."""
    while True:
        message = await seller.next_message()
        if message.text and "Tap a field to change it" in message.text:
            return message


async def open_card(seller: Seller) -> ChatMessage:
    """/listings, then the first listing: the page message becomes its card."""
    await seller.send_command("listings")
    page = await reply(seller, "Your listings (page 1 of 1):", "Brass desk lamp")
    await seller.press(page.buttons[0][0], message_id=page.message_id)
    await seller.wait_for(lambda _: "💰 Mark sold" in str(page.buttons))
    return page


async def post_and_wait(seller: Seller, preview: ChatMessage) -> ChatMessage:
    """Press Post: the preview card itself becomes the progress message; wait for the end."""
    await seller.press("✅ Post", message_id=preview.message_id)
    await seller.wait_for(lambda _: "is live on" in (preview.text or "")
                          or "couldn't be posted" in (preview.text or ""), timeout=20)
    return preview


async def seller_at_preview(
    world: SandboxWorld, user_id: int, *, ebay_account: str | None = None
) -> tuple[Seller, ChatMessage]:
    """A seller with every marketplace connected, at the preview of a one-photo listing."""
    seller = world.telegram.seller(user_id, "Ana")
    await connect_all(world, seller, ebay_account=ebay_account)
    await seller.send_command("post")
    await reply(seller, "Send me its photos")
    await seller.send_photo(jpeg())
    await reply(seller, "Added 1 photo")
    await seller.press("Done ✅")
    return seller, await fill_details(seller)


# ── The database ──────────────────────────────────────────────────────────────────────────────


async def table_names(db: Database) -> set[str]:
    """The tables in the bot's database, on SQLite or PostgreSQL."""
    if db.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = ("SELECT table_name FROM information_schema.tables"
               " WHERE table_schema = current_schema()")
    return {row[0] for row in await db.fetchall(sql)}


# ── Waiting ───────────────────────────────────────────────────────────────────────────────────


async def eventually(
    probe: Callable[[], Awaitable[T]], expected: T, seconds: float = 5.0
) -> bool:
    """Poll `probe()` every 20 ms until it returns `expected`; False after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        if await probe() == expected:
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)


async def within(awaitable: Awaitable[T], seconds: float = WAIT_SECONDS) -> T:
    """`awaitable`, or a failed test (not a hung one) after `seconds`."""
    return await asyncio.wait_for(awaitable, timeout=seconds)


def report_hung_tasks(after: float) -> asyncio.TimerHandle:
    """Print where every task of the running loop waits, `after` seconds from now: what a test
    that is about to time out was stuck on."""

    def report() -> None:
        tasks = asyncio.all_tasks()
        print(f"\n── still waiting after {after:.0f} s: {len(tasks)} task(s) ──", file=sys.stderr)
        for task in tasks:
            print(f"{task.get_name()}:", file=sys.stderr)
            task.print_stack(limit=8, file=sys.stderr)

    return asyncio.get_running_loop().call_later(after, report)


# ── Time ──────────────────────────────────────────────────────────────────────────────────────


class MovableClock(Clock):
    """The system's clock, which a test can move forward: "a week later" without a week."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


# ── What handlers raised ──────────────────────────────────────────────────────────────────────
class ErrorCollector:
    """An error handler that records what the Application would otherwise only log."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    async def __call__(self, update: object, context: BotContext) -> None:
        if context.error is not None:
            self.errors.append(context.error)

    def attach(self, application: DealScoutApplication) -> None:
        """First among the error handlers: an error is recorded before the seller hears of
        it, so a test that saw the apology sees the error too."""
        others = dict(application.error_handlers)
        application.error_handlers.clear()
        application.add_error_handler(self)
        for callback, block in others.items():
            application.add_error_handler(callback, block=block)


# ── A handler that holds a seller's queue ─────────────────────────────────────────────────────


class HeldCommand:
    """/hold: a handler that waits until released, standing in for a slow or stuck one."""

    def __init__(self, reply: str | None = "released") -> None:
        self.entered, self.release = asyncio.Event(), asyncio.Event()
        self._reply = reply

    async def handle(self, update: Update, context: BotContext) -> None:
        self.entered.set()
        await within(self.release.wait())  # a test that fails never holds the bot for good
        if self._reply is not None:
            await update.effective_message.reply_text(self._reply)
        raise ApplicationHandlerStop

    def add_to(self, application: DealScoutApplication) -> None:
        application.add_handler(CommandHandler("hold", self.handle), group=-1)
