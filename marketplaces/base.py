"""The shape every marketplace shares: domain types, rules, the error family and the protocol.

An adapter turns our `Listing` into a live listing on one marketplace. Whatever goes wrong on the
wire leaves the adapter as one of the `MarketplaceError` subclasses below, never as a raw HTTP
error, so the cross-posting engine can decide: wait, retry, refresh, ask to reconnect, or tell
the seller what to fix. What only some marketplaces can do is a capability protocol of its own
(marketplaces/capabilities.py), so callers ask with `isinstance`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Condition(StrEnum):
    NEW = "new"
    LIKE_NEW = "like_new"
    GOOD = "good"
    FAIR = "fair"
    FOR_PARTS = "for_parts"


class ListingStatus(StrEnum):
    LIVE = "live"
    SOLD = "sold"
    ENDED = "ended"


@dataclass(frozen=True)
class Location:
    """Where the item is: a postal code, coordinates, or both (OfferUp needs one of them)."""

    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    country: str = "US"
    city: str | None = None

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Package:
    """The parcel the item ships in, for marketplaces whose shipping is calculated from it."""

    weight_ounces: int
    length_inches: int
    width_inches: int
    height_inches: int


@dataclass(frozen=True)
class Listing:
    """One item as the seller described it; the same object goes to every marketplace."""

    sku: str  # our idempotency key: ASCII letters, digits and dashes, at most 50 characters
    title: str
    description: str
    price_cents: int
    condition: Condition
    photos: tuple[bytes, ...]
    currency: str = "USD"
    category: str | None = None  # the seller's words, e.g. "Table lamps"
    category_ids: Mapping[str, str] = field(default_factory=dict)  # marketplace → its own id
    quantity: int = 1
    location: Location | None = None
    # What one marketplace asked for in its own terms (eBay: its condition id and item specifics)
    condition_ids: Mapping[str, str] = field(default_factory=dict)  # marketplace → condition id
    condition_description: str = ""  # the seller's words on a used item's wear
    aspects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # item specifics
    package: Package | None = None

    @property
    def price_decimal(self) -> str:
        """The price as marketplaces want it in JSON: "1200.00"."""
        return f"{self.price_cents // 100}.{self.price_cents % 100:02d}"


@dataclass(frozen=True)
class Published:
    marketplace: str
    external_id: str
    url: str


@dataclass(frozen=True)
class Account:
    """Who a connection belongs to on the marketplace, as shown to the seller."""

    marketplace: str
    external_id: str
    display_name: str


@dataclass(frozen=True)
class Rules:
    """What a listing must meet on one marketplace; the photo pipeline and the bot read these."""

    marketplace: str
    display_name: str  # as sellers write it: "eBay", not "ebay"
    title_max: int
    description_max: int
    photo_max: int
    photo_min_side: int  # pixels on the shorter side below which a photo is refused
    photo_max_side: int  # pixels on the longer side that prepared photos are scaled down to
    location_required: bool
    conditions: frozenset[Condition]
    postal_code_required: bool = False  # a shared location's coordinates are not enough
    price_min_cents: int = 1
    price_max_cents: int = 100_000_000
    photo_max_bytes: int = 12 * 1024 * 1024
    photo_min_long_side: int = 0  # pixels on the longer side below which a photo is refused
    takes_free_items: bool = False  # lists an item given away (price 0 or a "free" section)


@dataclass(frozen=True)
class Tokens:
    """A connection's credentials; only ever stored encrypted (storage.crypto)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scope: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. the chosen catalog id

    def expired(self, now: datetime | None = None, margin_seconds: float = 0) -> bool:
        if self.expires_at is None:
            return False
        now = now or datetime.now(UTC)
        return (self.expires_at - now).total_seconds() <= margin_seconds


@dataclass(frozen=True)
class OAuthSettings:
    """How to connect an account: the authorization code grant as this marketplace runs it."""

    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    redirect_uri: str
    scopes: tuple[str, ...]
    revoke_url: str | None = None
    pkce: bool = False
    token_auth: str = "client_secret_basic"  # or "client_secret_post"
    scope_separator: str = " "  # RFC 6749 says a space; Facebook's Login dialog takes commas
    refreshable: bool = True  # False where no refresh token exists (Facebook): reconnect instead
    timeout_seconds: float = 20.0  # for each token endpoint call
    # How long a rotated-away refresh token still works (OfferUp: 60 s). A refresh that timed
    # out may have rotated the token with the answer lost: it is retried within this, never
    # later. 0 where refresh tokens do not rotate.
    refresh_reuse_seconds: float = 0.0


