"""/listings: the seller's listings, five a page, and each listing's card, where it is marked
sold, repriced, withdrawn everywhere or posted to one more marketplace. Every button names a
listing, and every handler checks it is the pressing seller's own.

A button acts on the card it is on (bot/cards.py): a confirm prompt or the price question
takes the card's place, and the answer brings the card back saying what was chosen, then
edits it as each marketplace answers. Only a typed price that can't be read gets a message of
its own (the sentence saying why).
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ConversationHandler

from bot import texts as shared_texts
from bot.assisted.reminders import deliver_soon
from bot.buttons import (
    AddMarketplace,
    CardAction,
    ChangePrice,
    ConfirmSold,
    ConfirmWithdraw,
    KeepPrice,
    LeaveFix,
    ListingsPage,
    MarkSold,
    NewPost,
    NotSold,
    NotWithdrawn,
    OpenListing,
    PostElsewhere,
    Withdraw,
    button,
    pressed,
)
from bot.context import BotContext
from bot.parsing import InputRejected, format_price, parse_price
from bot.selling import card, texts
from bot.selling.question import ANSWER
from storage.listings import CrossPost, StoredListing

PAGE_SIZE = 5
PRICE_FOR = "price_for_listing"  # user_data: the listing whose price is being changed
Screen = tuple[str, InlineKeyboardMarkup | None]


async def _own_listing(
    update: Update, context: BotContext, listing_id: int
) -> StoredListing | None:
    listing = await context.services.listings.get(listing_id)
    if listing is None or listing.telegram_id != update.effective_user.id:
        if update.callback_query:
            await update.callback_query.answer(texts.NOT_YOURS, show_alert=True)
        return None
    return listing


def _pressed_on(update: Update) -> Message | None:
    """The message the pressed button is on, when Telegram still hands it back."""
    message = update.callback_query.message if update.callback_query else None
    return message if isinstance(message, Message) else None


def _names(rows: list[CrossPost], names: dict[str, str], *states: str) -> list[str]:
    return [names.get(r.marketplace, r.marketplace) for r in rows if r.state in states]


async def _page(context: BotContext, telegram_id: int, page: int) -> Screen:
    services = context.services
    total = await services.listings.count_for_seller(telegram_id)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(0, page), pages - 1)
    listings = await services.listings.for_seller(
        telegram_id, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    if not listings:
        return shared_texts.NOTHING_LISTED, InlineKeyboardMarkup(
            [[button("📦 Post an item", NewPost())]]
        )
    lines = [f"Your listings (page {page + 1} of {pages}):"]
    rows = []
    cards = context.application.cards
    for number, listing in enumerate(listings, start=page * PAGE_SIZE + 1):
        view = await cards.view(listing, actions=False)
        lines.append(
            f"\n{number}. <b>{escape(listing.title)}</b> — {format_price(listing.price_cents)}"
            f" · {texts.STATE_LABELS.get(listing.state, listing.state)}\n"
            f"   {card.summary(view)}"
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


async def listings_command(update: Update, context: BotContext) -> None:
    text, markup = await _page(context, update.effective_user.id, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def turn_page(update: Update, context: BotContext) -> None:
    """« Newer, Older », « All listings and 📋 My listings: a page of the list, in place (a
    card turned back into the list is no listing's card any more)."""
    query = update.callback_query
    await query.answer()
    page = pressed(update, ListingsPage).page
    text, markup = await _page(context, update.effective_user.id, page)
    message = _pressed_on(update)
    if message is not None:
        await context.application.cards.forget(message)
    await _edit(query.message, text, markup)


async def open_card(update: Update, context: BotContext) -> None:
    """A listing from the list (or « Back): its card, in place; the card it had before
    loses its buttons."""
    query = update.callback_query
    opened = pressed(update, OpenListing)
    listing = await _own_listing(update, context, opened.listing)
    if listing is None:
        return
    await query.answer()
    cards = context.application.cards
    message = _pressed_on(update)
    if message is not None:
        await cards.adopt(listing, message)
    cards.opened_from(listing.id, opened.page)
    await cards.show(listing.id, news=None)


async def _edit(message: object, text: str, markup: InlineKeyboardMarkup | None) -> None:
    if not isinstance(message, Message):  # too old for Telegram to hand back: nothing to edit
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc):
            raise


async def act(update: Update, context: BotContext) -> None:
    """The card's buttons: Mark sold and Withdraw ask to confirm on the card, then do it there;
    Post to another marketplace offers the seller's other connected marketplaces; a No, a
    « Keep or a « Leave it (outside its question) brings the card back."""
    query = update.callback_query
    action = pressed(update, CardAction)
    listing = await _own_listing(update, context, action.listing)
    if listing is None:
        return
    cards = context.application.cards
    message = _pressed_on(update)
    if isinstance(action, NotSold | NotWithdrawn | KeepPrice | LeaveFix):
        await query.answer()
        if message is not None:
            await cards.adopt(listing, message)
        news = {NotSold: texts.NOT_SOLD, NotWithdrawn: texts.NOT_WITHDRAWN}.get(type(action))
        await cards.show(listing.id, news=news)
        return
    if listing.state != "active":
        await query.answer(texts.ALREADY_ENDED)
        return
    await query.answer()
    title = listing.title
    if isinstance(action, MarkSold):
        await cards.prompt(listing, message, texts.confirm_sold(title), InlineKeyboardMarkup([
            [button("Yes, it sold", ConfirmSold(listing.id)),
             button("No, it's still for sale", NotSold(listing.id))]]))
    elif isinstance(action, Withdraw):
        await cards.prompt(listing, message, texts.confirm_withdraw(title),
                           InlineKeyboardMarkup([
                               [button("Yes, withdraw", ConfirmWithdraw(listing.id)),
                                button("No, keep it up", NotWithdrawn(listing.id))]]))
    elif isinstance(action, ConfirmSold | ConfirmWithdraw):
        await _end(context, listing, message, sold=isinstance(action, ConfirmSold))
    elif isinstance(action, PostElsewhere):
        names = context.services.display_names()
        copies = await context.services.listings.cross_posts(listing.id)
        choices = await cards.more_marketplaces(listing, copies)
        await cards.prompt(listing, message, texts.choose_more(title), InlineKeyboardMarkup(
            [[button(names[m], AddMarketplace(listing.id, m))] for m in choices]
            + [[button("« Back", OpenListing(listing.id, cards.page_of(listing.id)))]]))
    elif isinstance(action, AddMarketplace):
        await _add(context, listing, action.marketplace, message)


