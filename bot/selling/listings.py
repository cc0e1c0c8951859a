"""/listings: the seller's listings, five a page, each with a card to mark sold, change the price,
withdraw everywhere, or post to one more marketplace. Every button names a listing, and every
handler checks it is the pressing seller's own."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ConversationHandler

from bot import texts
from bot.assisted.reminders import deliver_soon
from bot.buttons import (
    AddMarketplace,
    CardAction,
    ChangePrice,
    ConfirmSold,
    ConfirmWithdraw,
    ListingsPage,
    MarkSold,
    OpenListing,
    PostElsewhere,
    Withdraw,
    button,
    pressed,
)
from bot.context import BotContext
from bot.parsing import InputRejected, format_price, parse_price
from bot.selling.question import ANSWER
from bot.selling.texts import NOT_YOURS
from storage.assisted import ENDED, ENDING, KIT_SENT, SKIPPED, TRACKED, AssistedCopy
from storage.listings import CrossPost, StoredListing

log = logging.getLogger(__name__)

PAGE_SIZE = 5
STATE_LABELS = {"active": "for sale", "sold": "sold", "withdrawn": "withdrawn"}
COPY_ICONS = {"published": "✅", "failed": "❌", "pending": "⏳", "in_flight": "⏳",
              "sold": "💰", "withdrawn": "🛑", "ended": "🛑"}
PRICE_FOR = "price_for_listing"  # user_data: the listing whose price is being changed
NOTHING_LISTED = "You haven't listed anything yet. Send /post to list an item."


def _copies(
    rows: list[CrossPost], names: dict[str, str], by_hand: Sequence[AssistedCopy] = (),
    waiting: Mapping[str, str] | None = None,
) -> str:
    """Every copy in a line: those posted by API, then those the seller posts by hand (a kit
    waiting for its link, a copy tracked by its link, one the seller still has to end)."""
    parts = []
    for row in rows:
        name = names.get(row.marketplace, row.marketplace)
        label = (f'<a href="{escape(row.url)}">{name}</a>'
                 if row.url and row.state == "published" else name)
        parts.append(f"{COPY_ICONS.get(row.state, '•')} {label}")
    for copy in by_hand:
        parts.append(_by_hand(copy, names.get(copy.marketplace, copy.marketplace),
                              (waiting or {}).get(copy.marketplace)))
    return " · ".join(parts) or "not posted anywhere"


def _by_hand(copy: AssistedCopy, name: str, waiting_for: str | None) -> str:
    linked = f'<a href="{escape(copy.url)}">{escape(name)}</a>' if copy.url else escape(name)
    if waiting_for == "price":
        return f"⏳ {linked} — waiting for you to change its price"
    if waiting_for in ENDING:
        return f"⏳ {linked} — waiting for you to end it"
    return {
        KIT_SENT: f"📝 {linked} — kit sent, waiting for your link",
        TRACKED: f"✅ {linked} (posted by you)",
        SKIPPED: f"⏭ {linked} — skipped",
        ENDED: f"🛑 {linked}",
    }.get(copy.state, f"📝 {linked} — kit coming")


async def _copies_of(context: BotContext, listing_id: int) -> str:
    services = context.services
    return _copies(
        await services.listings.cross_posts(listing_id), _names(context),
        await services.assisted.copies(listing_id), await services.assisted.waiting(listing_id),
    )


async def _own_listing(
    update: Update, context: BotContext, listing_id: int
) -> StoredListing | None:
    listing = await context.services.listings.get(listing_id)
    if listing is None or listing.telegram_id != update.effective_user.id:
        if update.callback_query:
            await update.callback_query.answer(NOT_YOURS, show_alert=True)
        return None
    return listing


def _names(context: BotContext) -> dict[str, str]:
    return context.services.display_names()


Screen = tuple[str, InlineKeyboardMarkup | None]


async def _page(context: BotContext, telegram_id: int, page: int) -> Screen:
    services = context.services
    total = await services.listings.count_for_seller(telegram_id)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(0, page), pages - 1)
    listings = await services.listings.for_seller(
        telegram_id, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    if not listings:
        return NOTHING_LISTED, None
    lines = [f"Your listings (page {page + 1} of {pages}):"]
    rows = []
    for number, listing in enumerate(listings, start=page * PAGE_SIZE + 1):
        lines.append(
            f"\n{number}. <b>{escape(listing.title)}</b> — {format_price(listing.price_cents)}"
            f" · {STATE_LABELS.get(listing.state, listing.state)}\n"
            f"   {await _copies_of(context, listing.id)}"
        )
        rows.append([button(f"{number}. {listing.title[:40]}", OpenListing(listing.id, page))])
    nav = []
    if page > 0:
        nav.append(button("« Newer", ListingsPage(page - 1)))
    if page < pages - 1:
        nav.append(button("Older »", ListingsPage(page + 1)))
    if nav:
        rows.append(nav)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _card(context: BotContext, listing: StoredListing, page: int) -> Screen:
    copies = await context.services.listings.cross_posts(listing.id)
    text = (
        f"<b>{escape(listing.title)}</b>\n{format_price(listing.price_cents)} · "
        f"{STATE_LABELS.get(listing.state, listing.state)}\n"
        f"{await _copies_of(context, listing.id)}"
    )
    rows = []
    if listing.state == "active":
        rows.append([button("💰 Mark sold", MarkSold(listing.id)),
                     button("✏️ Change price", ChangePrice(listing.id))])
        rows.append([button("🛑 Withdraw everywhere", Withdraw(listing.id))])
        if await _more_marketplaces(context, listing, copies):
            rows.append([button("➕ Post to another marketplace", PostElsewhere(listing.id))])
    rows.append([button("« All listings", ListingsPage(page))])
    return text, InlineKeyboardMarkup(rows)


async def _more_marketplaces(
    context: BotContext, listing: StoredListing, copies: list[CrossPost]
) -> list[str]:
    used = {c.marketplace for c in copies}
    accounts = await context.services.accounts.for_seller(listing.telegram_id)
    return [a.marketplace for a in accounts
            if a.status == "connected" and a.marketplace in context.services.marketplaces
            and a.marketplace not in used]


async def listings_command(update: Update, context: BotContext) -> None:
    text, markup = await _page(context, update.effective_user.id, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def turn_page(update: Update, context: BotContext) -> None:
    """« Newer, Older » and « All listings: another page of the list, in place."""
    query = update.callback_query
    await query.answer()
    page = pressed(update, ListingsPage).page
    text, markup = await _page(context, update.effective_user.id, page)
    await _edit(query.message, text, markup)


async def open_card(update: Update, context: BotContext) -> None:
    """A listing from the list: its card, in place."""
    query = update.callback_query
    opened = pressed(update, OpenListing)
    listing = await _own_listing(update, context, opened.listing)
    if listing is None:
        return
    await query.answer()
    text, markup = await _card(context, listing, opened.page)
    await _edit(query.message, text, markup)


async def _edit(message: object, text: str, markup: InlineKeyboardMarkup | None) -> None:
    if not isinstance(message, Message):  # too old for Telegram to hand back: nothing to edit
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc):
            raise


async def act(update: Update, context: BotContext) -> None:
    """Card actions: Mark sold and Withdraw ask to confirm, then do it; Post to another
    marketplace offers the seller's other connected marketplaces."""
    query = update.callback_query
    action = pressed(update, CardAction)
    listing_id = action.listing
    listing = await _own_listing(update, context, listing_id)
    if listing is None:
        return
    if listing.state != "active":
        await query.answer("This listing has already ended.")
        return
    await query.answer()
    manager = context.services.manager
    if isinstance(action, MarkSold):
        await _edit(query.message, f"Did <b>{escape(listing.title)}</b> sell? I'll end every "
                    "other copy so it can't sell twice.", InlineKeyboardMarkup([[
                        button("Yes, it sold", ConfirmSold(listing_id)),
                        button("No", OpenListing(listing_id, 0))]]))
    elif isinstance(action, Withdraw):
        await _edit(query.message, f"Withdraw <b>{escape(listing.title)}</b> from every "
                    "marketplace?", InlineKeyboardMarkup([[
                        button("Yes, withdraw", ConfirmWithdraw(listing_id)),
                        button("No", OpenListing(listing_id, 0))]]))
    elif isinstance(action, ConfirmSold | ConfirmWithdraw):
        sold = isinstance(action, ConfirmSold)
        report = await _operation_message(update, context, listing,
                                          "Marking sold…" if sold else "Withdrawing…")
        if sold:
            rows = await manager.mark_sold(listing_id, None, report)
        else:
            rows = await manager.withdraw_all(listing_id, report)
        await report(rows, done=True)
        deliver_soon(context.application)  # what to do on the copies posted by hand
    elif isinstance(action, PostElsewhere):
        copies = await context.services.listings.cross_posts(listing_id)
        names = _names(context)
        choices = await _more_marketplaces(context, listing, copies)
        await _edit(query.message, f"Post <b>{escape(listing.title)}</b> to:",
                    InlineKeyboardMarkup(
                        [[button(names[m], AddMarketplace(listing_id, m))] for m in choices]
                        + [[button("« Back", OpenListing(listing_id, 0))]]))
    elif isinstance(action, AddMarketplace):
        marketplace = action.marketplace
        copies = await context.services.listings.cross_posts(listing_id)
        if marketplace not in await _more_marketplaces(context, listing, copies):
            return
        # Like Post on the preview, the card becomes the progress message, stored with the new
        # cross-post in one transaction: a crash leaves one message to edit, never a stale one.
        card = (query.message.chat.id, query.message.message_id) if query.message else None
        services = context.services
        if not await services.listings.add_cross_post(listing_id, marketplace, progress=card):
            return  # pressed twice: the first press is already posting it
        publishing = context.application.publishing
        await publishing.report(listing_id, await services.listings.cross_posts(listing_id))
        context.application.create_task(publishing.run(listing_id), update=update)


