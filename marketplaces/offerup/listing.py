"""What OfferUp takes as a listing (docs/offerup-api.md §5): its rules and condition words, our
`Listing` written as the contract's body (and its Idempotency-Key), and the partner's listing
resource read back."""

from __future__ import annotations

from typing import Any, Final

from marketplaces.base import (
    Condition,
    Listing,
    ListingStatus,
    MarketplaceError,
    Published,
    Rejected,
    Rules,
    safe_sku,
)
from marketplaces.http import required
from marketplaces.offerup.config import NAME

RULES: Final = Rules(
    marketplace=NAME,
    display_name="OfferUp",
    title_max=70, description_max=5000,
    price_min_cents=100, price_max_cents=100_000_000,  # 1.00 to 1,000,000.00 (§5.1)
    photo_max=12, photo_min_side=400, photo_max_side=2048, photo_max_bytes=12 * 1024 * 1024,
    location_required=True,  # a ZIP code or coordinates
    conditions=frozenset(Condition),
)

CONDITIONS: Final = {
    Condition.NEW: "new",
    Condition.LIKE_NEW: "used_like_new",
    Condition.GOOD: "used_good",
    Condition.FAIR: "used_fair",
    Condition.FOR_PARTS: "for_parts",
}

_STATUSES: Final = {
    "active": ListingStatus.LIVE,
    "sold": ListingStatus.SOLD,
    "archived": ListingStatus.ENDED,
}

_NO_LOCATION: Final = (
    "OfferUp needs to know where the item is. Add a ZIP code or share your location, "
    "then try again."
)
_NO_PHOTOS: Final = "OfferUp needs at least one photo of the item. Add a photo, then try again."


def location(listing: Listing) -> dict[str, Any]:
    """The contract's location: a ZIP code when we have one, else coordinates."""
    where = listing.location
    if where is not None and where.postal_code:
        return {"postal_code": where.postal_code.strip()}
    if where is not None and where.has_coordinates:
        return {"latitude": where.latitude, "longitude": where.longitude}
    raise Rejected(NAME, _NO_LOCATION, field="location")


def check_photos(listing: Listing) -> None:
    if not listing.photos:
        raise Rejected(NAME, _NO_PHOTOS, field="photos")


def idempotency_key(listing: Listing) -> str:
    """The Idempotency-Key for a listing: the same SKU always gives the same key."""
    return f"listing:{safe_sku(listing.sku)}"


def listing_body(
    listing: Listing, where: dict[str, Any], category_id: str, photo_ids: list[str]
) -> dict[str, Any]:
    """The body of POST /v1/listings (and of PATCH, for a listing this SKU created)."""
    body: dict[str, Any] = {
        "title": listing.title,
        "price": {"amount": listing.price_decimal, "currency": listing.currency},
        "condition": CONDITIONS[listing.condition],
        "category_id": category_id,
        "photo_ids": photo_ids,
        "location": where,
    }
    if listing.description:
        body["description"] = listing.description
    return body


def same_listing(current: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether the partner's listing already says what `body` says (titles are trimmed there)."""
    photos = [photo for photo in current.get("photos") or () if isinstance(photo, dict)]
    photo_ids = [photo.get("id") for photo in photos]
    return (
        current.get("title") == body["title"].strip()
        and current.get("description", "") == body.get("description", "")
        and current.get("price") == body["price"]
        and current.get("condition") == body["condition"]
        and current.get("category_id") == body["category_id"]
        and photo_ids == body["photo_ids"]
        and current.get("location") == body["location"]
    )


def published(body: dict[str, Any]) -> Published:
    """The partner's listing resource as our published copy."""
    return Published(NAME, required(NAME, body, "id"), required(NAME, body, "url"))


def status_of(body: dict[str, Any]) -> ListingStatus:
    """The partner's listing status as ours; an unknown one is the partner breaking the
    contract, which no retry fixes."""
    state = body.get("status")
    if state not in _STATUSES:
        raise MarketplaceError(NAME, f"OfferUp reported an unknown status {state!r:.40}")
    return _STATUSES[state]
