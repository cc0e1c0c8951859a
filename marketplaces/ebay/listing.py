"""What eBay takes as a listing: its rules and condition words, checked and written from our
`Listing` as the inventory item and the offer the Inventory API expects."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Final

from marketplaces import photos
from marketplaces.base import Condition, Listing, Rules
from marketplaces.ebay.account import Policies
from marketplaces.ebay.config import NAME

RULES: Final = Rules(
    marketplace=NAME,
    display_name="eBay",
    # product.title; product.description (the offer's listingDescription allows more)
    title_max=80, description_max=4000,
    price_min_cents=99,  # eBay US fixed-price minimum
    # product.imageUrls holds 24; eBay wants 500 px on the longest side (we ask it of the
    # shorter one), and 1600 is its recommended size, what its zoom shows
    photo_max=24, photo_min_side=500, photo_max_side=1600,
    location_required=True,  # every offer needs an inventory location with a postal code
    conditions=frozenset(Condition),
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
    photos.check_count(
        len(listing.photos),
        RULES,
        none="eBay needs at least one photo of the item.",
        too_many="eBay takes at most {max} photos; remove {extra} and try again.",
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