async def _operation_message(
    update: Update, context: BotContext, listing: StoredListing, heading: str
):
    """One message per operation, edited as each marketplace answers, like posting."""
    names = _names(context)
    message = await context.bot.send_message(
        update.effective_chat.id, f"{heading} <b>{escape(listing.title)}</b>"
    )

    async def report(rows: list[CrossPost], done: bool = False) -> None:
        lines = [("✅ Done: " if done else f"{heading} ") + f"<b>{escape(listing.title)}</b>"]
        now = datetime.now(UTC)
        for row in rows:
            name = names.get(row.marketplace, row.marketplace)
            line = f"{COPY_ICONS.get(row.state, '•')} {name}"
            problem = texts.copy_problem(row, name, now) if row.state == "published" else None
            if problem:
                line += f" — ⚠️ {escape(problem)}"
            lines.append(line)
        try:
            await message.edit_text("\n".join(lines))
        except BadRequest as exc:
            if "not modified" not in str(exc):
                log.warning("operation progress edit failed: %s", exc)

    return report


async def ask_new_price(update: Update, context: BotContext) -> int:
    query = update.callback_query
    listing = await _own_listing(update, context, pressed(update, ChangePrice).listing)
    if listing is None or listing.state != "active":
        if listing is not None:
            await query.answer("This listing has already ended.")
        return ConversationHandler.END
    await query.answer()
    context.user_data[PRICE_FOR] = listing.id
    await context.bot.send_message(
        update.effective_chat.id,
        f"New price for <b>{escape(listing.title)}</b>? It's {format_price(listing.price_cents)} "
        "now. Send the amount, like 35 or $35.50. /cancel keeps it as it is.",
    )
    return ANSWER


async def new_price(update: Update, context: BotContext) -> int:
    listing_id = context.user_data.get(PRICE_FOR)
    listing = await _own_listing(update, context, int(listing_id or 0))
    if listing is None:
        return ConversationHandler.END
    try:
        cents = parse_price(update.effective_message.text)
    except InputRejected as refused:
        await update.effective_message.reply_text(refused.message)
        return ANSWER
    context.user_data.pop(PRICE_FOR, None)
    report = await _operation_message(update, context, listing,
                                      f"Changing the price to {format_price(cents)} for")
    rows = await context.services.manager.change_price(listing.id, cents, report)
    await report(rows, done=True)
    deliver_soon(context.application)  # the new price, for the copies posted by hand
    return ConversationHandler.END


async def keep_price(update: Update, context: BotContext) -> int:
    context.user_data.pop(PRICE_FOR, None)
    await update.effective_message.reply_text("OK, the price stays as it is.")
    return ConversationHandler.END
