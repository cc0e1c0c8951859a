"""Builds the services handlers use from the settings and the open database."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.context import Services
from marketplaces import registry
from marketplaces.assisted import ASSISTED
from marketplaces.connections import ConnectionService
from marketplaces.crosspost import CrossPoster, ListingManager
from marketplaces.media import MediaStore
from marketplaces.oauth import ConnectionBroker
from storage.accounts import AccountRepository
from storage.assisted import AssistedRepository
from storage.coordination import coordination_for
from storage.crypto import TokenCipher
from storage.db import Database
from storage.drafts import DraftRepository
from storage.listings import ListingRepository
from storage.oauth_states import OAuthStateRepository
from storage.scope import ReadCache, SellerMemo
from storage.sellers import SellerRepository
from storage.timeutil import SYSTEM_CLOCK, Clock
from storage.updates import UpdateLedger

log = logging.getLogger(__name__)


def build_services(settings: Settings, db: Database, clock: Clock = SYSTEM_CLOCK) -> Services:
    cipher = TokenCipher.from_setting(settings.token_encryption_key)
    coordination = coordination_for(db, clock)
    public = settings.public_base_url or f"http://{settings.web_host}:{settings.web_port}"
    newest, *older = cipher.derived_keys("media-urls")
    media = MediaStore(settings.data_dir / "media", newest, public, older_keys=older)
    marketplaces = registry.build(
        settings.marketplaces, media,
        lambda purpose: cipher.derived_key(purpose).hex(),  # 64 of [0-9a-f]: a valid eBay token
        settings.public_base_url,
    )
    # Reads of a seller's rows, kept for an update; by one process alone on its database,
    # between updates too (storage/scope.py). One cache: a listing's creation ends its draft.
    alone = not coordination.shared and db.claim_sole_writer()
    if not alone and not coordination.shared:
        log.warning("another process is writing %s: this one keeps nothing between updates",
                    db.location)
    cache = ReadCache(SellerMemo() if alone else None)
    accounts = AccountRepository(db, cipher, clock, cache)
    states = OAuthStateRepository(db, cipher, clock)
    connections = ConnectionService(marketplaces, accounts)
    listings = ListingRepository(db, settings.data_dir / "listings", clock, cache)
    assisted = AssistedRepository(db, clock, cache)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        cipher=cipher,
        sellers=SellerRepository(db, clock),
        updates=UpdateLedger(db, clock),
        accounts=accounts,
        states=states,
        marketplaces=marketplaces,
        connections=connections,
        broker=ConnectionBroker(marketplaces, states, accounts, public, clock=clock),
        media=media,
        drafts=DraftRepository(db, settings.data_dir / "drafts", clock, cache),
        listings=listings,
        crossposter=CrossPoster(
            connections, listings, retry_base_seconds=settings.publish_retry_base_seconds
        ),
        manager=ListingManager(connections, listings, assisted),
        assisted=assisted,
        # A marketplace posted by API (OfferUp through a partner) needs no kit
        kits={kit.name: kit for kit in ASSISTED if kit.name not in marketplaces},
        coordination=coordination,
    )
