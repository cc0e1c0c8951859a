"""/accounts: each connection with its status, and buttons to check or disconnect it."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.context import BotContext
from marketplaces.base import MarketplaceError, NeedsReconnect

log = logging.getLogger(__name__)

PREFIX = "ac"  # ac:<action>:<marketplace>, action in chk | dis | yes | keep
ACTIONS = ("chk", "dis", "yes", "keep")


async def _overview(context: BotContext, telegram_id: int) -> tuple[str, InlineKeyboardMarkup]:
    services = context.services
    accounts = await services.accounts.for_seller(telegram_id)
    known = [a for a in accounts if a.marketplace in services.marketplaces]
    rows = []
    for account in known:
        name, key = services.marketplaces[account.marketplace].display_name, account.marketplace
        rows.append([
            InlineKeyboardButton(f"Check {name}", callback_data=f"{PREFIX}:chk:{key}"),
            InlineKeyboardButton(f"Disconnect {name}", callback_data=f"{PREFIX}:dis:{key}"),
        ])
    rows.append([InlineKeyboardButton("➕ Connect a marketplace", callback_data="cn:back")])
    lines = [
        texts.account_status_line(services.marketplaces[a.marketplace].display_name, a)
        for a in known
    ]
    return texts.accounts_overview(lines), InlineKeyboardMarkup(rows)


async def accounts(update: Update, context: BotContext) -> None:
    text, markup = await _overview(context, update.effective_user.id)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def act(update: Update, context: BotContext) -> None:
    query = update.callback_query
    _, action, name = query.data.split(":")
    services = context.services
    adapter = services.marketplaces.get(name)
    telegram_id = update.effective_user.id
    if adapter is None or await services.accounts.get(telegram_id, name) is None:
        await query.answer(texts.NOT_CONNECTED_ANYMORE, show_alert=True)
        return
    if action == "dis":
        await query.answer()
        await query.edit_message_text(
            texts.confirm_disconnect(adapter.display_name),
            reply_markup=InlineKeyboardMarkup([[
                InlineKeyboardButton("Yes, disconnect", callback_data=f"{PREFIX}:yes:{name}"),
                InlineKeyboardButton("Keep it", callback_data=f"{PREFIX}:keep:{name}"),
            ]]),
        )
        return
    if action == "yes":
        await query.answer()
        await services.connections.disconnect(telegram_id, name)
        text, markup = await _overview(context, telegram_id)
        await query.edit_message_text(
            f"{texts.disconnected(adapter.display_name)}\n\n{text}", reply_markup=markup
        )
        return
    if action == "chk":
        await query.answer(texts.CHECKING)
        try:
            account = await services.connections.verify(telegram_id, name)
        except NeedsReconnect:
            verdict = texts.check_needs_reconnect(adapter.display_name)
        except MarketplaceError as exc:
            log.warning("checking %s for user %s failed: %s", name, telegram_id, exc)
            verdict = texts.check_unavailable(adapter.display_name)
        else:
            verdict = texts.check_ok(adapter.display_name, account.display_name)
        text, markup = await _overview(context, telegram_id)
        await query.edit_message_text(f"{verdict}\n\n{text}", reply_markup=markup)
        return
    await query.answer()  # keep
    text, markup = await _overview(context, telegram_id)
    await query.edit_message_text(text, reply_markup=markup)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("accounts", accounts))
    application.add_handler(
        CallbackQueryHandler(act, pattern=rf"^{PREFIX}:({'|'.join(ACTIONS)}):[a-z]+$")
    )
