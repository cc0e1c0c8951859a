"""The Browse API's item_summary/search over the comps (comps.py), for an application token: the
price comparisons a seller sees before pricing an item.

As buy_browse_v1_oas3.json documents it: one of q, category_ids, epid or gtin (else 400 + 12001);
q's words are ANDed; limit 1..200 (12006, 12007), default 50; offset ≥ 0 (12004, 12005) and zero
or a multiple of limit (12515); `filter` (price:[lo..hi] with priceCurrency, conditionIds:{…},
conditions:{NEW|USED|…}, buyingOptions:{…}); sort price, -price or newlyListed. A bad filter or
sort is not refused: the 200 carries a warning (12002, 12008, 12012 for price without
priceCurrency) and the filter is ignored. Browsing a top-level category without keywords is 409 +
12013. No match is a 200 with total 0 and no itemSummaries.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from sandbox.ebay.api import EbayApi
from sandbox.ebay.comps import Comp
from sandbox.ebay.errors import EbayApiError, problem
from sandbox.ebay.marketplace import CURRENCY, MARKETPLACE_ID
from sandbox.ebay.oauth import SCOPE_APPLICATION

BROWSE = "/buy/browse/v1"
LIMIT_MAX = 200
SORTS = {"price", "-price", "newlyListed"}
CONDITION_GROUPS = {  # the `conditions` filter's words → condition ids
    "NEW": {"1000", "1500", "1750"},
    "USED": {"2750", "2990", "3000", "3010", "4000", "5000", "6000"},
    "CERTIFIED_REFURBISHED": {"2000"},
    "SELLER_REFURBISHED": {"2010", "2020", "2030", "2500"},
    "UNSPECIFIED": set(),
}

Keep = Callable[[Comp], bool]


def browse_error(status: int, error_id: int, message: str) -> EbayApiError:
    return EbayApiError(status, problem(error_id, message, domain="API_BROWSE"))


def _warning(error_id: int, message: str) -> dict[str, Any]:
    return problem(error_id, message, domain="API_BROWSE")


class BrowseApi(EbayApi):
    """item_summary/search; `state.browse_delay_seconds` makes every search that slow."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{BROWSE}/item_summary/search", self.search)

    async def search(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        if self.state.browse_delay_seconds:
            await asyncio.sleep(self.state.browse_delay_seconds)
        query = request.query
        words = re.findall(r"[a-z0-9]+", query.get("q", "").lower())
        category_id = query.get("category_ids", "").strip()
        if not (words or category_id or query.get("epid") or query.get("gtin")):
            raise browse_error(400, 12001, "The call must have a valid 'q', 'category_ids', "
                               "'epid' or 'gtin' query parameter.")
        limit, offset = _paging(query.get("limit", "50"), query.get("offset", "0"))
        node = self.state.tree.nodes.get(category_id)
        if node is not None and node.parent_id is None and not words:
            raise browse_error(409, 12013, "Top level category browsing is not allowed. Please "
                               "provide keywords or more filters for the applied top level "
                               "category.")
        warnings: list[dict[str, Any]] = []
        keep = [*self._category(category_id, warnings), *_filters(query.get("filter"), warnings)]
        found = [comp for comp in self.state.comps
                 if all(word in comp.title.lower() for word in words)
                 and all(check(comp) for check in keep)]
        found = _sorted(found, query.get("sort"), warnings)
        return web.json_response(self._page(request, found, limit, offset, warnings))

    def _category(self, category_id: str, warnings: list[dict[str, Any]]) -> list[Keep]:
        if not category_id:
            return []
        if "," in category_id or category_id not in self.state.tree.nodes:
            warnings.append(_warning(12009, "The 'category_ids' query parameter is invalid."))
            return [lambda comp: False]
        return [lambda comp: category_id in self.state.tree.lineage(comp.category_id)]

    def _page(self, request: web.Request, found: list[Comp], limit: int, offset: int,
              warnings: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {"href": str(request.rel_url), "total": len(found),
                                "limit": limit, "offset": offset}
        page = found[offset:offset + limit]
        if page:
            body["itemSummaries"] = [self._summary(comp) for comp in page]
        if offset + limit < len(found):
            body["next"] = str(request.rel_url.update_query(offset=str(offset + limit)))
        if offset:
            body["prev"] = str(request.rel_url.update_query(offset=str(max(0, offset - limit))))
        if warnings:
            body["warnings"] = warnings
        return body

    def _summary(self, comp: Comp) -> dict[str, Any]:
        base, leaf = self.state.base_url(), self.state.tree.nodes[comp.category_id]
        item_id = f"v1|{comp.item_number}|0"
        return {
            "itemId": item_id,
            "legacyItemId": comp.item_number,
            "title": comp.title,
            "price": {"value": f"{comp.price:.2f}", "currency": CURRENCY},
            "condition": comp.condition,
            "conditionId": comp.condition_id,
            "categories": [{"categoryId": leaf.category_id, "categoryName": leaf.name}],
            "leafCategoryIds": [comp.category_id],
            "buyingOptions": ["FIXED_PRICE", "BEST_OFFER"],
            "image": {"imageUrl": f"{base}/images/g/comp{comp.item_number}/s-l225.jpg"},
            "itemHref": f"{base}{BROWSE}/item/{item_id}",
            "itemWebUrl": f"{base}/itm/{comp.item_number}",
            "itemLocation": {"postalCode": comp.postal_code, "country": "US"},
            "seller": {"username": comp.seller, "feedbackScore": comp.feedback_score,
                       "feedbackPercentage": "99.6"},
            "itemCreationDate": comp.listed,
            "listingMarketplaceId": MARKETPLACE_ID,
            "adultOnly": False,
        }


def _paging(limit_text: str, offset_text: str) -> tuple[int, int]:
    if not re.fullmatch(r"-?\d+", limit_text):
        raise browse_error(400, 12007, "The 'limit' value must be an integer value.")
    if not 1 <= int(limit_text) <= LIMIT_MAX:
        raise browse_error(400, 12006, "The 'limit' value should be between 1 and 200 "
                           "(inclusive).")
    if not re.fullmatch(r"-?\d+", offset_text):
        raise browse_error(400, 12005, "The 'offset' value must be an integer.")
    limit, offset = int(limit_text), int(offset_text)
    if offset < 0:
        raise browse_error(400, 12004, "The 'offset' value cannot be negative.")
    if offset % limit:
        raise browse_error(400, 12515, "The 'offset' value must be either zero or a multiple "
                           "of the 'limit' value.")
    return limit, offset


def _filters(text: str | None, warnings: list[dict[str, Any]]) -> list[Keep]:
    """The `filter` parameter: name:value pairs, commas outside brackets and braces."""
    pairs = dict(part.split(":", 1) for part in _split(text or "") if ":" in part)
    keep: list[Keep] = []
    for name, value in pairs.items():
        if name == "price":
            keep += _price(value, pairs.get("priceCurrency"), warnings)
        elif name in ("conditionIds", "conditions", "buyingOptions"):
            chosen = _set(value)
            if chosen is None:
                warnings.append(_warning(12002, f"The {name} value is invalid. For the valid "
                                         "values, refer to the API call documentation."))
            elif name == "conditionIds":
                keep.append(lambda comp, ids=chosen: comp.condition_id in ids)
            elif name == "conditions":
                ids = set().union(*(CONDITION_GROUPS.get(word, set()) for word in chosen))
                keep.append(lambda comp, ids=ids: comp.condition_id in ids)
            else:
                keep.append(lambda comp, options=chosen: bool({"FIXED_PRICE", "BEST_OFFER"}
                                                              & options))
        elif name != "priceCurrency":
            warnings.append(_warning(12002, f"The {name} value is invalid. For the valid values, "
                                     "refer to the API call documentation."))
    return keep


def _price(value: str, currency: str | None, warnings: list[dict[str, Any]]) -> list[Keep]:
    match = re.fullmatch(r"\[([\d.]*)\.\.([\d.]*)\]", value)
    if currency is None or match is None:
        warnings.append(_warning(12012, "A valid 'price' filter and a valid 'priceCurrency' "
                                 "filter is necessary to filter based on price."))
        return []
    try:
        low = Decimal(match.group(1)) if match.group(1) else Decimal(0)
        high = Decimal(match.group(2)) if match.group(2) else Decimal("Infinity")
    except InvalidOperation:
        warnings.append(_warning(12002, "The price value is invalid. For the valid values, "
                                 "refer to the API call documentation."))
        return []
    if currency != CURRENCY:
        return [lambda comp: False]
    return [lambda comp: low <= comp.price <= high]


def _sorted(found: list[Comp], sort: str | None, warnings: list[dict[str, Any]]) -> list[Comp]:
    if sort is None:
        return found  # best match: the order eBay's ranking gave them
    if sort not in SORTS:
        warnings.append(_warning(12008, "The 'sort' value is invalid. For the valid values, "
                                 "refer to the API call documentation."))
        return found
    if sort == "newlyListed":
        return sorted(found, key=lambda comp: comp.listed, reverse=True)
    return sorted(found, key=lambda comp: comp.price, reverse=sort == "-price")


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{"
        depth -= char in "]}"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()] if current.strip() else parts


def _set(value: str) -> set[str] | None:
    match = re.fullmatch(r"\{([^{}]+)\}", value.strip())
    return {word.strip() for word in match.group(1).split("|")} if match else None
