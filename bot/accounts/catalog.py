"""Choosing the catalog after connecting a marketplace that lists into one (Facebook), when the
seller manages several."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import InlineKeyboardMarkup, Update

from bot import texts
from bot.buttons import ChooseCatalog, button, pressed
from bot.context import BotContext
from marketplaces.base import MarketplaceError
from marketplaces.capabilities import Catalogs

log = logging.getLogger(__name__)


def catalog_keyboard(marketplace: str, choices: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One button per catalog, as offered right after connecting."""
    return InlineKeyboardMarkup(
        [[button(label, ChooseCatalog(marketplace, catalog_id))] for catalog_id, label in choices]
    )


async def choose_catalog(update: Update, context: BotContext) -> None:
    query = update.callback_query
    chosen_button = pressed(update, ChooseCatalog)
    marketplace, catalog_id = chosen_button.marketplace, chosen_button.catalog_id
    services = context.services
    telegram_id = update.effective_user.id
    adapter = services.marketplaces.get(marketplace)
    if (not isinstance(adapter, Catalogs)
            or await services.accounts.get(telegram_id, marketplace) is None):
        await query.answer(texts.NOT_CONNECTED_ANYMORE, show_alert=True)
        return
    tokens = await services.connections.tokens(telegram_id, marketplace)
    try:
        offered = dict(await adapter.catalogs(tokens))
    except MarketplaceError as exc:
        log.warning("listing catalogs for user %s failed: %s", telegram_id, exc)
        await query.answer(texts.check_unavailable(adapter.display_name), show_alert=True)
        return
    if catalog_id not in offered:  # a forged or outdated button: only the seller's own count
        await query.answer(texts.CATALOG_GONE, show_alert=True)
        return
    chosen = adapter.with_catalog(tokens, catalog_id)
    await services.connections.store_tokens(
        telegram_id, marketplace,
        replace(chosen, extra={**chosen.extra, "catalog_name": offered[catalog_id]}),
    )
    await query.answer()
    await query.edit_message_text(texts.catalog_chosen(adapter.display_name, offered[catalog_id]))
