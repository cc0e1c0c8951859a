"""The shape every marketplace shares: domain types, rules, the error family and the protocol.

An adapter turns our `Listing` into a live listing on one marketplace. Whatever goes wrong on the
wire leaves the adapter as one of the `MarketplaceError` subclasses below, never as a raw HTTP
error, so the cross-posting engine can decide: wait, retry, refresh, ask to reconnect, or tell
the seller what to fix.
"""

from __future__ import annotations

import email.utils
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import httpx
from httpx_retries import Retry, RetryTransport


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
    title_max: int
    description_max: int
    photo_max: int
    photo_min_side: int  # pixels on the shorter side below which a photo is refused
    photo_max_side: int  # pixels on the longer side that prepared photos are scaled down to
    location_required: bool
    conditions: frozenset[Condition]
    price_min_cents: int = 1
    price_max_cents: int = 100_000_000
    photo_max_bytes: int = 12 * 1024 * 1024
    display_name: str = ""


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
    refreshable: bool = True  # False where no refresh token exists (Facebook): reconnect instead


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


class TokenExpired(MarketplaceError):
    """The access token is no longer accepted: refresh it and retry once."""


class NeedsReconnect(MarketplaceError):
    """The connection is revoked or cannot be refreshed: the seller must connect again."""


class Rejected(MarketplaceError):
    """The marketplace refused the listing; `message` is a sentence the seller can act on."""

    def __init__(self, marketplace: str, message: str, field: str | None = None) -> None:
        super().__init__(marketplace, message)
        self.field = field


class CatalogChoiceNeeded(Rejected):
    """The seller manages several catalogs: the bot asks which one, then calls `with_catalog`."""

    def __init__(self, marketplace: str, message: str, catalogs: Sequence[tuple[str, str]]) -> None:
        super().__init__(marketplace, message, field="account")
        self.catalogs = tuple(catalogs)


# ── The protocol ──────────────────────────────────────────────────────────────────────────────


@runtime_checkable
class Marketplace(Protocol):
    name: str  # "ebay", "facebook", "offerup"
    display_name: str  # "eBay"
    rules: Rules
    oauth: OAuthSettings

    def authorization_url(self, state: str, code_challenge: str | None = None) -> str:
        """The consent page link the bot sends (S256 challenge when `oauth.pkce`)."""
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


@runtime_checkable
class CategorySuggestions(Protocol):
    async def suggest_categories(self, query: str) -> list[tuple[str, str]]:
        """The marketplace's categories for the seller's words, best first, as (id, name)."""
        ...


@runtime_checkable
class Catalogs(Protocol):
    display_name: str

    async def catalogs(self, tokens: Tokens) -> list[tuple[str, str]]:
        ...

    def with_catalog(self, tokens: Tokens, catalog_id: str) -> Tokens:
        ...


# ── Helpers adapters share ────────────────────────────────────────────────────────────────────

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
_SKU_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")

# One call rides out a blip (a 5xx, a timeout, a dropped connection) with two quick retries, so
# a publish of ten calls does not start over for one of them. 429 is not retried here: the
# engine waits as long as the marketplace's Retry-After asks. Only idempotent methods by
# default; a POST that is safe to send twice says so with `extensions=REPEATABLE`.
CALL_RETRY = Retry(
    total=2, backoff_factor=0.3, max_backoff_wait=2.0, status_forcelist=(500, 502, 503, 504)
)
REPEATABLE: dict[str, Any] = {
    "retry": CALL_RETRY.copy_with(allowed_methods=(*Retry.RETRYABLE_METHODS, "POST"))
}


def make_client(base_url: str, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> httpx.AsyncClient:
    """The one client an adapter keeps for its lifetime, retrying blips (see CALL_RETRY)."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        transport=RetryTransport(httpx.AsyncHTTPTransport(limits=limits), retry=CALL_RETRY),
        headers={"User-Agent": "DealScout/1.0"},
    )


def safe_sku(text: str, max_length: int = 50) -> str:
    """An identifier-safe SKU: accents folded, emoji and invisible characters dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SKU_UNSAFE.sub("-", folded).strip("-")[:max_length] or "item"


def retry_after_seconds(response: httpx.Response, default: float = 1.0) -> float:
    """Retry-After as seconds, whether sent as a number or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def transport_error(marketplace: str, exc: httpx.TransportError) -> TemporarilyUnavailable:
    """A timeout or a connection failure, in words safe to log (no URL, so no token)."""
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
    return TemporarilyUnavailable(marketplace, f"{marketplace} {kind} ({type(exc).__name__})")


def status_error(marketplace: str, response: httpx.Response) -> MarketplaceError | None:
    """The errors every marketplace shares by status alone: 429 and 5xx. None otherwise."""
    if response.status_code == 429:
        return RateLimited(
            marketplace,
            f"{marketplace} asked us to slow down",
            retry_after_seconds(response),
        )
    if response.status_code >= 500:
        return TemporarilyUnavailable(
            marketplace, f"{marketplace} answered {response.status_code}; try again later"
        )
    return None
