"""Post and what follows: the draft becomes a listing, goes to every chosen marketplace at once,
and one progress message in the chat is edited as each result lands — across retries and
restarts, because the message id is stored with the listing."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ConversationHandler

from bot.context import BotContext, DealScoutApplication
from bot.handlers.listings import ID as LISTING_ID
from bot.parsing import make_sku
from bot.post import fix, texts
from storage.listings import CrossPost, StoredListing

log = logging.getLogger(__name__)

ICONS = {"pending": "⏳", "in_flight": "⏳", "published": "✅"}
RETRY = "pr"  # pr:<listing id>


def _icon(row: CrossPost) -> str:
    if row.state == "failed":
        return "🔁" if row.retryable else "❌"
    return ICONS.get(row.state, "•")


def finished(rows: list[CrossPost]) -> bool:
    return all(r.state == "published" or (r.state == "failed" and not r.retryable) for r in rows)


def progress_text(title: str, rows: list[CrossPost], names: dict[str, str]) -> str:
    lines = [f"Posting <b>{escape(title)}</b>…"]
    for row in rows:
        line = f"{_icon(row)} {names.get(row.marketplace, row.marketplace)}"
        if row.state == "published" and row.url:
            line += f' — <a href="{escape(row.url)}">view listing</a>'
        elif row.state == "failed" and row.error:
            line += f" — {escape(row.error)}"
        lines.append(line)
    if finished(rows):
        done = sum(row.state == "published" for row in rows)
        lines[0] = (
            f"🎉 <b>{escape(title)}</b> is live on {done} of {len(rows)} marketplaces."
            if done else f"<b>{escape(title)}</b> couldn't be posted yet."
        )
    return "\n".join(lines)


class Publishing:
    """Runs publishes for the bot: first try, scheduled retries, Retry presses, restarts."""

    def __init__(self, application: DealScoutApplication) -> None:
        self._application = application
        self._shown: dict[int, str] = {}
        self._reporting: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def run(self, listing_id: int) -> list[CrossPost]:
        services = self._application.services
        rows = await services.crossposter.publish(listing_id, lambda r: self.report(listing_id, r))
        await self.report(listing_id, rows)
        self._reporting.pop(listing_id, None)
        self.schedule_retry(listing_id, rows)
        return rows

    async def report(self, listing_id: int, rows: list[CrossPost]) -> None:
        """Edit the listing's one progress message, only when what it says changed. Results
        land concurrently, so one listing's reports take turns."""
        async with self._reporting[listing_id]:
            await self._report(listing_id, rows)

    async def _report(self, listing_id: int, rows: list[CrossPost]) -> None:
        services = self._application.services
        listing = await services.listings.get(listing_id)
        if listing is None:
            return
        names = {n: a.display_name for n, a in services.marketplaces.items()}
        text = progress_text(listing.title, rows, names)
        if self._shown.get(listing_id) == text:
            return
        markup = self._buttons(listing_id, rows, names) if finished(rows) else None
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
            await services.listings.mark_told(listing_id)

    async def _show(
        self, listing: StoredListing, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Edit the progress message; with none to edit (the seller deleted it, or the bot died
        before recording one), send a fresh one, so the seller still hears how it went."""
        bot = self._application.bot
        if listing.progress_message_id is not None:
            try:
                await bot.edit_message_text(
                    text, chat_id=listing.telegram_id, message_id=listing.progress_message_id,
                    reply_markup=markup,
                )
                return
            except BadRequest as exc:
                if "not modified" in str(exc):
                    return
                log.warning("progress edit for listing %s failed: %s", listing.id, exc)
        message = await bot.send_message(listing.telegram_id, text, reply_markup=markup)
        await self._application.services.listings.set_progress_message(
            listing.id, message.message_id
        )

    @staticmethod
    def _buttons(
        listing_id: int, rows: list[CrossPost], names: dict[str, str]
    ) -> InlineKeyboardMarkup | None:
        """A fix button per refusal that names a field; Retry for everything else."""
        buttons = []
        failed = [r for r in rows if r.state == "failed"]
        for row in failed:
            if fix.fixable(row.error_field):
                label = f"✏️ Fix the {row.error_field} for {names.get(row.marketplace)}"
                buttons.append([InlineKeyboardButton(
                    label, callback_data=f"{fix.PREFIX}:{listing_id}:{row.marketplace}"
                )])
        if any(not fix.fixable(r.error_field) for r in failed):
            buttons.append([InlineKeyboardButton("🔁 Retry",
                                                 callback_data=f"{RETRY}:{listing_id}")])
        return InlineKeyboardMarkup(buttons) if buttons else None

    def schedule_retry(self, listing_id: int, rows: list[CrossPost]) -> None:
        due = [r.next_attempt_at for r in rows
               if r.state == "failed" and r.retryable and r.next_attempt_at is not None]
        if due:
            self._schedule(listing_id, min(due))

    def _schedule(self, listing_id: int, when: datetime) -> None:
        queue = self._application.job_queue
        name = f"retry:{listing_id}"
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
        delay = max(0.0, (when - datetime.now(UTC)).total_seconds())
        queue.run_once(self._retry_job, delay, data=listing_id, name=name)

    async def _retry_job(self, context: BotContext) -> None:
        await self.run(int(context.job.data))

    async def resume(self) -> None:
        """At start: finish what a crash interrupted, and re-arm the retries that were due."""
        services = self._application.services
        queue = self._application.job_queue  # runs them once the application has started
        interrupted = {lid for lid, _ in await services.listings.unfinished()}
        untold = set(await services.listings.untold())  # died before saying how it ended
        for listing_id in sorted(interrupted | untold):
            queue.run_once(self._retry_job, 0, data=listing_id, name=f"resume:{listing_id}")
        for listing_id, due in await services.listings.retry_due():
            self._schedule(listing_id, due)


async def post_listing(update: Update, context: BotContext) -> int:
    from bot.post.flow import Step, first_missing  # the flow imports this module

    query = update.callback_query
    telegram_id = update.effective_user.id
    services = context.services
    if await first_missing(context, telegram_id) is not Step.PREVIEW:
        await query.answer(texts.MOVED_ON)
        return Step.PREVIEW
    await query.answer("Posting…")
    draft = await services.drafts.get(telegram_id)
    # The preview card becomes the progress message. Its id is known before anything is sent,
    # so it is stored with the listing: a crash at any point leaves one message to edit, never
    # a second one.
    card = query.message.message_id if query.message else None
    listing_id = await services.listings.create_from_draft(
        draft, make_sku(draft.title or ""), progress_message_id=card
    )
    await services.drafts.delete(telegram_id)  # the files; the row went with the listing
    publishing: Publishing = context.application.publishing  # type: ignore[attr-defined]
    await publishing.report(listing_id, await services.listings.cross_posts(listing_id))
    context.application.create_task(
        publishing.run(listing_id), update=update, name=f"publish:{listing_id}"
    )
    return ConversationHandler.END


async def retry_pressed(update: Update, context: BotContext) -> None:
    """🔁 Retry: a fresh budget for the seller's failed copies of their own listing."""
    query = update.callback_query
    listing_id = int(query.data.split(":", 1)[1])
    services = context.services
    listing = await services.listings.get(listing_id)
    if listing is None or listing.telegram_id != update.effective_user.id:
        await query.answer(texts.NOT_YOURS, show_alert=True)
        return
    failed = [r.marketplace for r in await services.listings.cross_posts(listing_id)
              if r.state == "failed"]
    if not failed:
        await query.answer(texts.MOVED_ON)
        return
    await query.answer("Trying again…")
    await services.listings.reset_attempts(listing_id, failed)
    publishing: Publishing = context.application.publishing  # type: ignore[attr-defined]
    context.application.create_task(publishing.run(listing_id), update=update)


def handler() -> CallbackQueryHandler:
    return CallbackQueryHandler(post_listing, pattern=r"^p:post$")


def register(application: Application) -> None:
    application.publishing = Publishing(application)  # type: ignore[attr-defined]
    fix.register(application)
    application.add_handler(CallbackQueryHandler(retry_pressed, pattern=rf"^{RETRY}:{LISTING_ID}$"))
