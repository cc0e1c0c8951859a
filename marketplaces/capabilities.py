"""What only some marketplaces can do, each as a protocol callers check with `isinstance`, and
the values those capabilities speak in.

eBay lists into its own category tree, each category with its own conditions and required item
specifics, prices from what sells, changes a price in place, and pushes sales to us; Facebook's
catalogs are chosen once. The bot asks for these only where a marketplace has them, so every
other marketplace keeps the plain path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from marketplaces.base import Condition, Listing, MarketplaceError, Tokens

# ── Values ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CategoryChoice:
    """One of a marketplace's leaf categories, with the path that places it."""

    category_id: str
    name: str
    path: tuple[str, ...] = ()  # ancestors first, the category itself last

    @property
    def path_text(self) -> str:
        return " › ".join(self.path or (self.name,))


@dataclass(frozen=True)
class ConditionChoice:
    """A condition in the marketplace's own words, and the nearest of ours for the others."""

    condition_id: str
    name: str
    nearest: Condition
    used: bool  # a used (or refurbished) item: its wear is worth a sentence


@dataclass(frozen=True)
class AspectSpec:
    """An item specific a category takes (eBay: getItemAspectsForCategory)."""

    name: str
    required: bool
    free_text: bool  # False: only one of `values` is accepted
    multiple: bool  # several values allowed
    values: tuple[str, ...] = ()  # eBay's values, most used first
    max_length: int = 50


@dataclass(frozen=True)
class PriceRange:
    """What similar items ask now: the middle half of the prices and the median, in cents."""

    low_cents: int
    typical_cents: int
    high_cents: int
    count: int


class Event(StrEnum):
    """What a marketplace pushed to us."""

    SALE = "sale"  # a buyer completed checkout
    ACCESS_REVOKED = "access_revoked"  # the seller removed our app from their account
    ACCOUNT_DELETED = "account_deleted"  # the seller's account is gone: forget their data
    OTHER = "other"


@dataclass(frozen=True)
class Pushed:
    """A verified push: which event, about which of the marketplace's users."""

    event: Event
    topic: str
    notification_id: str
    user_id: str | None  # the marketplace's id for the user (an account's external id)
    username: str | None
    order_id: str | None
    listing_ids: tuple[str, ...] = ()  # the marketplace's listings a sale bought, when named


class ForgedNotification(MarketplaceError):
    """A push that is not signed by the marketplace (or not in its shape): do nothing."""


# ── Capabilities ──────────────────────────────────────────────────────────────────────────────


@runtime_checkable
class CategorySuggestions(Protocol):
    """The marketplace suggests its own leaf categories for the seller's words (eBay)."""

    async def suggest_categories(self, query: str) -> list[CategoryChoice]:
        """Leaf categories, best first; empty when nothing fits."""
        ...


@runtime_checkable
class CategoryRequirements(Protocol):
    """Each category names the conditions and item specifics it accepts (eBay)."""

    async def conditions_for(self, category_id: str) -> list[ConditionChoice]:
        ...

    async def aspects_for(self, category_id: str) -> list[AspectSpec]:
        ...


@runtime_checkable
class PriceComps(Protocol):
    """What similar items are listed for now, to help the seller price (eBay's Browse API)."""

    async def comparable_prices(
        self, query: str, category_id: str | None, condition_id: str | None
    ) -> PriceRange | None:
        """None when there are too few to say, or the marketplace did not answer in time."""
        ...


@runtime_checkable
class PriceUpdates(Protocol):
    """A live listing's price changes in place: no photos sent again, nothing re-published."""

    async def update_price(self, tokens: Tokens, external_id: str, listing: Listing) -> None:
        ...


@runtime_checkable
class Packages(Protocol):
    """Some sellers' shipping is calculated from the parcel: then a listing needs one."""

    def needs_package(self, account_extra: Mapping[str, str]) -> bool:
        ...


@runtime_checkable
class PushNotifications(Protocol):
    """The marketplace pushes events to our web server, which proves it owns the endpoint."""

    @property
    def pushes_enabled(self) -> bool:
        """Whether our endpoint is configured, so the marketplace pushes to us."""
        ...

    def answer_challenge(self, challenge_code: str) -> str | None:
        """The answer that proves the endpoint; None when pushes are not set up."""
        ...

    async def read_notification(self, body: bytes, signature: str | None) -> Pushed:
        """The push, once verified; ForgedNotification otherwise."""
        ...

    async def set_up_notifications(self) -> None:
        """Register our endpoint and subscribe the application's topics (idempotent)."""
        ...


@runtime_checkable
class OrderLookup(Protocol):
    """A pushed sale names an order; the order names the listings it bought (eBay: the seller
    looks the order up, as its ORDER_CONFIRMATION documentation says)."""

    async def listings_in_order(self, tokens: Tokens, order_id: str) -> list[str]:
        """The marketplace's listing ids in the order; empty when it is not this seller's."""
        ...

    def listing_url(self, listing_id: str) -> str:
        """The listing's public page: the address the bot keeps for its copy."""
        ...


@runtime_checkable
class Catalogs(Protocol):
    """The seller lists into one of several catalogs and chooses which (Facebook); publishing
    without a choice raises `CatalogChoiceNeeded`."""

    display_name: str

    async def catalogs(self, tokens: Tokens) -> list[tuple[str, str]]:
        """(catalog id, name) of every catalog the seller may list in."""
        ...

    def with_catalog(self, tokens: Tokens, catalog_id: str) -> Tokens:
        """The tokens with the chosen catalog recorded for publishing."""
        ...
