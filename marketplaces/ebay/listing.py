"""What eBay takes as a listing: its rules and condition words, checked and written from our
`Listing` as the inventory item and the offer the Inventory API expects."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Final

from marketplaces.base import Condition, Listing, Rejected, Rules
from marketplaces.ebay.account import Policies
from marketplaces.ebay.config import NAME

RULES: Final = Rules(
    marketplace=NAME,
    display_name="eBay",
    title_max=80,  # product.title
    description_max=4000,  # product.description (the offer's listingDescription allows more)
    photo_max=24,  # product.imageUrls
    photo_min_side=500,  # eBay wants 500 px on the longest side; we ask it of the shorter one
    photo_max_side=1600,  # eBay's recommended size, what its zoom shows
    location_required=True,  # every offer needs an inventory location with a postal code
    conditions=frozenset(Condition),
    price_min_cents=99,  # eBay US fixed-price minimum
)

# Our conditions → eBay's ConditionEnum.
CONDITIONS: Mapping[Condition, str] = {
    Condition.NEW: "NEW",
    Condition.LIKE_NEW: "LIKE_NEW",
    Condition.GOOD: "USED_GOOD",
    Condition.FAIR: "USED_ACCEPTABLE",
    Condition.FOR_PARTS: "FOR_PARTS_OR_NOT_WORKING",
}


def check_photo_count(listing: Listing) -> None:
    if not listing.photos:
        raise Rejected(NAME, "eBay needs at least one photo of the item.", field="photos")
    if len(listing.photos) > RULES.photo_max:
        extra = len(listing.photos) - RULES.photo_max
        raise Rejected(
            NAME,
            f"eBay takes at most {RULES.photo_max} photos; remove {extra} and try again.",
            field="photos",
        )


def html_description(text: str) -> str:
    """eBay renders descriptions as HTML: the seller's plain text goes in escaped, with its
    line breaks kept, so "<b>" shows as typed and no markup or script gets through."""
    return "<br>".join(html.escape(line) for line in text.splitlines())


def inventory_item(listing: Listing, image_urls: list[str]) -> dict[str, Any]:
    return {
        "availability": {"shipToLocationAvailability": {"quantity": listing.quantity}},
        "condition": CONDITIONS[listing.condition],
        "product": {
            "title": listing.title,
            # eBay requires a description; a seller who skipped it gets the title there.
            "description": html_description(listing.description or listing.title),
            "imageUrls": image_urls,
        },
    }


def offer_details(
    listing: Listing, category_id: str, policies: Policies, location: str
) -> dict[str, Any]:
    """The offer fields both createOffer and updateOffer take."""
    return {
        "availableQuantity": listing.quantity,
        "categoryId": category_id,
        "listingDescription": html_description(listing.description or listing.title),
        "listingPolicies": policies.as_listing_policies(),
        "merchantLocationKey": location,
        "pricingSummary": {
            "price": {"value": listing.price_decimal, "currency": listing.currency}
        },
    }
