"""Fixing what a marketplace refused, for that marketplace alone: the seller corrects one field
it named (each refused field has its own ✏️ Fix button), the value is kept with that copy
(the listing and its other copies keep theirs), and once no refused field is left to fix the
listing is posted again to that marketplace. The question and the outcome are on the card."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import ConversationHandler

from bot.buttons import FixRefusal, LeaveFix, button, pressed
from bot.context import BotContext
from bot.parsing import InputRejected, normalize_text, parse_postal_code, parse_price
from bot.selling import card, texts
from bot.selling.question import ANSWER
from marketplaces.base import Marketplace
from marketplaces.ebay.listing import ASPECT_VALUE_MAX  # the one marketplace that names them
from storage.listings import FIX_COLUMNS

FIXING = "fixing"  # user_data: [listing id, marketplace, field, the item specific named]
CATEGORY_MAX = 60
if set(texts.FIX_WORDS) != card.FIXABLE_FIELDS:  # the card offers a fix for exactly these
    raise RuntimeError("bot/selling/texts.py must ask for every field the card calls fixable")


async def start_fix(update: Update, context: BotContext) -> int:
    """✏️ Fix the {field} for {marketplace}: the question takes the card's place."""
    query = update.callback_query
    fix = pressed(update, FixRefusal)
    services = context.services
    listing = await services.listings.get(fix.listing)
    if listing is None or listing.telegram_id != update.effective_user.id:
        await query.answer(texts.NOT_YOURS, show_alert=True)
        return ConversationHandler.END
    row = next((r for r in await services.listings.cross_posts(listing.id)
                if r.marketplace == fix.marketplace), None)
    adapter = services.marketplaces.get(fix.marketplace)
    if (row is None or adapter is None or listing.state != "active"
            or fix.field not in card.fixable(row)):
        await query.answer(texts.ALREADY_DEALT_WITH)
        return ConversationHandler.END
    await query.answer()
    aspect = card.missing_aspect(row.error or "") if fix.field == "aspects" else None
    context.user_data[FIXING] = [listing.id, fix.marketplace, fix.field, aspect]
    message = query.message
    await context.application.cards.prompt(
        listing, message if isinstance(message, Message) else None,
        texts.ask_fix(adapter.display_name, card.clipped(row.error or ""), fix.field,
                      listing.title, aspect),
        InlineKeyboardMarkup([[button(texts.LEAVE_IT, LeaveFix(listing.id))]]),
        question=True,
    )
    return ANSWER


async def value_received(update: Update, context: BotContext) -> int:
    listing_id, marketplace, field, *named = context.user_data.get(FIXING) or (0, "", "")
    services = context.services
    listing = await services.listings.get(int(listing_id))
    adapter = services.marketplaces.get(marketplace)
    if listing is None or adapter is None or listing.telegram_id != update.effective_user.id:
        context.user_data.pop(FIXING, None)
        return ConversationHandler.END
    message = update.effective_message
    try:
        value = _read(field, message.text, adapter, named[0] if named else None)
    except InputRejected as refused:
        await message.reply_text(refused.message)
        return ANSWER
    context.user_data.pop(FIXING, None)
    cards = context.application.cards
    await cards.answered(listing.id, message)
    row = next((r for r in await services.listings.cross_posts(listing.id)
                if r.marketplace == marketplace), None)
    if row is None or field not in card.fixable(row) or listing.state != "active":
        await cards.show(listing.id)  # dealt with meanwhile (a Retry, a sale)
        return ConversationHandler.END
    left = await services.listings.fix_copy(listing.id, marketplace, field, value)
    still = [f for f in left if f in card.FIXABLE_FIELDS]
    news = texts.fixed(adapter.display_name, field,
                       card.shown_value(FIX_COLUMNS[field], value), still)
    if not still:
        await services.listings.reset_attempts(listing.id, [marketplace])
    await cards.show(listing.id, news=news)
    if not still:
        application = context.application
        application.create_task(application.publishing.run(listing.id), update=update)
    return ConversationHandler.END


def _read(field: str, text: str, adapter: Marketplace, aspect: str | None = None) -> object:
    """The seller's answer as the value to keep, within that marketplace's own rules."""
    rules = adapter.rules
    if field == "aspects":
        if not aspect:
            raise InputRejected(texts.ALREADY_DEALT_WITH)
        return {aspect: [normalize_text(text, max_length=ASPECT_VALUE_MAX, multiline=False,
                                        limit_reason=adapter.display_name)]}
    if field == "price":
        return parse_price(text, min_cents=rules.price_min_cents,
                           max_cents=rules.price_max_cents)
    if field == "location":
        return parse_postal_code(text)
    limit = {"title": rules.title_max, "description": rules.description_max}.get(
        field, CATEGORY_MAX)
    return normalize_text(text, max_length=limit, multiline=field == "description",
                          limit_reason=adapter.display_name)


async def leave_it(update: Update, context: BotContext) -> int:
    """« Leave it, or /cancel: the card comes back, that marketplace left as it was."""
    asked = context.user_data.pop(FIXING, None) or [0, "", ""]
    listing_id = pressed(update, LeaveFix).listing if update.callback_query else int(asked[0])
    listing = await context.services.listings.get(listing_id)
    if listing is None or listing.telegram_id != update.effective_user.id:
        if update.callback_query:
            await update.callback_query.answer(texts.NOT_YOURS, show_alert=True)
        return ConversationHandler.END
    cards = context.application.cards
    if update.callback_query:
        await update.callback_query.answer()
        message = update.callback_query.message
        if isinstance(message, Message):
            await cards.adopt(listing, message)
    else:
        await cards.answered(listing.id, update.effective_message)
    name = context.services.display_names().get(asked[1]) if asked[0] == listing.id else None
    await cards.show(listing.id, news=texts.left_as_is(name) if name else None)
    return ConversationHandler.END
