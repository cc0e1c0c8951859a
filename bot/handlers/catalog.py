"""Choosing the Facebook catalog after connecting, when the seller manages several."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot import texts
from bot.context import BotContext
from marketplaces.base import MarketplaceError

log = logging.getLogger(__name__)

PREFIX = "fc"  # fc:<catalog id>
MARKETPLACE = "facebook"


async def choose_catalog(update: Update, context: BotContext) -> None:
    query = update.callback_query
    catalog_id = query.data.split(":", 1)[1]
    services = context.services
    adapter = services.marketplaces.get(MARKETPLACE)
    telegram_id = update.effective_user.id
    if adapter is None or await services.accounts.get(telegram_id, MARKETPLACE) is None:
        await query.answer(texts.NOT_CONNECTED_ANYMORE, show_alert=True)
        return
    tokens = await services.connections.tokens(telegram_id, MARKETPLACE)
    try:
        offered = dict(await adapter.catalogs(tokens))  # type: ignore[attr-defined]
    except MarketplaceError as exc:
        log.warning("listing catalogs for user %s failed: %s", telegram_id, exc)
        await query.answer(texts.check_unavailable(adapter.display_name), show_alert=True)
        return
    if catalog_id not in offered:  # a forged or outdated button: only the seller's own count
        await query.answer(texts.CATALOG_GONE, show_alert=True)
        return
    chosen = adapter.with_catalog(tokens, catalog_id)  # type: ignore[attr-defined]
    await services.connections.store_tokens(
        telegram_id,
        MARKETPLACE,
        replace(chosen, extra={**chosen.extra, "catalog_name": offered[catalog_id]}),
    )
    await query.answer()
    await query.edit_message_text(texts.catalog_chosen(adapter.display_name, offered[catalog_id]))


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(choose_catalog, pattern=rf"^{PREFIX}:\d{{1,30}}$"))
