"""A listing's create or patch body checked against docs/offerup-api.md §5.1, collecting every
error rather than stopping at the first."""

from __future__ import annotations

import re
from typing import Any, Final

from sandbox.offerup.categories import LEAF_CATEGORIES

TITLE_MAX: Final = 70
DESCRIPTION_MAX: Final = 5000
PHOTOS_MAX: Final = 12
PRICE_MIN_CENTS: Final = 100
PRICE_MAX_CENTS: Final = 100_000_000
CONDITIONS: Final = frozenset({
    "new", "open_box", "reconditioned", "used_like_new", "used_good", "used_fair", "for_parts",
})
LISTING_FIELDS: Final = frozenset({
    "title", "description", "price", "condition", "category_id", "photo_ids", "location",
})
REQUIRED_FIELDS: Final = ("title", "price", "condition", "category_id", "photo_ids", "location")
_AMOUNT: Final = re.compile(r"^(0|[1-9][0-9]{0,6})\.[0-9]{2}$")
_ZIP: Final = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")
_LINK: Final = re.compile(r"https?://|www\.", re.IGNORECASE)


class ListingValidator:
    """Checks a create or patch body against §5.1; collects every error, not just the first."""

    def __init__(self, photos_of_account: set[str]) -> None:
        self.photos_of_account = photos_of_account
        self.errors: list[dict[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append({"field": path, "message": message})

    def check(self, body: dict[str, Any], *, partial: bool) -> list[dict[str, str]]:
        for name in sorted(set(body) - LISTING_FIELDS):
            self.fail(name, "is not a listing field")
        if not partial:
            for name in REQUIRED_FIELDS:
                if name not in body:
                    self.fail(name, "is required")
        checks = {
            "title": self.title,
            "description": self.description,
            "price": self.price,
            "condition": self.condition,
            "category_id": self.category,
            "photo_ids": self.photos,
            "location": self.location,
        }
        for name, check in checks.items():
            if name in body:
                check(body[name])
        return self.errors

    def title(self, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            self.fail("title", "is required")
        elif len(value.strip()) > TITLE_MAX:
            self.fail("title", f"must be at most {TITLE_MAX} characters")
        elif "\n" in value or "\r" in value:
            self.fail("title", "must be a single line")
        elif _LINK.search(value):
            self.fail("title", "must not contain links")

    def description(self, value: Any) -> None:
        if not isinstance(value, str):
            self.fail("description", "must be text")
        elif len(value) > DESCRIPTION_MAX:
            self.fail("description", f"must be at most {DESCRIPTION_MAX} characters")
        elif _LINK.search(value):
            self.fail("description", "must not contain links")

    def price(self, value: Any) -> None:
        if not isinstance(value, dict):
            self.fail("price", 'must be an object like {"amount": "25.00", "currency": "USD"}')
            return
        for extra in sorted(set(value) - {"amount", "currency"}):
            self.fail(f"price.{extra}", "is not a price field")
        amount = value.get("amount")
        if not isinstance(amount, str) or not _AMOUNT.match(amount):
            self.fail("price.amount", "must be written like 25.00")
        else:
            cents = round(float(amount) * 100)
            if cents < PRICE_MIN_CENTS:
                self.fail("price.amount", f"must be at least {PRICE_MIN_CENTS / 100:.2f}")
            elif cents > PRICE_MAX_CENTS:
                self.fail("price.amount", f"must be at most {PRICE_MAX_CENTS / 100:.2f}")
        if value.get("currency") != "USD":
            self.fail("price.currency", "must be in US dollars (USD)")

    def condition(self, value: Any) -> None:
        if value not in CONDITIONS:
            self.fail("condition", "is not one of OfferUp's conditions")

    def category(self, value: Any) -> None:
        if not isinstance(value, str) or value not in LEAF_CATEGORIES:
            self.fail("category_id", "must be an OfferUp category without subcategories")

    def photos(self, value: Any) -> None:
        if not isinstance(value, list) or not value:
            self.fail("photo_ids", "must include at least one photo")
            return
        if len(value) > PHOTOS_MAX:
            self.fail("photo_ids", f"must be at most {PHOTOS_MAX}")
        if len(set(map(str, value))) != len(value):
            self.fail("photo_ids", "must not repeat a photo")
        for index, photo_id in enumerate(value):
            if not isinstance(photo_id, str) or photo_id not in self.photos_of_account:
                self.fail(f"photo_ids[{index}]", "must be a photo uploaded by this account")

    def location(self, value: Any) -> None:
        if not isinstance(value, dict) or not value:
            self.fail("location", "is required: a ZIP code or coordinates")
            return
        keys = set(value)
        if keys == {"postal_code"}:
            code = value["postal_code"]
            if not isinstance(code, str) or not _ZIP.match(code):
                self.fail("location.postal_code", "must be a US ZIP code like 98402")
        elif keys == {"latitude", "longitude"}:
            self._coordinate("latitude", value["latitude"], 90)
            self._coordinate("longitude", value["longitude"], 180)
        else:
            self.fail("location", "must be either a ZIP code or latitude and longitude")

    def _coordinate(self, name: str, value: Any, limit: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > limit:
            self.fail(f"location.{name}", f"must be a number from -{limit} to {limit}")
