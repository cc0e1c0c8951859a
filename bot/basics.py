"""What every chat needs outside the flows: /start and /help, /cancel with nothing to cancel,
replies to input nothing else takes, answers to buttons whose moment has passed, and the error
handler (logged once for the operator, one sentence for the seller)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import texts
from bot.buttons import ConnectMenu, ListingsPage, NewPost, button
from bot.context import BotContext

log = logging.getLogger(__name__)


async def remember_seller(update: Update, context: BotContext) -> None:
    """Record every seller the first time this process sees them (connections and listings
    point at the sellers table), without a write on every update."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    await context.services.sellers.touch_once(
        user.id, user.first_name, user.username, user.language_code
    )


async def start(update: Update, context: BotContext) -> None:
    """The welcome, with the seller's next step as buttons: connect first while nothing is
    connected; once something is, post first, then their listings when they have some."""
    services = context.services
    telegram_id = update.effective_user.id
    connected = {a.marketplace for a in await services.accounts.for_seller(telegram_id)
                 if a.status == "connected"} & set(services.marketplaces)
    await update.effective_message.reply_text(
        texts.welcome(
            update.effective_user.first_name,
            [adapter.display_name for adapter in services.marketplaces.values()],
            [kit.display_name for kit in services.kits.values()],
            connected=bool(connected),
        ),
        reply_markup=next_steps(
            connected=bool(connected),
            more_to_connect=bool(set(services.marketplaces) - connected),
            has_listings=await services.listings.count_for_seller(telegram_id) > 0,
        ),
    )


def next_steps(
    *, connected: bool, more_to_connect: bool, has_listings: bool
) -> InlineKeyboardMarkup:
    """[🔗 Connect a marketplace] [📦 Post an item] [📋 My listings], in the order the seller
    needs them."""
    connect = [button("🔗 Connect a marketplace", ConnectMenu())] if more_to_connect else []
    post = [button("📦 Post an item", NewPost())]
    rows = [connect, post] if not connected else [post]
    if has_listings:
        rows.append([button("📋 My listings", ListingsPage(0))])
    if connected and connect:
        rows.append(connect)
    return InlineKeyboardMarkup([row for row in rows if row])


async def help_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(texts.help_text())


# What a seller most likely wants when the bot could not tell: a tap away, not a command typed.
# The same for everyone, so answering costs no database read.
LIKELY_NEXT = InlineKeyboardMarkup([[button("📦 Post an item", NewPost())],
                                    [button("📋 My listings", ListingsPage(0))]])


async def cancel(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(texts.NOTHING_TO_CANCEL, reply_markup=LIKELY_NEXT)


async def unknown_command(update: Update, context: BotContext) -> None:
    command = update.effective_message.text.split(maxsplit=1)[0].split("@", 1)[0]
    await update.effective_message.reply_text(texts.unknown_command(command),
                                              reply_markup=LIKELY_NEXT)


async def not_understood(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(texts.not_understood(), reply_markup=LIKELY_NEXT)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button whose flow is over, or data we never made: say so, change nothing."""
    await update.callback_query.answer(texts.STALE_BUTTON)


async def on_error(update: object, context: BotContext) -> None:
    if isinstance(update, Update):
        user_id = update.effective_user.id if update.effective_user else None
        log.error(
            "update %s from user %s failed", update.update_id, user_id, exc_info=context.error
        )
        if update.effective_chat is not None:
            try:
                await context.bot.send_message(update.effective_chat.id, texts.SOMETHING_WENT_WRONG)
            except TelegramError as exc:
                log.warning("could not tell user %s about the failure: %s", user_id, exc)
    else:
        log.error("background task failed", exc_info=context.error)
