"""What the bot does with a verified push from a marketplace: a sale ends the other copies at
once (the scheduled status check is the backstop for a push that never comes), a revoked grant
asks the seller to reconnect, a deleted account is forgotten.

A push names the marketplace's user; the accounts connected as that user are the ones it is
about. eBay's ORDER_CONFIRMATION names an order, and the order names the listings it bought.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from bot import texts
from bot.assisted.reminders import deliver_soon
from bot.buttons import Connect, button
from bot.context import DealScoutApplication
from marketplaces.base import MarketplaceError
from marketplaces.capabilities import Event, OrderLookup, Pushed, PushNotifications
from marketplaces.crosspost import StatusChange
from storage.accounts import StoredAccount

log = logging.getLogger(__name__)


class PushHandler:
    """Acts on pushes for one running bot."""

    def __init__(self, application: DealScoutApplication) -> None:
        self._application = application
        self._services = application.services

    async def handle(self, marketplace: str, pushed: Pushed) -> None:
        accounts = await self._services.accounts.on_marketplace(
            marketplace, user_id=pushed.user_id, username=pushed.username
        )
        log.info("%s push %s (%s) for %d account(s)", marketplace, pushed.topic,
                 pushed.notification_id, len(accounts))
        for account in accounts:
            if pushed.event is Event.SALE:
                await self._sale(account, pushed)
            elif pushed.event is Event.ACCESS_REVOKED:
                await self._revoked(account)
            elif pushed.event is Event.ACCOUNT_DELETED:
                await self._deleted(account)

    async def _sale(self, account: StoredAccount, pushed: Pushed) -> None:
        """The listings the order bought are sold there; every other copy ends now. Without
        the listings (a marketplace that names none), each live copy is asked, as the status
        check does."""
        services = self._services
        marketplace = account.marketplace
        adapter = services.marketplaces.get(marketplace)
        urls = None
        if isinstance(adapter, OrderLookup):
            bought = list(pushed.listing_ids) or await self._order_listings(account, pushed)
            urls = [adapter.listing_url(listing) for listing in bought] if bought else None
        for listing_id in await services.listings.live_on(marketplace, account.telegram_id, urls):
            if urls is not None:
                stored = await services.listings.get(listing_id)
                if stored is None:
                    continue
                rows = await services.manager.mark_sold(listing_id, marketplace)
                change: StatusChange | None = StatusChange.of(stored, marketplace, sold=True,
                                                              rows=rows)
            else:
                change = await services.manager.check(listing_id)
            if change is not None:
                # A sale the seller must notice: a message of its own, and the card shows it.
                names = services.display_names()
                await self._say(change.telegram_id, texts.sold_elsewhere(change, names))
                await self._application.cards.show(change.listing_id,
                                                   news=texts.change_news(change, names))
                deliver_soon(self._application)  # then what to do on the copies by hand

    async def _order_listings(self, account: StoredAccount, pushed: Pushed) -> list[str]:
        """The listings of the pushed order, looked up with the seller's token."""
        if not pushed.order_id:
            return []
        order_id = pushed.order_id
        try:
            return await self._services.connections.call(
                account.telegram_id, account.marketplace,
                lambda adapter, tokens: adapter.listings_in_order(tokens, order_id),
            )
        except MarketplaceError as exc:
            log.warning("order %s on %s not read: %s", order_id, account.marketplace, exc)
            return []

    async def _revoked(self, account: StoredAccount) -> None:
        if await self._services.accounts.mark_needs_reconnect(account.telegram_id,
                                                              account.marketplace):
            name = self._services.display_names().get(account.marketplace, account.marketplace)
            await self._say(account.telegram_id, texts.access_revoked_notice(name),
                            InlineKeyboardMarkup([[button("Reconnect",
                                                          Connect(account.marketplace))]]))

    async def _deleted(self, account: StoredAccount) -> None:
        """The marketplace's user is gone: their tokens and account row go too, as the
        marketplace requires of every app that keeps its users' data."""
        if await self._services.accounts.delete(account.telegram_id, account.marketplace):
            name = self._services.display_names().get(account.marketplace, account.marketplace)
            await self._say(account.telegram_id, texts.account_deleted_notice(name))

    async def _say(
        self, telegram_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        try:
            await self._application.bot.send_message(telegram_id, text, reply_markup=markup)
        except TelegramError as exc:
            log.warning("could not tell user %s about a push: %s", telegram_id, exc)


async def set_up_pushes(application: DealScoutApplication) -> None:
    """Register our endpoint with every marketplace that pushes (idempotent, so at every
    start). Once the web server is up: eBay challenges the endpoint while creating it. A
    failure is logged; the status check still notices every sale, only later."""
    for name, adapter in application.services.marketplaces.items():
        if not isinstance(adapter, PushNotifications):
            continue
        try:
            await adapter.set_up_notifications()
        except MarketplaceError as exc:
            log.warning("%s notifications not set up: %s", name, exc)
