"""/accounts: each connection with its status, and buttons to check or disconnect it."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot import texts
from bot.buttons import (
    AccountAction,
    CheckAccount,
    ConfirmDisconnect,
    ConnectMenu,
    Disconnect,
    KeepAccount,
    button,
    pressed,
)
from bot.context import BotContext
from marketplaces.base import MarketplaceError, NeedsReconnect

log = logging.getLogger(__name__)


async def _overview(context: BotContext, telegram_id: int) -> tuple[str, InlineKeyboardMarkup]:
    services = context.services
    accounts = await services.accounts.for_seller(telegram_id)
    known = [a for a in accounts if a.marketplace in services.marketplaces]
    rows = []
    for account in known:
        name, key = services.marketplaces[account.marketplace].display_name, account.marketplace
        rows.append([button(f"Check {name}", CheckAccount(key)),
                     button(f"Disconnect {name}", Disconnect(key))])
    rows.append([button("➕ Connect a marketplace", ConnectMenu())])
    lines = [
        texts.account_status_line(services.marketplaces[a.marketplace].display_name, a)
        for a in known
    ]
    return texts.accounts_overview(lines), InlineKeyboardMarkup(rows)


async def accounts_command(update: Update, context: BotContext) -> None:
    text, markup = await _overview(context, update.effective_user.id)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def act(update: Update, context: BotContext) -> None:
    """Check, Disconnect (then Yes or Keep it) on the seller's own connection."""
    query = update.callback_query
    action = pressed(update, AccountAction)
    services = context.services
    adapter = services.marketplaces.get(action.marketplace)
    telegram_id = update.effective_user.id
    if adapter is None or await services.accounts.get(telegram_id, action.marketplace) is None:
        await query.answer(texts.NOT_CONNECTED_ANYMORE, show_alert=True)
        return
    name = adapter.display_name
    if isinstance(action, Disconnect):
        await query.answer()
        await query.edit_message_text(
            texts.confirm_disconnect(name),
            reply_markup=InlineKeyboardMarkup([[
                button("Yes, disconnect", ConfirmDisconnect(action.marketplace)),
                button("Keep it", KeepAccount(action.marketplace)),
            ]]),
        )
        return
    verdict = None
    if isinstance(action, ConfirmDisconnect):
        await query.answer()
        await services.connections.disconnect(telegram_id, action.marketplace)
        verdict = texts.disconnected(name)
    elif isinstance(action, CheckAccount):
        await query.answer(texts.CHECKING)
        verdict = await _check(context, telegram_id, action.marketplace, name)
    else:  # KeepAccount
        await query.answer()
    text, markup = await _overview(context, telegram_id)
    await query.edit_message_text(f"{verdict}\n\n{text}" if verdict else text, reply_markup=markup)


async def _check(context: BotContext, telegram_id: int, marketplace: str, name: str) -> str:
    try:
        account = await context.services.connections.verify(telegram_id, marketplace)
    except NeedsReconnect:
        return texts.check_needs_reconnect(name)
    except MarketplaceError as exc:
        log.warning("checking %s for user %s failed: %s", marketplace, telegram_id, exc)
        return texts.check_unavailable(name, exc)
    return texts.check_ok(name, account.display_name)
