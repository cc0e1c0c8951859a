"""The people and businesses this Facebook starts with: Rosa with a single catalog, Marcus with
two (and a hotel catalog, which takes no products), and Jenny with none."""

from __future__ import annotations

from typing import Final

from sandbox.facebook.catalog import CatalogBackend
from sandbox.kit import MarketplaceAccount

ROSA: Final = "100089000000001"
MARCUS: Final = "100089000000002"
JENNY: Final = "100089000000003"


def people() -> list[MarketplaceAccount]:
    """The seeded people, fresh for each sandbox."""
    return [
        MarketplaceAccount(ROSA, "Rosa Delgado"),
        MarketplaceAccount(MARCUS, "Marcus Bell"),
        MarketplaceAccount(JENNY, "Jenny Nguyen"),
    ]


def seed(store: CatalogBackend) -> None:
    """Rosa's and Marcus's businesses and their catalogs."""
    store.add_business("310000000000001", "Rosa's Resale Finds", {ROSA})
    store.add_catalog("810000000000001", "Rosa's Resale Finds – Products", "310000000000001")
    store.add_business("310000000000002", "Bell Street Flips", {MARCUS})
    store.add_catalog("810000000000002", "Bell Street – Sneakers", "310000000000002")
    store.add_catalog("810000000000003", "Bell Street – Electronics", "310000000000002")
    store.add_catalog("810000000000004", "Bell Street Stays", "310000000000002", "hotels")
