"""The Application subclass that carries our services, and the context handlers receive."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from marketplaces.base import Marketplace
from marketplaces.connections import ConnectionService
from marketplaces.crosspost import CrossPoster, ListingManager
from marketplaces.media import MediaStore
from marketplaces.oauth import ConnectionBroker
from storage.accounts import AccountRepository
from storage.crypto import TokenCipher
from storage.db import Database
from storage.drafts import DraftRepository
from storage.listings import ListingRepository
from storage.oauth_states import OAuthStateRepository
from storage.sellers import SellerRepository
from storage.updates import UpdateLedger


@dataclass
class Services:
    """What handlers need beyond Telegram; built once per process."""

    settings: Settings
    db: Database
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


class DealScoutApplication(Application):
    """PTB's Application with our `services` attached (kept out of the persisted bot_data)."""

    services: Services
    publishing: Any  # bot.post.publish.Publishing (set when handlers register)
    inbox: Any  # bot.inbox.Inbox: updates written down before Telegram hears they arrived


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    @property
    def services(self) -> Services:
        return self.application.services  # type: ignore[attr-defined]
