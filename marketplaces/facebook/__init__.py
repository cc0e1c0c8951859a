"""Facebook Commerce catalogs over the Graph API: configuration (`config`), Graph's error body →
our errors (`errors`), what a product must be (`listing`), catalogs and their items (`catalog`),
the seller's account and catalog choice (`account`) and the adapter (`adapter`). The names other
code imports are re-exported here."""

from marketplaces.base import CatalogChoiceNeeded
from marketplaces.facebook.adapter import FacebookMarketplace
from marketplaces.facebook.config import (
    DEFAULT_API_VERSION,
    ENV_VARS,
    NAME,
    SCOPES,
    FacebookConfig,
    config_from_env,
)
from marketplaces.facebook.listing import RULES

__all__ = [
    "DEFAULT_API_VERSION",
    "ENV_VARS",
    "NAME",
    "RULES",
    "SCOPES",
    "CatalogChoiceNeeded",
    "FacebookConfig",
    "FacebookMarketplace",
    "config_from_env",
]
