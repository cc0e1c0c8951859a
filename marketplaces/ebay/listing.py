"""What eBay takes as a listing: its rules and condition words, checked and written from our
`Listing` as the inventory item and the offer the Inventory API expects.

The rules come from the Inventory API's own field descriptions: a fixed-price offer is `GTC`;
`product.description` holds 4,000 characters (of the HTML we send, so the escaping counts);
item specifics are a map of names (40 characters) to values (50 characters); a condition
description is for items that are not new and holds 1,000 characters; and eBay's picture
policy asks for 500 pixels on the longest side.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Final

from marketplaces import photos
from marketplaces.base import Condition, Listing, Package, Rules
from marketplaces.capabilities import ConditionChoice
from marketplaces.ebay.account import Policies
from marketplaces.ebay.config import NAME

DESCRIPTION_MAX: Final = 4000
CONDITION_DESCRIPTION_MAX: Final = 1000
ASPECT_NAME_MAX: Final = 40
ASPECT_VALUE_MAX: Final = 50
LISTING_DURATION: Final = "GTC"  # "For fixed-price listings, this value must be set to GTC"

RULES: Final = Rules(
    marketplace=NAME,
    display_name="eBay",
    # product.title; product.description (the offer's listingDescription allows more)
    title_max=80, description_max=DESCRIPTION_MAX,
    price_min_cents=99,  # eBay US fixed-price minimum
    # product.imageUrls holds 24; eBay's picture policy wants 500 px on the longest side, and
    # 1600 is its recommended size, what its zoom shows
    photo_max=24, photo_min_side=0, photo_min_long_side=500, photo_max_side=1600,
    location_required=True,  # every offer needs an inventory location with a postal code
    postal_code_required=True,  # location.address: postalCode (or city and state), no lat/long
    conditions=frozenset(Condition),
)

# Our conditions → eBay's ConditionEnum, for a listing no eBay condition was chosen for.
CONDITIONS: Mapping[Condition, str] = {
    Condition.NEW: "NEW",
    Condition.LIKE_NEW: "LIKE_NEW",
    Condition.GOOD: "USED_GOOD",
    Condition.FAIR: "USED_ACCEPTABLE",
    Condition.FOR_PARTS: "FOR_PARTS_OR_NOT_WORKING",
}

# eBay's condition ids (Metadata API, getItemConditionPolicies) → the Inventory API's
# ConditionEnum and the nearest of our own conditions, from eBay's "Item condition ID and name
# values" table (developer.ebay.com/api-docs/sell/static/metadata/condition-id-values.html).
CONDITION_IDS: Mapping[str, tuple[str, Condition]] = {
    "1000": ("NEW", Condition.NEW),
    "1500": ("NEW_OTHER", Condition.LIKE_NEW),
    "1750": ("NEW_WITH_DEFECTS", Condition.LIKE_NEW),
    "2000": ("CERTIFIED_REFURBISHED", Condition.LIKE_NEW),
    "2010": ("EXCELLENT_REFURBISHED", Condition.LIKE_NEW),
    "2020": ("VERY_GOOD_REFURBISHED", Condition.GOOD),
    "2030": ("GOOD_REFURBISHED", Condition.GOOD),
    "2500": ("SELLER_REFURBISHED", Condition.GOOD),
    "2750": ("LIKE_NEW", Condition.LIKE_NEW),
    "2990": ("PRE_OWNED_EXCELLENT", Condition.LIKE_NEW),
    "3000": ("USED_EXCELLENT", Condition.GOOD),
    "3010": ("PRE_OWNED_FAIR", Condition.FAIR),
    "4000": ("USED_VERY_GOOD", Condition.GOOD),
    "5000": ("USED_GOOD", Condition.GOOD),
    "6000": ("USED_ACCEPTABLE", Condition.FAIR),
    "7000": ("FOR_PARTS_OR_NOT_WORKING", Condition.FOR_PARTS),
}
# "conditionDescription … for an inventory item whose condition value is not NEW, LIKE_NEW,
# NEW_OTHER, or NEW_WITH_DEFECTS" (InventoryItem.conditionDescription).
_NOT_USED: Final = frozenset({"NEW", "LIKE_NEW", "NEW_OTHER", "NEW_WITH_DEFECTS"})


def condition_choice(condition_id: str, name: str) -> ConditionChoice | None:
    """A condition eBay lists for a category, with our nearest one; None for an id we cannot
    send through the Inventory API."""
    known = CONDITION_IDS.get(condition_id)
    if known is None:
        return None
    enum, nearest = known
    return ConditionChoice(condition_id, name, nearest, used=enum not in _NOT_USED)


def nearest_condition(allowed: list[ConditionChoice], ours: Condition) -> str | None:
    """The condition id, among those a category allows, that best says `ours`: the first that
    is nearest to it, else for a used item the first used one, else eBay's first."""
    if not allowed:
        return None
    same = [c for c in allowed if c.nearest is ours]
    used = [c for c in allowed if c.used] if ours is not Condition.NEW else []
    return (same or used or allowed)[0].condition_id


