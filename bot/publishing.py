"""Publishing as the seller sees it: a listing goes to every chosen marketplace at once, and one
progress message in the chat is edited as each result lands — across retries and restarts,
because the message (its chat and id) is stored with the listing.

The engine (marketplaces/crosspost.py) does the work and knows nothing of Telegram; this module
runs it for the bot (first try, scheduled retries, Retry presses, restarts) and reports.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any, cast

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackContext, JobQueue

from bot import texts
from bot.buttons import FixRefusal, RetryPosting, button
from marketplaces.crosspost import CrossPoster
from storage.assisted import AssistedRepository
from storage.coordination import Coordination
from storage.listings import CrossPost, ListingRepository, StoredListing

log = logging.getLogger(__name__)

ICONS = {"pending": "⏳", "in_flight": "⏳", "published": "✅"}
# Fields a marketplace may refuse that the seller can correct in chat (bot/selling/fix.py asks).
FIXABLE_FIELDS = frozenset({"title", "description", "price", "category", "location"})
# A publish is one replica's while it renews this lease; a replica killed mid-publish stops
# renewing, and after PUBLISH_LEASE another replica's sweep finishes the listing.
PUBLISH_LEASE = timedelta(seconds=15)
LEASE_RENEW_SECONDS = 5.0


def fixable(field: str | None) -> bool:
    return field in FIXABLE_FIELDS


def _icon(row: CrossPost) -> str:
    if row.state == "failed":
        return "🔁" if row.retryable else "❌"
    return ICONS.get(row.state, "•")


def finished(rows: list[CrossPost]) -> bool:
    return all(r.state == "published" or (r.state == "failed" and not r.retryable) for r in rows)


def progress_text(
    title: str, rows: list[CrossPost], names: Mapping[str, str], kits: Sequence[str] = ()
) -> str:
    """The one progress message: each copy posted by API as it lands, and the kits (copies
    the seller posts by hand), which are never called live."""
    lines = [f"Posting <b>{escape(title)}</b>…"]
    now = datetime.now(UTC)
    for row in rows:
        name = names.get(row.marketplace, row.marketplace)
        line = f"{_icon(row)} {name}"
        problem = texts.copy_problem(row, name, now) if row.state == "failed" else None
        if row.state == "published" and row.url:
            line += f' — <a href="{escape(row.url)}">view listing</a>'
        elif problem:
            line += f" — {escape(problem)}"
        lines.append(line)
    if kits:
        listed = escape(texts.in_words([names.get(kit, kit) for kit in kits]))
        lines.append(f"📝 Ready for you on {listed}: your kits are below.")
    if not rows:
        lines[0] = f"📝 <b>{escape(title)}</b>"
    elif finished(rows):
        done = sum(row.state == "published" for row in rows)
        lines[0] = (
            f"🎉 <b>{escape(title)}</b> is live on {done} of {len(rows)} marketplaces."
            if done else f"<b>{escape(title)}</b> couldn't be posted yet."
        )
    return "\n".join(lines)


def outcome_buttons(
    listing_id: int, rows: list[CrossPost], names: Mapping[str, str]
) -> InlineKeyboardMarkup | None:
    """A fix button per refusal that names a field; Retry for everything else."""
    keyboard = []
    failed = [r for r in rows if r.state == "failed"]
    for row in failed:
        if fixable(row.error_field):
            label = f"✏️ Fix the {row.error_field} for {names.get(row.marketplace)}"
            keyboard.append([button(label, FixRefusal(listing_id, row.marketplace))])
    if any(not fixable(r.error_field) for r in failed):
        keyboard.append([button("🔁 Retry", RetryPosting(listing_id))])
    return InlineKeyboardMarkup(keyboard) if keyboard else None


class Publishing:
    """Runs publishes for the bot and keeps each listing's progress message current."""

    def __init__(
        self,
        crossposter: CrossPoster,
        listings: ListingRepository,
        assisted: AssistedRepository,
        names: Mapping[str, str],
        bot: Bot,
        job_queue: JobQueue[Any] | None,
        coordination: Coordination | None = None,
    ) -> None:
        self._crossposter = crossposter
        self._listings = listings
        self._assisted = assisted
        self._names = names
        self._bot = bot
        self._job_queue = job_queue
        self._shown: dict[int, str] = {}
        self._reporting: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._coordination = coordination or Coordination()
        self._running: set[int] = set()

    async def run(self, listing_id: int) -> list[CrossPost]:
        """Publish what is due and report it, unless this process or another replica is
        already at it (that one reports)."""
        lease = f"publish:{listing_id}"
        if listing_id in self._running or not await self._coordination.claim(
            lease, PUBLISH_LEASE
        ):
            return await self._listings.cross_posts(listing_id)
        self._running.add(listing_id)
        renewing = asyncio.create_task(self._renew(lease), name=f"lease:{lease}")
        try:
            rows = await self._crossposter.publish(
                listing_id, lambda r: self.report(listing_id, r)
            )
            await self.report(listing_id, rows)
            self._reporting.pop(listing_id, None)
            self.schedule_retry(listing_id, rows)
            return rows
        finally:
            renewing.cancel()
            self._running.discard(listing_id)
            await self._coordination.release(lease)

    async def _renew(self, lease: str) -> None:
        """Keep the lease while the publish runs (photos to three marketplaces take a while)."""
        while True:
            await asyncio.sleep(LEASE_RENEW_SECONDS)
            try:
                await self._coordination.claim(lease, PUBLISH_LEASE)
            except Exception:
                log.warning("renewing %s failed; another replica may take it over", lease)

    async def report(self, listing_id: int, rows: list[CrossPost]) -> None:
        """Edit the listing's one progress message, only when what it says changed. Results
        land concurrently, so one listing's reports take turns."""
        async with self._reporting[listing_id]:
            await self._report(listing_id, rows)

    async def _report(self, listing_id: int, rows: list[CrossPost]) -> None:
        listing = await self._listings.get(listing_id)
        if listing is None:
            return
        kits = [copy.marketplace for copy in await self._assisted.copies(listing_id)]
        text = progress_text(listing.title, rows, self._names, kits)
        if self._shown.get(listing_id) == text:
            return
        markup = outcome_buttons(listing_id, rows, self._names) if finished(rows) else None
        try:
            await self._show(listing, text, markup)
        except TelegramError as exc:
            # Telegram is down or the seller blocked the bot: publishing goes on regardless,
            # and a finished outcome counts as told, so restarts do not try it forever.
            log.warning("progress for listing %s not shown: %s", listing_id, exc)
            if not finished(rows):
                return
        self._shown[listing_id] = text
        if finished(rows):
            await self._listings.mark_told(listing_id)

    async def _show(
        self, listing: StoredListing, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Edit the progress message, in the chat it was sent in; with none to edit (the seller
        deleted it, the bot died before recording one, or one recorded without its chat), send
        a fresh one to the seller, so they still hear how it went."""
        if listing.progress_message_id is not None and listing.progress_chat_id is not None:
            try:
                await self._bot.edit_message_text(
                    text, chat_id=listing.progress_chat_id,
                    message_id=listing.progress_message_id, reply_markup=markup,
                )
                return
            except BadRequest as exc:
                if "not modified" in str(exc):
                    return
                log.warning("progress edit for listing %s failed: %s", listing.id, exc)
        message = await self._bot.send_message(listing.telegram_id, text, reply_markup=markup)
        await self._listings.set_progress_message(listing.id, message.chat_id, message.message_id)

    def schedule_retry(self, listing_id: int, rows: list[CrossPost]) -> None:
        due = [r.next_attempt_at for r in rows
               if r.state == "failed" and r.retryable and r.next_attempt_at is not None]
        if due:
            self._schedule(listing_id, min(due))

    def _schedule(self, listing_id: int, when: datetime) -> None:
        queue = self._queue()
        name = f"retry:{listing_id}"
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
        delay = max(0.0, (when - datetime.now(UTC)).total_seconds())
        queue.run_once(self._retry_job, delay, data=listing_id, name=name)

    async def _retry_job(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        if context.job is not None:
            await self.run(cast(int, context.job.data))

    async def sweep(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        """With several replicas: take over publishes whose replica died (their lease ran
        out), and retries that came due on whichever replica was first to look."""
        now = datetime.now(UTC)
        orphaned = {lid for lid, _ in await self._listings.unfinished()}
        orphaned |= set(await self._listings.untold())
        orphaned |= {lid for lid, due in await self._listings.retry_due() if due <= now}
        for listing_id in sorted(orphaned):
            if listing_id not in self._running:
                await self.run(listing_id)

    async def resume(self) -> None:
        """At start: finish what a crash interrupted, and re-arm the retries that were due."""
        queue = self._queue()  # runs them once the application has started
        # A copy whose posting killed the process twice is not resumed a third time.
        parked = await self._listings.park_crash_loops()
        for listing_id, marketplace in parked:
            log.error("posting listing %s to %s was interrupted by a crash twice; set aside "
                      "until the seller taps Retry", listing_id, marketplace)
        interrupted = {lid for lid, _ in await self._listings.unfinished()}
        interrupted |= {lid for lid, _ in parked}  # their progress message says so
        untold = set(await self._listings.untold())  # died before saying how it ended
        for listing_id in sorted(interrupted | untold):
            queue.run_once(self._retry_job, 0, data=listing_id, name=f"resume:{listing_id}")
        for listing_id, due in await self._listings.retry_due():
            self._schedule(listing_id, due)

    def _queue(self) -> JobQueue[Any]:
        if self._job_queue is None:
            raise RuntimeError("publishing retries need PTB's job queue (the job-queue extra)")
        return self._job_queue