async def _end(
    context: BotContext, listing: StoredListing, message: Message | None, *, sold: bool
) -> None:
    """Yes on Mark sold or Withdraw: the prompt's buttons go at once and the card says what
    was chosen, then shows each copy ending."""
    cards, manager = context.application.cards, context.services.manager
    if message is not None:
        await cards.adopt(listing, message)
    await cards.show(listing.id, news=texts.MARKING_SOLD if sold else texts.WITHDRAWING,
                     busy=True)

    async def progress(rows: list[CrossPost]) -> None:
        await cards.show(listing.id, rows=rows, busy=True)

    if sold:
        rows = await manager.mark_sold(listing.id, None, progress)
    else:
        rows = await manager.withdraw_all(listing.id, progress)
    names = context.services.display_names()
    ended, stuck = _names(rows, names, "withdrawn"), _names(rows, names, "published")
    await cards.show(listing.id, news=(texts.marked_sold if sold else texts.withdrawn)(
        ended, stuck))
    deliver_soon(context.application)  # what to do on the copies posted by hand


async def _add(
    context: BotContext, listing: StoredListing, marketplace: str, message: Message | None
) -> None:
    """One more marketplace: the card shows it posting, like the first post did."""
    services, cards = context.services, context.application.cards
    copies = await services.listings.cross_posts(listing.id)
    if marketplace not in await cards.more_marketplaces(listing, copies):
        await cards.show(listing.id)
        return
    # The card (its chat and id) is stored with the new cross-post in one transaction: a
    # crash leaves the card to edit, never a stale one.
    where = (message.chat.id, message.message_id) if message is not None else None
    if not await services.listings.add_cross_post(listing.id, marketplace, progress=where):
        return  # pressed twice: the first press is already posting it
    await cards.show(listing.id, news=texts.added(services.display_names()[marketplace]))
    context.application.create_task(context.application.publishing.run(listing.id))


async def ask_new_price(update: Update, context: BotContext) -> int:
    """✏️ Change price: the question takes the card's place, with « Keep to leave it."""
    query = update.callback_query
    listing = await _own_listing(update, context, pressed(update, ChangePrice).listing)
    if listing is None:
        return ConversationHandler.END
    if listing.state != "active":
        await query.answer(texts.ALREADY_ENDED)
        return ConversationHandler.END
    await query.answer()
    context.user_data[PRICE_FOR] = listing.id
    price = format_price(listing.price_cents)
    await context.application.cards.prompt(
        listing, _pressed_on(update), texts.ask_new_price(listing.title, price),
        InlineKeyboardMarkup([[button(texts.keep_price(price), KeepPrice(listing.id))]]),
        question=True,
    )
    return ANSWER


async def new_price(update: Update, context: BotContext) -> int:
    listing = await _own_listing(update, context, int(context.user_data.get(PRICE_FOR) or 0))
    if listing is None:
        return ConversationHandler.END
    message = update.effective_message
    cards = context.application.cards
    if listing.state != "active":  # it sold while the question was open
        context.user_data.pop(PRICE_FOR, None)
        await cards.answered(listing.id, message)
        await cards.show(listing.id)
        return ConversationHandler.END
    try:
        cents = parse_price(message.text)
    except InputRejected as refused:
        await message.reply_text(refused.message)
        return ANSWER
    context.user_data.pop(PRICE_FOR, None)
    await cards.answered(listing.id, message)
    price = format_price(cents)
    await cards.show(listing.id, news=texts.changing_price(price), busy=True)

    async def progress(rows: list[CrossPost]) -> None:
        await cards.show(listing.id, rows=rows, busy=True)

    rows = await context.services.manager.change_price(listing.id, cents, progress)
    names = context.services.display_names()
    live = [r for r in rows if r.state == "published"]
    took = [names.get(r.marketplace, r.marketplace) for r in live if not r.error_kind]
    missed = [names.get(r.marketplace, r.marketplace) for r in live if r.error_kind]
    await cards.show(listing.id, news=texts.price_changed(price, took, missed))
    deliver_soon(context.application)  # the new price, for the copies posted by hand
    return ConversationHandler.END


async def keep_price(update: Update, context: BotContext) -> int:
    """« Keep, or /cancel: the card comes back with the price as it was."""
    asked = int(context.user_data.pop(PRICE_FOR, None) or 0)
    if update.callback_query:
        listing = await _own_listing(update, context, pressed(update, KeepPrice).listing)
    else:
        listing = await _own_listing(update, context, asked)
    if listing is None:
        return ConversationHandler.END
    cards = context.application.cards
    if update.callback_query:
        await update.callback_query.answer()
        message = _pressed_on(update)
        if message is not None:
            await cards.adopt(listing, message)
    else:
        await cards.answered(listing.id, update.effective_message)
    await cards.show(listing.id, news=texts.listing_price_kept(format_price(listing.price_cents)))
    return ConversationHandler.END