def condition_enum(listing: Listing) -> str:
    chosen = CONDITION_IDS.get(listing.condition_ids.get(NAME, ""))
    return chosen[0] if chosen else CONDITIONS[listing.condition]


def check_photo_count(listing: Listing) -> None:
    photos.check_count(
        len(listing.photos),
        RULES,
        none="eBay needs at least one photo of the item.",
        too_many="eBay takes at most {max} photos; remove {extra} and try again.",
    )


def html_description(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """eBay renders descriptions as HTML: the seller's plain text goes in escaped, with its
    line breaks kept, so "<b>" shows as typed and no markup or script gets through. eBay counts
    the HTML, so it is what is fitted to `limit`, never cutting an entity or a <br> in two."""
    written = "<br>".join(html.escape(line) for line in text.splitlines())
    if len(written) <= limit:
        return written
    cut = written[: limit - 1]
    cut = cut[: cut.rfind("&")] if cut.rfind("&") > cut.rfind(";") else cut
    cut = cut[: cut.rfind("<")] if cut.rfind("<") > cut.rfind(">") else cut
    return cut.removesuffix("<br>") + "…"


def _aspects(listing: Listing) -> dict[str, list[str]]:
    """Item specifics as the Inventory API wants them: a name to a list of values."""
    return {
        name[:ASPECT_NAME_MAX]: [value[:ASPECT_VALUE_MAX] for value in values]
        for name, values in listing.aspects.items() if values
    }


def _package(package: Package) -> dict[str, Any]:
    return {
        "dimensions": {
            "height": package.height_inches, "length": package.length_inches,
            "width": package.width_inches, "unit": "INCH",
        },
        "weight": {"value": package.weight_ounces, "unit": "OUNCE"},
    }


def inventory_item(listing: Listing, image_urls: list[str]) -> dict[str, Any]:
    enum = condition_enum(listing)
    product: dict[str, Any] = {
        "title": listing.title,
        # eBay requires a description; a seller who skipped it gets the title there.
        "description": html_description(listing.description or listing.title),
        "imageUrls": image_urls,
    }
    aspects = _aspects(listing)
    if aspects:
        product["aspects"] = aspects
    item: dict[str, Any] = {
        "availability": {"shipToLocationAvailability": {"quantity": listing.quantity}},
        "condition": enum,
        "product": product,
    }
    if listing.condition_description and enum not in _NOT_USED:
        item["conditionDescription"] = listing.condition_description[:CONDITION_DESCRIPTION_MAX]
    if listing.package is not None:
        item["packageWeightAndSize"] = _package(listing.package)
    return item


def offer_details(
    listing: Listing, category_id: str, policies: Policies, location: str
) -> dict[str, Any]:
    """The offer fields both createOffer and updateOffer take."""
    return {
        "availableQuantity": listing.quantity,
        "categoryId": category_id,
        "listingDescription": html_description(listing.description or listing.title),
        "listingDuration": LISTING_DURATION,
        "listingPolicies": policies.as_listing_policies(),
        "merchantLocationKey": location,
        "pricingSummary": {
            "price": {"value": listing.price_decimal, "currency": listing.currency}
        },
    }
