"""Graph's error body → our error family, and the sentences a Facebook seller is told.

Every Graph refusal is `{"error": {"code", "error_subcode", "message"}}`, also at the token
endpoint, where an RFC 6749 client could not classify it (hence our own token calls). Graph's
message is never copied into ours: it can quote the token ("Malformed access token …"); it is
only searched for the field a refusal is about.
"""

from __future__ import annotations

import json
from typing import Any, Final

import httpx

from marketplaces.base import (
    MarketplaceError,
    NeedsReconnect,
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
)
from marketplaces.facebook.config import NAME
from marketplaces.http import retry_after_seconds, status_error

_RATE_LIMIT_CODES: Final = frozenset({4, 17, 32, 613, 80004, 80014})
_RECONNECT_CODES: Final = frozenset({102, 190})
_MISSING_OBJECT_SUBCODE: Final = 33
_DEFAULT_RATE_LIMIT_SECONDS: Final = 60.0

NO_CATALOG: Final = (
    "Your Facebook account has no product catalog yet. In Commerce Manager "
    "(business.facebook.com/commerce) choose Add catalog, pick E-commerce, "
    "then connect Facebook again."
)
NOT_SET_UP: Final = "Facebook isn't set up yet: connect Facebook again and choose a catalog."
MISSING_PERMISSION: Final = (
    "Facebook didn't give Deal Scout permission to manage your catalog. Connect Facebook again "
    "and leave every requested permission switched on."
)
_CATALOG_GONE: Final = (
    "Deal Scout can no longer reach your Facebook catalog: it was deleted or is no longer "
    "shared with you. Connect Facebook again and choose a catalog."
)
_RECONNECT_SENTENCES: Final = {
    458: "You removed Deal Scout from your Facebook apps. Connect Facebook again to keep listing.",
    460: "Your Facebook password changed, so Facebook ended the connection. Connect again.",
    463: "Your Facebook connection expired. Connect Facebook again to keep listing.",
    467: "Facebook logged Deal Scout out of your account. Connect Facebook again.",
}
_RECONNECT_DEFAULT: Final = "Facebook no longer accepts the connection. Connect Facebook again."

# What Facebook refused, told to the seller by field; the field is found in Graph's message.
_REFUSALS: Final = {
    "photos": (
        "Facebook couldn't use your photos: it could not download them or they are too small. "
        "Try again, or send clear photos at least 500×500 pixels."
    ),
    "price": "Facebook didn't accept the price. Enter a price above zero, like 25.00.",
    "title": (
        "Facebook didn't accept the title. Keep it under 200 characters of plain words "
        "and try again."
    ),
    "description": (
        "Facebook didn't accept the description. Keep it under 9,999 characters of plain text "
        "and try again."
    ),
    "condition": "Facebook didn't accept the item's condition. Choose new, like new, good or fair.",
    "category": "Facebook didn't accept the category. Choose a simpler category and try again.",
    "account": (
        "Facebook refused the listing because of your catalog's settings. Check the catalog "
        "in Commerce Manager, then try again."
    ),
}
_REFUSED_GENERIC: Final = (
    "Facebook refused this listing. Check the title, price and photos, then try again."
)
_CODE_USED: Final = (
    "The Facebook sign-in link expired or was already used. Connect Facebook again."
)
_FIELD_WORDS: Final = (
    ("photos", ("image", "photo", "picture")),
    ("price", ("price", "currency")),
    ("title", ("title", "name")),
    ("description", ("description",)),
    ("condition", ("condition",)),
    ("category", ("product_type", "category")),
    ("account", ("brand", "link", "catalog")),
)


class GraphObjectMissing(Rejected):
    """Graph says the object does not exist or is not visible to this seller (code 100/33)."""


def reconnect(subcode: int) -> NeedsReconnect:
    """The seller must connect again; the subcode says why, in their words."""
    return NeedsReconnect(NAME, _RECONNECT_SENTENCES.get(subcode, _RECONNECT_DEFAULT))


def refusal(message: str) -> Rejected:
    """A refusal in the seller's words; Graph's own text is used only to find the field."""
    lowered = message.lower()
    found = next(
        (name for name, words in _FIELD_WORDS if any(word in lowered for word in words)), None
    )
    return Rejected(NAME, _REFUSALS[found] if found else _REFUSED_GENERIC, field=found)


def number(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _regain_seconds(response: httpx.Response) -> float | None:
    """estimated_time_to_regain_access (minutes) from X-Business-Use-Case-Usage, as seconds."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
        minutes = [
            float(entry.get("estimated_time_to_regain_access") or 0)
            for entries in usage.values()
            for entry in entries
        ]
    except (ValueError, TypeError, AttributeError):
        return None
    longest = max(minutes, default=0.0)
    return longest * 60 if longest > 0 else None


def _rate_limited(response: httpx.Response, code: int) -> RateLimited:
    wait = _regain_seconds(response)
    if wait is None:
        wait = retry_after_seconds(response, default=_DEFAULT_RATE_LIMIT_SECONDS)
    return RateLimited(NAME, f"facebook rate limit reached (code {code})", wait)


def graph_error(response: httpx.Response, *, token_endpoint: bool = False) -> MarketplaceError:
    """One non-2xx Graph answer as our error family."""
    try:
        error = response.json()["error"]
        code = int(error["code"])
        subcode = number(error.get("error_subcode"))
        message = str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return status_error(NAME, response) or MarketplaceError(
            NAME, f"facebook answered {response.status_code} without a Graph error"
        )
    where = f"code {code}" + (f"/{subcode}" if subcode else "")
    if code in _RECONNECT_CODES:
        return reconnect(subcode)
    if code in _RATE_LIMIT_CODES:
        return _rate_limited(response, code)
    # Code 1 is "unknown error", except at the token endpoint, where a 4xx code 1 is
    # "Error validating client secret": our configuration, which no retry fixes.
    if response.status_code >= 500 or code == 2 or (code == 1 and not token_endpoint):
        return TemporarilyUnavailable(NAME, f"facebook is having trouble ({where}); try later")
    if token_endpoint:
        if code == 100:
            return NeedsReconnect(NAME, _CODE_USED)
        return MarketplaceError(NAME, f"facebook refused our app credentials ({where})")
    if code == 10 or 200 <= code <= 299:
        return NeedsReconnect(NAME, MISSING_PERMISSION)
    if code == 100 and subcode == _MISSING_OBJECT_SUBCODE:
        return GraphObjectMissing(NAME, _CATALOG_GONE, field="account")
    if code == 100:
        return refusal(message)
    return MarketplaceError(NAME, f"facebook refused the request ({where})")


def token_endpoint_error(response: httpx.Response) -> MarketplaceError:
    """`graph_error` for /oauth/access_token, where code 1 and 100 mean other things."""
    return graph_error(response, token_endpoint=True)
