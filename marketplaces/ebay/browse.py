"""What similar items are listed for on eBay now (Browse API, item_summary/search), to help a
seller price: the middle half of the prices and the median.

A convenience, never a gate: the call has a short deadline of its own, and anything but a
usable answer (too slow, an error, too few items) is no answer at all. Answers are kept for an
hour, since a seller may go back and forth over the price step.
"""

from __future__ import annotations

import asyncio
import statistics
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from marketplaces.base import MarketplaceError
from marketplaces.capabilities import PriceRange
from marketplaces.ebay.app_token import ApplicationToken
from marketplaces.ebay.config import BROWSE
from marketplaces.ebay.taxonomy import DailyCache
from marketplaces.http import ApiClient

DEADLINE_SECONDS: Final = 2.5
MIN_COMPARABLES: Final = 3  # fewer prices say nothing about a market
PAGE: Final = 50
QUERY_MAX: Final = 100


class Comps:
    def __init__(
        self, api: ApiClient, app_token: ApplicationToken, *, deadline: float = DEADLINE_SECONDS
    ) -> None:
        self._api = api
        self._app_token = app_token
        self._deadline = deadline
        self._answers: DailyCache[PriceRange | None] = DailyCache(seconds=3600)

    async def prices(
        self, query: str, category_id: str | None, condition_id: str | None
    ) -> PriceRange | None:
        words = " ".join(query.split())[:QUERY_MAX]
        if not words:
            return None
        key = f"{words.casefold()}|{category_id}|{condition_id}"
        try:
            async with asyncio.timeout(self._deadline):
                return await self._answers.get(
                    key, lambda: self._search(words, category_id, condition_id)
                )
        except (TimeoutError, MarketplaceError):
            return None

    async def _search(
        self, words: str, category_id: str | None, condition_id: str | None
    ) -> PriceRange | None:
        params = {"q": words, "limit": str(PAGE), "filter": "buyingOptions:{FIXED_PRICE}"}
        if category_id:
            params["category_ids"] = category_id
        if condition_id:
            params["filter"] += f",conditionIds:{{{condition_id}}}"
        body = await self._api.json(
            "GET", f"{BROWSE}/item_summary/search", token=await self._app_token.get(),
            params=params,
        )
        return price_range(body)


def price_range(body: dict[str, Any]) -> PriceRange | None:
    """The middle half and the median of the USD prices in a search answer."""
    cents = sorted(
        cents for item in body.get("itemSummaries") or [] if isinstance(item, dict)
        if (cents := _usd_cents(item.get("price"))) is not None
    )
    if len(cents) < MIN_COMPARABLES:
        return None
    low, median, high = statistics.quantiles(cents, n=4, method="inclusive")
    return PriceRange(_to_dollar(low), _to_dollar(median), _to_dollar(high), len(cents))


def _usd_cents(price: Any) -> int | None:
    if not isinstance(price, dict) or price.get("currency") != "USD":
        return None
    try:
        value = Decimal(str(price.get("value")))
    except InvalidOperation:
        return None
    return int(value * 100) if value > 0 else None


def _to_dollar(cents: float) -> int:
    """A price a seller would type: whole dollars."""
    return max(100, round(cents / 100) * 100)
