"""Which marketplaces exist, how each reads its settings, and how its adapter is built.

The bot asks this module for the configured adapters; nothing else needs to know the list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from marketplaces import ebay, facebook, offerup
from marketplaces.base import Marketplace
from marketplaces.media import MediaStore

Secret = Callable[[str], str]  # a secret of our own for a purpose, derived from our key
Factory = Callable[[Any, MediaStore | None, Secret, str | None], Marketplace]


@dataclass(frozen=True)
class MarketplaceSpec:
    name: str
    module: ModuleType  # exposes RULES, ENV_VARS and config_from_env
    create: Factory


SPECS: tuple[MarketplaceSpec, ...] = (
    MarketplaceSpec(
        "ebay",
        ebay,
        lambda config, media, secret, public: ebay.EbayMarketplace(
            config.with_bot_defaults(public, secret("ebay-notifications"))
        ),
    ),
    MarketplaceSpec(
        "facebook",
        facebook,
        lambda config, media, secret, public: facebook.FacebookMarketplace(
            config, media=_required(media)
        ),
    ),
    MarketplaceSpec(
        "offerup", offerup,
        lambda config, media, secret, public: offerup.OfferUpMarketplace(config),
    ),
)


def _required(media: MediaStore | None) -> MediaStore:
    if media is None:
        raise ValueError("Facebook fetches photos by URL: a MediaStore is required")
    return media


def env_vars() -> dict[str, str]:
    """Every marketplace variable with its one-line comment, in a stable order."""
    merged: dict[str, str] = {}
    for spec in SPECS:
        merged.update(spec.module.ENV_VARS)
    return merged


def configs_from_env(
    env: Mapping[str, str], public_base_url: str | None
) -> tuple[dict[str, Any], list[str]]:
    """(configs of the configured marketplaces, problems naming each bad variable)."""
    configs: dict[str, Any] = {}
    problems: list[str] = []
    for spec in SPECS:
        try:
            config = spec.module.config_from_env(env, public_base_url=public_base_url)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if config is not None:
            configs[spec.name] = config
    return configs, problems


def build(
    configs: Mapping[str, Any], media: MediaStore | None, secret: Secret,
    public_base_url: str | None = None,
) -> dict[str, Marketplace]:
    """One adapter per configured marketplace, in the order sellers see them. Where the
    operator set none, `secret` gives one a secret of its own (eBay's verification token) and
    `public_base_url` says where our web server is reached (eBay's push endpoint)."""
    return {
        spec.name: spec.create(configs[spec.name], media, secret, public_base_url)
        for spec in SPECS
        if spec.name in configs
    }
