"""Fixing what a marketplace refused: the seller corrects the field it named, and the listing is
posted again to that marketplace alone."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import ConversationHandler

from bot.buttons import FixRefusal, pressed
from bot.context import BotContext
from bot.parsing import InputRejected, normalize_text, parse_postal_code, parse_price
from bot.publishing import FIXABLE_FIELDS, fixable
from bot.selling.question import ANSWER
from bot.selling.texts import NOT_YOURS

FIXING = "fixing"  # user_data: [listing id, marketplace, field]
FIELDS = {  # the field a marketplace names → (what to ask for, listings column)
    "title": ("the new title", "title"),
    "description": ("the new description", "description"),
    "price": ("the new price, like 25 or $25.50", "price_cents"),
    "category": ("the category, in a few words", "category"),
    "location": ("a 5-digit ZIP code, like 98402", "postal_code"),
}
if set(FIELDS) != FIXABLE_FIELDS:  # the outcome offers a fix button for exactly these
    raise RuntimeError("bot/selling/fix.py must ask for every field publishing calls fixable")


async def start_fix(update: Update, context: BotContext) -> int:
    query = update.callback_query
    fix = pressed(update, FixRefusal)
    services = context.services
    listing = await services.listings.get(fix.listing)
    if listing is None or listing.telegram_id != update.effective_user.id:
        await query.answer(NOT_YOURS, show_alert=True)
        return ConversationHandler.END
    row = next((r for r in await services.listings.cross_posts(listing.id)
                if r.marketplace == fix.marketplace), None)
    adapter = services.marketplaces.get(fix.marketplace)
    if row is None or adapter is None or row.state != "failed" or not fixable(row.error_field):
        await query.answer("That has already been dealt with.")
        return ConversationHandler.END
    await query.answer()
    context.user_data[FIXING] = [listing.id, fix.marketplace, row.error_field]
    name = adapter.display_name
    await context.bot.send_message(
        update.effective_chat.id,
        f"{name} said: {escape(row.error or '')}\nSend {FIELDS[row.error_field][0]} and I'll "
        f"post <b>{escape(listing.title)}</b> to {name} again. /cancel leaves it as it is.",
    )
    return ANSWER


async def value_received(update: Update, context: BotContext) -> int:
    listing_id, marketplace, field = context.user_data.get(FIXING) or (0, "", "")
    services = context.services
    listing = await services.listings.get(int(listing_id))
    adapter = services.marketplaces.get(marketplace)
    if listing is None or adapter is None or listing.telegram_id != update.effective_user.id:
        return ConversationHandler.END
    rules = adapter.rules
    text = update.effective_message.text
    try:
        if field == "price":
            value: object = parse_price(text, min_cents=rules.price_min_cents,
                                        max_cents=rules.price_max_cents)
        elif field == "location":
            value = parse_postal_code(text)
        else:
            limit = {"title": rules.title_max, "description": rules.description_max}.get(field, 60)
            value = normalize_text(text, max_length=limit, multiline=field == "description",
                                   limit_reason=adapter.display_name)
    except InputRejected as refused:
        await update.effective_message.reply_text(refused.message)
        return ANSWER
    context.user_data.pop(FIXING, None)
    await services.listings.set_field(listing.id, FIELDS[field][1], value)
    await services.listings.reset_attempts(listing.id, [marketplace])
    await update.effective_message.reply_text(
        f"Thanks — posting to {adapter.display_name} again."
    )
    context.application.create_task(context.application.publishing.run(listing.id),
                                    update=update)
    return ConversationHandler.END


async def leave_it(update: Update, context: BotContext) -> int:
    context.user_data.pop(FIXING, None)
    await update.effective_message.reply_text("OK, I left it as it is.")
    return ConversationHandler.END
