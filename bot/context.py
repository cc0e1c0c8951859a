"""The Application subclass that carries our services, and the context handlers receive."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from telegram.ext import Application, CallbackContext, ExtBot

from bot.cards import Cards
from bot.config import Settings
from bot.inbox import Inbox
from bot.publishing import Publishing
from marketplaces.assisted import AssistedMarketplace
from marketplaces.base import Marketplace
from marketplaces.connections import ConnectionService
from marketplaces.crosspost import CrossPoster, ListingManager
from marketplaces.media import MediaStore
from marketplaces.oauth import ConnectionBroker
from storage.accounts import AccountRepository
from storage.assisted import AssistedRepository
from storage.coordination import Coordination
from storage.crypto import TokenCipher
from storage.db import Database
from storage.drafts import DraftRepository
from storage.listings import ListingRepository
from storage.oauth_states import OAuthStateRepository
from storage.sellers import SellerRepository
from storage.timeutil import Clock
from storage.updates import UpdateLedger


@dataclass
class Services:
    """What handlers need beyond Telegram; built once per process."""

    settings: Settings
    db: Database
    clock: Clock  # what "now" is for repositories and jobs (a test may move it forward)
    cipher: TokenCipher
    sellers: SellerRepository
    updates: UpdateLedger
    accounts: AccountRepository
    states: OAuthStateRepository
    marketplaces: Mapping[str, Marketplace]
    connections: ConnectionService
    broker: ConnectionBroker
    media: MediaStore | None
    drafts: DraftRepository
    listings: ListingRepository
    crossposter: CrossPoster
    manager: ListingManager
    assisted: AssistedRepository  # copies posted by hand, and their reminders
    kits: Mapping[str, AssistedMarketplace]  # marketplaces the bot gives a kit for
    # Sellers' turns and job leases among replicas (a no-op for one process on SQLite).
    coordination: Coordination = field(default_factory=Coordination)

    def display_names(self) -> dict[str, str]:
        """Marketplace key → the name sellers know it by ("ebay" → "eBay")."""
        return {
            **{name: kit.display_name for name, kit in self.kits.items()},
            **{name: adapter.display_name for name, adapter in self.marketplaces.items()},
        }


class DealScoutApplication(Application):
    """PTB's Application with our services, built by ApplicationBuilder.application_class.

    They live on the Application, not in `bot_data`, because they are not data: nothing here
    is persisted, and every process builds its own."""

    services: Services
    inbox: Inbox  # updates written down before Telegram hears they arrived (bot/inbox.py)
    cards: Cards  # each listing's one card in the chat, kept current (bot/cards.py)
    publishing: Publishing  # publishes, shown on the listing's card (bot/publishing.py)

    def __init__(self, *, services: Services, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.inbox = inbox
        self.cards = Cards(services, self.bot)
        self.publishing = Publishing(
            services.crossposter, services.listings, self.cards, self.job_queue,
            services.coordination,
        )


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    @property
    def application(self) -> DealScoutApplication:
        """The Application, as the subclass every handler of this bot runs in."""
        return cast(DealScoutApplication, super().application)

    @property
    def services(self) -> Services:
        return self.application.services
