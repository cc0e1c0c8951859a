"""Post: the draft becomes a listing and goes to every chosen marketplace at once, with one
progress message in the chat edited as each result lands."""

from __future__ import annotations

import logging
from html import escape

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, ConversationHandler

from bot.context import BotContext
from bot.parsing import make_sku
from bot.post import texts
from storage.listings import CrossPost

log = logging.getLogger(__name__)

ICONS = {"pending": "⏳", "in_flight": "⏳", "published": "✅", "failed": "❌"}


def progress_text(title: str, rows: list[CrossPost], names: dict[str, str]) -> str:
    lines = [f"Posting <b>{escape(title)}</b>…"]
    for row in rows:
        name = names.get(row.marketplace, row.marketplace)
        line = f"{ICONS.get(row.state, '•')} {name}"
        if row.state == "published" and row.url:
            line += f' — <a href="{escape(row.url)}">view listing</a>'
        elif row.state == "failed" and row.error:
            line += f" — {escape(row.error)}"
        lines.append(line)
    if all(row.state in ("published", "failed") for row in rows):
        done = sum(row.state == "published" for row in rows)
        lines[0] = (
            f"🎉 <b>{escape(title)}</b> is live on {done} of {len(rows)} marketplaces."
            if done else f"<b>{escape(title)}</b> couldn't be posted yet."
        )
    return "\n".join(lines)


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
    listing_id = await services.listings.create_from_draft(draft, make_sku(draft.title or ""))
    await services.drafts.delete(telegram_id)  # the files; the row went with the listing
    names = {name: adapter.display_name for name, adapter in services.marketplaces.items()}
    rows = await services.listings.cross_posts(listing_id)
    title = draft.title or ""
    message = await context.bot.send_message(
        update.effective_chat.id, progress_text(title, rows, names)
    )
    shown = {"text": message.text_html}

    async def report(current: list[CrossPost]) -> None:
        text = progress_text(title, current, names)
        if text == shown["text"]:
            return
        try:
            await message.edit_text(text)
            shown["text"] = text
        except BadRequest as exc:
            log.warning("progress edit for listing %s failed: %s", listing_id, exc)

    context.application.create_task(
        services.crossposter.publish(listing_id, report), update=update,
        name=f"publish:{listing_id}",
    )
    return ConversationHandler.END


def handler() -> CallbackQueryHandler:
    return CallbackQueryHandler(post_listing, pattern=r"^p:post$")