# ── The error family ──────────────────────────────────────────────────────────────────────────


class MarketplaceError(Exception):
    """Base of everything an adapter raises; `str()` is safe to log (no secrets)."""

    def __init__(self, marketplace: str, message: str) -> None:
        super().__init__(message)
        self.marketplace = marketplace
        self.message = message


class RateLimited(MarketplaceError):
    def __init__(self, marketplace: str, message: str, retry_after: float) -> None:
        super().__init__(marketplace, message)
        self.retry_after = retry_after


class TemporarilyUnavailable(MarketplaceError):
    """Timeouts, connection failures and 5xx: try again later."""


class TimedOut(TemporarilyUnavailable):
    """No answer in time. The marketplace may still have done what was asked (made a listing,
    rotated a refresh token), so only what is safe to repeat is sent again."""


class Unreadable(TemporarilyUnavailable):
    """An answer that breaks the marketplace's own contract (an HTML page where JSON was
    promised, a field it always sends missing): it isn't answering properly, so try later."""


class TokenExpired(MarketplaceError):
    """The access token is no longer accepted: refresh it and retry once."""


class NeedsReconnect(MarketplaceError):
    """The connection is revoked or cannot be refreshed: the seller must connect again."""


class Rejected(MarketplaceError):
    """The marketplace refused the listing; `message` is a sentence the seller can act on.
    `fields` are every field it named (a refusal may name several), `field` the first."""

    def __init__(
        self, marketplace: str, message: str, field: str | None = None,
        *, also: Sequence[str] = (),
    ) -> None:
        super().__init__(marketplace, message)
        self.fields = tuple(dict.fromkeys(f for f in (field, *also) if f))
        self.field = self.fields[0] if self.fields else None


class CatalogChoiceNeeded(Rejected):
    """The seller manages several catalogs: the bot offers `catalogs` ((id, name) pairs), then
    calls `Catalogs.with_catalog` with the one chosen."""

    def __init__(
        self, marketplace: str, message: str, catalogs: Sequence[tuple[str, str]]
    ) -> None:
        super().__init__(marketplace, message, field="account")
        self.catalogs = tuple(catalogs)


# ── The protocol ──────────────────────────────────────────────────────────────────────────────


@runtime_checkable
class Marketplace(Protocol):
    name: str  # "ebay", "facebook", "offerup"
    display_name: str  # "eBay"
    rules: Rules
    oauth: OAuthSettings

    def authorization_url(self, state: str, code_verifier: str | None = None) -> str:
        """The consent page link the bot sends; with `oauth.pkce` it carries the S256
        challenge of `code_verifier` (required then, ignored otherwise)."""
        ...

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> Tokens:
        """Trade an authorization code for tokens (once; the code is single use)."""
        ...

    async def refresh(self, tokens: Tokens) -> Tokens:
        """New tokens from the refresh token; NeedsReconnect when the marketplace refuses."""
        ...

    async def revoke(self, tokens: Tokens) -> None:
        """Tell the marketplace to forget the grant, where its contract allows."""
        ...

    async def whoami(self, tokens: Tokens) -> Account:
        ...

    async def prepare_account(self, tokens: Tokens) -> Tokens:
        """One-time set-up after connecting (policies, location, catalog); the result's `extra`
        holds what publishing needs. Rejected(field="account") says what the seller must set
        up on the marketplace first."""
        ...

    async def publish(self, tokens: Tokens, listing: Listing) -> Published:
        """Create or update the listing for `listing.sku`; calling twice yields one listing."""
        ...

    async def withdraw(self, tokens: Tokens, external_id: str) -> None:
        ...

    async def status(self, tokens: Tokens, external_id: str) -> ListingStatus:
        ...

    async def aclose(self) -> None:
        ...


# ── Domain helpers ────────────────────────────────────────────────────────────────────────────

_SKU_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


def safe_sku(text: str, max_length: int = 50) -> str:
    """An identifier-safe SKU: accents folded, emoji and invisible characters dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SKU_UNSAFE.sub("-", folded).strip("-")[:max_length] or "item"
