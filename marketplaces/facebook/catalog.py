"""The seller's Commerce catalogs over the Graph API: the ones their businesses own, and one
item at a time upserted into one of them (items_batch, polled until Facebook has processed it)
and found again by its retailer id."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final

from marketplaces.base import TemporarilyUnavailable
from marketplaces.facebook.config import NAME
from marketplaces.facebook.errors import refusal
from marketplaces.http import ApiClient

_PAGE_LIMIT: Final = 100
_MAX_PAGES: Final = 20
_POLL_MAX_SECONDS: Final = 5.0
_BATCH_DONE: Final = frozenset({"finished", "error", "canceled", "cancelled"})


class CatalogApi:
    """Catalogs and their items, for whoever's token is passed."""

    def __init__(self, api: ApiClient, *, poll_interval: float, poll_timeout: float) -> None:
        self._api = api
        self._poll_interval = poll_interval
        self._poll_timeout = poll_timeout

    async def owned(self, token: str) -> list[tuple[str, str]]:
        """(id, name) of every commerce catalog the seller's businesses own.

        Catalogs belong to Business Managers, never to people, so the documented route is the
        seller's businesses (/me/businesses) and each one's owned_product_catalogs."""
        businesses = await self._pages("/me/businesses", token, fields="id,name")
        found: dict[str, str] = {}
        for business_id in (str(b["id"]) for b in businesses if b.get("id")):
            owned = await self._pages(
                f"/{business_id}/owned_product_catalogs", token, fields="id,name,vertical"
            )
            for catalog in owned:
                if catalog.get("id") and catalog.get("vertical", "commerce") == "commerce":
                    catalog_id = str(catalog["id"])
                    found.setdefault(catalog_id, str(catalog.get("name") or catalog_id))
        return list(found.items())

    async def upsert(
        self, token: str, catalog_id: str, data: dict[str, Any], *, upsert: bool = True
    ) -> None:
        """One items_batch UPDATE for one item, waited for until Facebook has processed it."""
        body = await self._api.json(
            "POST",
            f"/{catalog_id}/items_batch",
            token=token,
            data={
                "item_type": "PRODUCT_ITEM",
                "allow_upsert": "true" if upsert else "false",
                "requests": json.dumps([{"method": "UPDATE", "data": data}]),
            },
            repeatable=True,  # an upsert keyed by retailer_id: sending it twice is one item
        )
        for status in body.get("validation_status") or []:
            if status.get("retailer_id") == data["id"] and status.get("errors"):
                raise refusal(str(status["errors"][0].get("message", "")))
        handles = body.get("handles") or []
        if not handles:
            raise refusal("")
        await self._await_handle(token, catalog_id, str(handles[0]), str(data["id"]))

    async def product_id(self, token: str, catalog_id: str, retailer_id: str) -> str:
        body = await self._get(
            f"/{catalog_id}/products",
            token,
            filter=json.dumps({"retailer_id": {"eq": retailer_id}}),
            fields="id,retailer_id",
        )
        for product in body.get("data") or []:
            if product.get("retailer_id", retailer_id) == retailer_id and product.get("id"):
                return str(product["id"])
        raise TemporarilyUnavailable(NAME, "facebook has not shown the new product yet")

    async def _await_handle(
        self, token: str, catalog_id: str, handle: str, retailer_id: str
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._poll_timeout
        delay = self._poll_interval
        while True:
            await asyncio.sleep(delay)
            body = await self._get(
                f"/{catalog_id}/check_batch_request_status", token, handle=handle
            )
            entries = body.get("data") or [{}]
            state = entries[0]
            status = str(state.get("status", "")).lower()
            if status in _BATCH_DONE:
                break
            if loop.time() + delay > deadline:
                raise TemporarilyUnavailable(NAME, "facebook is still processing the listing")
            delay = min(delay * 2, _POLL_MAX_SECONDS)
        for error in state.get("errors") or []:
            if str(error.get("id", retailer_id)) == retailer_id:
                raise refusal(str(error.get("message", "")))
        if retailer_id in (state.get("ids_of_invalid_requests") or []):
            raise refusal("")
        if status != "finished":
            raise TemporarilyUnavailable(NAME, f"facebook could not finish the batch ({status})")

    async def _get(self, path: str, token: str, **params: str) -> dict[str, Any]:
        return await self._api.json("GET", path, token=token, params=params)

    async def _pages(self, path: str, token: str, **params: str) -> list[dict[str, Any]]:
        """Every item of a Graph edge, following the `after` cursor."""
        items: list[dict[str, Any]] = []
        query = {**params, "limit": str(_PAGE_LIMIT)}
        for _ in range(_MAX_PAGES):
            page = await self._get(path, token, **query)
            items.extend(entry for entry in page.get("data", []) if isinstance(entry, dict))
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
            query["after"] = str(after)
        return items
