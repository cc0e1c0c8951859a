"""The seller's answer to a kit: the link of the listing they posted (pasted as it comes, share
text and all), Skip, or Remind me later. A link is checked against the marketplace's own form
of a listing address before the copy counts as posted."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import basics
from bot.assisted import texts
from bot.buttons import KitLater, SkipKit, pressed
from bot.context import BotContext
from bot.selling.texts import MOVED_ON, NOT_YOURS
from marketplaces.assisted import find_listing_link
from storage.assisted import KIT_SENT, SKIPPED, TRACKED

LATER = timedelta(hours=2)
URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")


async def link_pasted(update: Update, context: BotContext) -> None:
    """Text outside any flow: a kit's link, a wrong link while kits wait, or neither."""
    message = update.effective_message
    services = context.services
    text = message.text or ""
    found = find_listing_link(text)
    if found is None and not URL.search(text):  # no link at all: nothing to look up
        await basics.not_understood(update, context)
        return
    waiting = await services.assisted.awaiting_link(update.effective_user.id)
    if found is None:
        if waiting and URL.search(text):
            kits = [services.kits[name] for name in dict.fromkeys(c.marketplace for c in waiting)
                    if name in services.kits]
            await message.reply_text(texts.wrong_link(kits), disable_web_page_preview=True)
        else:
            await basics.not_understood(update, context)
        return
    kit, link = found
    copy = next((c for c in waiting if c.marketplace == kit.name), None)
    if copy is None:
        await message.reply_text(texts.no_kit_waiting(kit.display_name))
        return
    if not await services.assisted.mark(copy.listing_id, kit.name, TRACKED, url=link,
                                        only_from=(KIT_SENT,)):
        await message.reply_text(texts.already_tracked(kit.display_name, copy.title))
        return
    if copy.card_message_id is not None:  # the card now opens the listing itself
        opened = InlineKeyboardMarkup([[InlineKeyboardButton(
            f"Open your {kit.display_name} listing ↗", url=link)]])
        with contextlib.suppress(TelegramError):  # the card deleted: tracked regardless
            await context.bot.edit_message_reply_markup(
                copy.telegram_id, copy.card_message_id, reply_markup=opened)
    await message.reply_text(texts.link_tracked(kit.display_name, copy.title),
                             disable_web_page_preview=True)


async def kit_skipped(update: Update, context: BotContext) -> None:
    skip = pressed(update, SkipKit)
    query = update.callback_query
    copy = await context.services.assisted.copy(skip.listing, skip.marketplace)
    if copy is None or copy.telegram_id != update.effective_user.id:
        await query.answer(NOT_YOURS, show_alert=True)
        return
    if not await context.services.assisted.mark(skip.listing, skip.marketplace, SKIPPED,
                                                only_from=(KIT_SENT,)):
        await query.answer(MOVED_ON)
        return
    name = context.services.display_names().get(skip.marketplace, skip.marketplace)
    await query.answer()
    await query.edit_message_reply_markup(None)
    await context.bot.send_message(update.effective_chat.id, texts.kit_skipped(name))


async def kit_later(update: Update, context: BotContext) -> None:
    later = pressed(update, KitLater)
    query = update.callback_query
    services = context.services
    copy = await services.assisted.copy(later.listing, later.marketplace)
    if copy is None or copy.telegram_id != update.effective_user.id:
        await query.answer(NOT_YOURS, show_alert=True)
        return
    if copy.state != KIT_SENT:
        await query.answer(MOVED_ON)
        return
    await services.assisted.remind(later.listing, "kit", marketplaces=[later.marketplace],
                                   states=(KIT_SENT,), due=services.clock.now() + LATER)
    name = services.display_names().get(later.marketplace, later.marketplace)
    await query.answer()
    await context.bot.send_message(update.effective_chat.id,
                                   texts.kit_later(name, int(LATER.total_seconds() // 3600)))

