"""A catalog item's fields as the Catalog Batch API checks them: the required fields, text
limits, the enums, prices written "25.00 USD", links and additional images; and a price as
Graph reads it back for display."""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import urlsplit

LIVE_AVAILABILITY: Final = frozenset({"in stock", "available for order", "preorder"})
AVAILABILITY: Final = frozenset(
    {"in stock", "out of stock", "preorder", "available for order", "discontinued", "pending"}
)
CONDITIONS: Final = frozenset(
    {"new", "refurbished", "used", "used_like_new", "used_good", "used_fair", "cpo", "open_box_new"}
)
CURRENCIES: Final = frozenset(
    {"USD", "EUR", "GBP", "CAD", "AUD", "MXN", "BRL", "INR", "JPY", "PLN", "SEK", "CHF"}
)
REQUIRED_ON_CREATE: Final = (
    "title", "description", "availability", "condition", "price", "link", "image_link", "brand",
)
TEXT_LIMITS: Final = {"title": 200, "description": 9999, "brand": 100, "product_type": 750}
KNOWN_FIELDS: Final = frozenset(
    {*REQUIRED_ON_CREATE, "id", "additional_image_link", "inventory", "product_type",
     "fb_product_category", "google_product_category", "sale_price", "item_group_id"}
)
MAX_ADDITIONAL_IMAGES: Final = 20
_PRICE: Final = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))? ([A-Z]{3})$")
_SYMBOLS: Final = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£"}


def price_text(price: str) -> str:
    """Graph reads prices back formatted for display, e.g. "$25.00"."""
    amount, currency = price.split(" ")
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def image_list(value: Any) -> list[str] | None:
    """additional_image_link: a JSON array, or one string separated by , ; | or spaces."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        if len(value) > 2000:
            return None
        return [part for part in re.split(r"[,;|\s]+", value) if part]
    return None


def field_problem(name: str, value: Any) -> str | None:
    """Why Graph would refuse one field's value, or None."""
    if name in TEXT_LIMITS:
        if not isinstance(value, str) or not value.strip():
            return f"{name}: must be a non-empty string."
        if len(value) > TEXT_LIMITS[name]:
            return (f"{name}: is too long ({len(value)} characters); the maximum is "
                    f"{TEXT_LIMITS[name]}.")
    elif name == "availability" and value not in AVAILABILITY:
        return f"availability: '{value}' is not one of: {', '.join(sorted(AVAILABILITY))}."
    elif name == "condition" and value not in CONDITIONS:
        return f"condition: '{value}' is not one of: {', '.join(sorted(CONDITIONS))}."
    elif name == "price":
        return _price_problem(value)
    elif name in ("link", "image_link") and not _is_url(value):
        return f"{name}: must be an absolute http or https URL."
    elif name == "additional_image_link":
        images = image_list(value)
        if images is None or len(images) > MAX_ADDITIONAL_IMAGES:
            return (f"additional_image_link: at most {MAX_ADDITIONAL_IMAGES} image URLs "
                    "(2,000 characters) are allowed.")
        if not all(_is_url(image) for image in images):
            return "additional_image_link: every entry must be an http or https URL."
    elif name == "inventory" and (not isinstance(value, int) or value < 0):
        return "inventory: must be a whole number of 0 or more."
    return None


def _price_problem(value: Any) -> str | None:
    match = _PRICE.match(value) if isinstance(value, str) else None
    if match is None:
        return f"price: '{value}' is not in the format '9.99 USD' (amount, space, ISO 4217 code)."
    if match.group(3) not in CURRENCIES:
        return f"price: '{match.group(3)}' is not a supported currency."
    if int(match.group(1)) == 0 and int(match.group(2) or 0) == 0:
        return "price: must be greater than 0."
    return None
