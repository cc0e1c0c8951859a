"""The Fulfillment API: getOrders with eBay's filter grammar, its 90-day reach and its paging."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from sandbox.ebay.api import EbayApi
from sandbox.ebay.errors import EbayApiError, problem
from sandbox.ebay.marketplace import parse_iso
from sandbox.ebay.oauth import SCOPE_FULFILLMENT

ORDER_SEARCH_DAYS = 90


class FulfillmentApi(EbayApi):
    """getOrders with eBay's filter grammar, its 90-day reach and its paging."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/sell/fulfillment/v1/order", self.get_orders)

    async def get_orders(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_FULFILLMENT)
        limit = _bounded_int(request.query.get("limit", "50"), 1, 1000, 31100, "limit")
        offset = _bounded_int(request.query.get("offset", "0"), 0, 10**9, 31000, "offset")
        order_ids = request.query.get("orderIds")
        if order_ids:
            wanted = order_ids.split(",")
            if len(wanted) > 50:
                raise _fulfillment_error(30900, "Exceeded maximum number of order IDs (the "
                                         "current limit is 50)")
            orders = [o for o in seller.orders if o["orderId"] in wanted]
        else:
            keep = _order_filter(request.query.get("filter", ""))
            orders = [o for o in seller.orders if keep(o)]
        body: dict[str, Any] = {"href": str(request.rel_url), "total": len(orders),
                                "limit": limit, "offset": offset,
                                "orders": orders[offset:offset + limit]}
        if offset + limit < len(orders):
            body["next"] = str(request.rel_url.update_query(offset=str(offset + limit)))
        return web.json_response(body)


def _fulfillment_error(error_id: int, message: str) -> EbayApiError:
    return EbayApiError(400, problem(error_id, message, domain="API_FULFILLMENT"))


def _bounded_int(text: str, low: int, high: int, error_id: int, name: str) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise _fulfillment_error(error_id, f"Invalid {name}: {text}")
    return int(text)


def _order_filter(text: str) -> Callable[[dict[str, Any]], bool]:
    """getOrders' `filter` as a predicate, refusing what eBay refuses."""
    checks = []
    for criterion in (c.strip() for c in text.split(",") if c.strip()):
        name, _, value = criterion.partition(":")
        if name in ("creationdate", "lastmodifieddate"):
            start, end = _date_range(name, value)
            key = "creationDate" if name == "creationdate" else "lastModifiedDate"
            checks.append(lambda o, s=start, e=end, k=key: s <= parse_iso(o[k]) <= e)
        elif name == "orderfulfillmentstatus":
            allowed = {"{NOT_STARTED|IN_PROGRESS}": {"NOT_STARTED", "IN_PROGRESS"},
                       "{FULFILLED|IN_PROGRESS}": {"FULFILLED", "IN_PROGRESS"}}.get(value)
            if allowed is None:
                raise _fulfillment_error(30800, f"Invalid filter value {value} for filter {name}")
            checks.append(lambda o, a=allowed: o["orderFulfillmentStatus"] in a)
        else:
            raise _fulfillment_error(30700, f"Invalid filter name: {name}")
    return lambda order: all(check(order) for check in checks)


def _date_range(name: str, value: str) -> tuple[datetime, datetime]:
    match = re.fullmatch(r"\[(.*?)\.\.(.*)\]", value)
    if match is None:
        raise _fulfillment_error(30800, f"Invalid filter value {value} for filter {name}")
    now = datetime.now(UTC)
    try:
        start = parse_iso(match.group(1)) if match.group(1) else None
        end = parse_iso(match.group(2)) if match.group(2) else now
    except ValueError:
        raise _fulfillment_error(30810, "Invalid date format") from None
    if start is None:
        raise _fulfillment_error(30820, "Start date is missing")
    if start > now + timedelta(seconds=5) or end > now + timedelta(seconds=5):
        raise _fulfillment_error(30850, "Start and end dates can't be in the future")
    if start > end:
        raise _fulfillment_error(30840, "Start date should be before end date")
    if start < now - timedelta(days=ORDER_SEARCH_DAYS):
        raise _fulfillment_error(30830, "Start date must be within 90 days of end date and "
                                 "current date.")
    return start, end
