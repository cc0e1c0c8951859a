"""eBay through its public Sell APIs: configuration (`config`), eBay's error body → our errors
(`errors`), what a listing must be (`listing`), the seller's account and its set-up
(`account`), photo uploads (`pictures`), categories (`taxonomy`) and the adapter (`adapter`).
The names other code imports are re-exported here."""

from marketplaces.ebay.adapter import EbayMarketplace
from marketplaces.ebay.config import (
    ENV_VARS,
    ENVIRONMENTS,
    NAME,
    PRODUCTION,
    SANDBOX,
    USER_SCOPES,
    EbayConfig,
    Environment,
    config_from_env,
)
from marketplaces.ebay.listing import RULES

__all__ = [
    "ENVIRONMENTS",
    "ENV_VARS",
    "NAME",
    "PRODUCTION",
    "RULES",
    "SANDBOX",
    "USER_SCOPES",
    "EbayConfig",
    "EbayMarketplace",
    "Environment",
    "config_from_env",
]
