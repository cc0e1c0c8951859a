"""OfferUp through a partner endpoint (docs/offerup-api.md): configuration (`config`), problem
documents → our errors (`errors`), what a listing must be (`listing`), the refresh-once guard
(`refresh`), the category cache (`categories`) and the adapter (`adapter`). The names other
code imports are re-exported here."""

from marketplaces.offerup.adapter import OfferUpMarketplace
from marketplaces.offerup.categories import OTHER_CATEGORY_ID
from marketplaces.offerup.config import ENV_VARS, NAME, SCOPES, OfferUpConfig, config_from_env
from marketplaces.offerup.listing import RULES

__all__ = [
    "ENV_VARS",
    "NAME",
    "OTHER_CATEGORY_ID",
    "RULES",
    "SCOPES",
    "OfferUpConfig",
    "OfferUpMarketplace",
    "config_from_env",
]
