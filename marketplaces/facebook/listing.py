"""What a Facebook catalog takes as a product: its rules and condition words, our `Listing`
checked against them and written as a catalog item, and a product's availability read back."""

from __future__ import annotations

import re
from typing import Any, Final

from marketplaces import photos
from marketplaces.base import Condition, Listing, ListingStatus, Rejected, Rules
from marketplaces.facebook.config import NAME

RULES: Final = Rules(
    marketplace=NAME,
    display_name="Facebook Shop (catalog)",
    title_max=200, description_max=9999,
    # image_link plus up to 20 additional_image_link; Commerce images are at least 500 x 500
    photo_max=21, photo_min_side=500, photo_max_side=2048, photo_max_bytes=8 * 1024 * 1024,
    location_required=False,  # catalog products carry no location
    conditions=frozenset({Condition.NEW, Condition.LIKE_NEW, Condition.GOOD, Condition.FAIR}),
)

# Our conditions as ProductItem.condition values (the Graph enum: new, refurbished, used,
# used_like_new, used_good, used_fair, cpo, open_box_new). "For parts" has no honest equivalent.
CONDITIONS: Final = {
    Condition.NEW: "new",
    Condition.LIKE_NEW: "used_like_new",
    Condition.GOOD: "used_good",
    Condition.FAIR: "used_fair",
}

_LIVE_AVAILABILITY: Final = frozenset({"in stock", "available for order", "preorder", "pending"})
_SOLD_AVAILABILITY: Final = frozenset({"out of stock", "mark_as_sold"})
_CURRENCY: Final = re.compile(r"^[A-Z]{3}$")


def check_listing(listing: Listing) -> None:
    """Refuse locally what Facebook would refuse, with the numbers the seller needs."""
    title = listing.title.strip()
    if not title:
        raise Rejected(NAME, "Add a title for Facebook.", field="title")
    if len(title) > RULES.title_max:
        raise Rejected(
            NAME,
            f"Facebook titles can be at most {RULES.title_max} characters; yours has "
            f"{len(title)}. Shorten it and try again.",
            field="title",
        )
    if len(listing.description) > RULES.description_max:
        raise Rejected(
            NAME,
            f"Facebook descriptions can be at most {RULES.description_max:,} characters; yours "
            f"has {len(listing.description):,}. Shorten it and try again.",
            field="description",
        )
    if listing.condition not in CONDITIONS:
        raise Rejected(
            NAME,
            "Facebook catalogs can't list items sold for parts. Leave Facebook out for this item.",
            field="condition",
        )
    if listing.price_cents < RULES.price_min_cents or not _CURRENCY.match(listing.currency):
        raise Rejected(NAME, "Facebook needs a price above zero, like 25.00.", field="price")
    photos.check_count(
        len(listing.photos),
        RULES,
        none="Facebook needs at least one photo. Add a photo.",
        too_many="Facebook takes at most {max} photos; you sent {sent}. Remove {extra} and try "
        "again.",
    )


def catalog_item(
    listing: Listing, image_urls: list[str], brand: str, link_base: str
) -> dict[str, Any]:
    """The items_batch `data` for a listing, keyed by its sku (the product's retailer_id)."""
    item: dict[str, Any] = {
        "id": listing.sku,
        "title": listing.title.strip(),
        "description": listing.description.strip() or listing.title.strip(),
        "availability": "in stock",
        "condition": CONDITIONS[listing.condition],
        "price": f"{listing.price_decimal} {listing.currency}",
        "link": f"{link_base}/{listing.sku}",
        "image_link": image_urls[0],
        "brand": brand[:100],
        "inventory": listing.quantity,
    }
    if image_urls[1:]:
        item["additional_image_link"] = image_urls[1:]
    if listing.category:
        item["product_type"] = listing.category[:750]
    if listing.category_ids.get(NAME):
        item["fb_product_category"] = listing.category_ids[NAME]
    return item


def status_of(product: dict[str, Any] | None) -> ListingStatus:
    """LIVE while available; SOLD when out of stock on Facebook's side (catalogs have no
    "sold", and we never leave a product out of stock ourselves); ENDED once gone."""
    if product is None:
        return ListingStatus.ENDED
    availability = str(product.get("availability", "")).lower()
    if availability in _LIVE_AVAILABILITY:
        return ListingStatus.LIVE
    if availability in _SOLD_AVAILABILITY:
        return ListingStatus.SOLD
    return ListingStatus.ENDED
