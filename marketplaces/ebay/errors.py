"""eBay's error body → our error family.

eBay answers a refusal with `{"errors": [{"errorId", "message", "longMessage", "parameters"}]}`.
The error id tells a token problem from a missing permission from a refused listing; for a
refusal, the id or eBay's own words name the field, and the seller gets a sentence about it.
Nothing here copies a token or a URL into a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import httpx

from marketplaces.base import MarketplaceError, NeedsReconnect, Rejected, TokenExpired
from marketplaces.ebay.config import NAME
from marketplaces.http import status_error

# eBay error ids the adapter reacts to.
OFFER_NOT_AVAILABLE: Final = 25713
NO_SUCH_SKU: Final = 25707  # getOffers for a SKU with no inventory item (or a malformed one)
OFFER_EXISTS: Final = 25002  # "Offer entity already exists", with the offerId as a parameter
LOCATION_EXISTS: Final = 25803

# eBay error ids that say the token, not the request, is the problem.
_TOKEN_ERRORS: Final = frozenset({1001, 1002})
_SCOPE_ERRORS: Final = frozenset({1100})


@dataclass(frozen=True)
class EbayProblem:
    """One entry of eBay's `{"errors": [...]}`."""

    error_id: int
    message: str
    parameters: Mapping[str, str]

    @property
    def text(self) -> str:
        """All the words eBay gave, lowercased, to find which field it is about."""
        return " ".join((self.message, *self.parameters.keys(), *self.parameters.values())).lower()


def problems_of(response: httpx.Response) -> list[EbayProblem]:
    """eBay's error entries; an empty list when the body is not eBay's error shape."""
    try:
        body = response.json()
    except ValueError:
        return []
    return problems_in(body if isinstance(body, dict) else {})


def problems_in(body: Mapping[str, object]) -> list[EbayProblem]:
    """The `errors` of a body, or of one entry of a bulk call's answer."""
    entries = body.get("errors")
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        try:
            error_id = int(entry.get("errorId", 0))
        except (TypeError, ValueError):
            error_id = 0
        message = str(entry.get("longMessage") or entry.get("message") or "").strip()
        parameters = {
            str(p.get("name", "")): str(p.get("value", ""))
            for p in entry.get("parameters") or []
            if isinstance(p, dict)
        }
        found.append(EbayProblem(error_id, message, parameters))
    return found


def has_error(response: httpx.Response, error_id: int) -> bool:
    return any(problem.error_id == error_id for problem in problems_of(response))


# Error ids whose field is fixed (Inventory API error list).
_FIELD_BY_ERROR: Mapping[int, str] = {
    25003: "price",
    25005: "category",
    25007: "account",
    25008: "account",
    25009: "account",
    25011: "account",
    25012: "location",
    25014: "photos",
    25015: "photos",
    25018: "account",
    25020: "package",  # calculated shipping needs the parcel's weight and size
    25021: "condition",
    25026: "account",
    25501: "photos",
    25800: "location",
    25801: "location",
}
# Words in eBay's message or parameters → the field, for the generic ids (25002, 25016, 25017,
# 25709 ...). Checked in order: "product.title" must not fall to "product".
_FIELD_WORDS: tuple[tuple[str, str], ...] = (
    ("item specific", "aspects"),  # before "title": "The item specific Book Title is missing"
    ("aspect", "aspects"),
    ("packageweightandsize", "package"),
    ("title", "title"),
    ("description", "description"),
    ("price", "price"),
    ("imageurl", "photos"),
    ("image", "photos"),
    ("picture", "photos"),
    ("photo", "photos"),
    ("condition", "condition"),
    ("categor", "category"),
    ("merchantlocationkey", "location"),
    ("location", "location"),
    ("postal", "location"),
    ("polic", "account"),
)
_LABELS: Mapping[str | None, str] = {
    "title": "the title",
    "description": "the description",
    "price": "the price",
    "photos": "the photos",
    "condition": "the condition",
    "category": "the category",
    "location": "the item location",
    "account": "your eBay account settings",
    "aspects": "the item specifics",
    "package": "the parcel's weight and size",
    None: "the listing",
}


def _field_of(problem: EbayProblem) -> str | None:
    known = _FIELD_BY_ERROR.get(problem.error_id)
    if known:
        return known
    text = problem.text
    return next((name for word, name in _FIELD_WORDS if word in text), None)


def rejection(problems: list[EbayProblem], status: int) -> Rejected:
    """A sentence the seller can act on, naming the field eBay complained about."""
    if not problems:
        return Rejected(NAME, f"eBay refused the listing (HTTP {status}). Please try again later.")
    fields = [_field_of(problem) for problem in problems]
    index = next((i for i, name in enumerate(fields) if name), 0)
    name, detail = fields[index], _sentence(problems[index].message)
    message = f"eBay didn't accept {_LABELS[name]}: {detail}"
    if name == "account":
        message += " Check Account → Business policies in eBay's Seller Hub."
    return Rejected(NAME, message, field=name)


def _sentence(text: str) -> str:
    """eBay's message as a clean sentence (its templates leave `{additionalInfo}` behind)."""
    cleaned = re.sub(r"\{[A-Za-z]+\}", "", text)
    cleaned = " ".join(cleaned.split())[:300].rstrip(" .")
    return f"{cleaned}." if cleaned else "no reason given."


def error_from(response: httpx.Response) -> MarketplaceError:
    """Any non-success eBay answer as one of our errors; never carries tokens or URLs."""
    shared = status_error(NAME, response)
    if shared is not None:
        return shared
    problems = problems_of(response)
    ids = {problem.error_id for problem in problems}
    if response.status_code == 401 or ids & _TOKEN_ERRORS:
        return TokenExpired(NAME, "eBay no longer accepts this access token")
    if ids & _SCOPE_ERRORS:
        return NeedsReconnect(
            NAME, "eBay says this connection lacks a permission it needs; connect eBay again"
        )
    return rejection(problems, response.status_code)
