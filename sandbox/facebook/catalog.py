"""Businesses, catalogs and products, and what Facebook does with an accepted batch: fetch
every image (refusing one that is not a real image of at least 500 x 500 pixels), then write the
items. No HTTP routes here; the Graph handlers call in."""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
from PIL import Image, UnidentifiedImageError

from marketplaces.http import tls_context
from sandbox.facebook.items import (
    KNOWN_FIELDS,
    LIVE_AVAILABILITY,
    REQUIRED_ON_CREATE,
    field_problem,
    image_list,
)
from sandbox.kit import ImageStore

log = logging.getLogger(__name__)

MIN_IMAGE_SIDE: Final = 500
MAX_IMAGE_BYTES: Final = 8 * 1024 * 1024


@dataclass
class Business:
    business_id: str
    name: str
    members: set[str]


@dataclass
class Catalog:
    catalog_id: str
    name: str
    business_id: str
    vertical: str = "commerce"


@dataclass
class Product:
    product_id: str
    catalog_id: str
    retailer_id: str
    fields: dict[str, Any]
    image_ids: list[str]
    sold: bool = False
    deleted: bool = False


@dataclass
class Batch:
    handle: str
    catalog_id: str
    status: str = "dispatched"
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    invalid_ids: list[str] = field(default_factory=list)


class _ItemProblem(Exception):
    """One catalog item refused while processing a batch."""


def listing_status(product: Product) -> str:
    """live, sold or ended, in the words the cross-posting engine uses."""
    if product.deleted:
        return "ended"
    if product.sold:
        return "sold"
    return "live" if product.fields.get("availability") in LIVE_AVAILABILITY else "ended"


class CatalogBackend:
    """Businesses, catalogs and products, and what Facebook does with an accepted batch:
    fetch every image, then write the items. No HTTP here; the sandbox's handlers call in."""

    def __init__(
        self, images: ImageStore, *, processing_delay: float, image_fetch_timeout: float
    ) -> None:
        self.images = images
        self.processing_delay = processing_delay
        self.image_fetch_timeout = image_fetch_timeout
        self.businesses: dict[str, Business] = {}
        self.catalogs: dict[str, Catalog] = {}
        self.products: dict[str, Product] = {}
        self.batches: dict[str, Batch] = {}
        self.image_fetches: list[str] = []  # every image URL this "Facebook" downloaded
        self._by_retailer: dict[tuple[str, str], str] = {}
        self._product_ids = itertools.count(7_100_000_000_000_001)
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None

    def add_business(self, business_id: str, name: str, members: set[str]) -> Business:
        self.businesses[business_id] = Business(business_id, name, set(members))
        return self.businesses[business_id]

    def add_catalog(
        self, catalog_id: str, name: str, business_id: str, vertical: str = "commerce"
    ) -> Catalog:
        self.catalogs[catalog_id] = Catalog(catalog_id, name, business_id, vertical)
        return self.catalogs[catalog_id]

    def visible_catalog(self, account_id: str, catalog_id: str) -> Catalog | None:
        """The catalog if the person works in the business that owns it."""
        catalog = self.catalogs.get(catalog_id)
        business = self.businesses.get(catalog.business_id) if catalog else None
        return catalog if business is not None and account_id in business.members else None

    def visible_product(self, account_id: str, product_id: str) -> Product | None:
        product = self.products.get(product_id)
        if product is None or product.deleted:
            return None
        return product if self.visible_catalog(account_id, product.catalog_id) else None

    def submit(
        self, catalog_id: str, work: list[tuple[int, str, str, dict[str, Any]]], upsert: bool
    ) -> Batch:
        """Accept validated requests; they are processed in the background, as on Facebook."""
        batch = Batch(secrets.token_urlsafe(24), catalog_id)
        self.batches[batch.handle] = batch
        task = asyncio.create_task(self._process(batch, work, upsert))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return batch

    def delete(self, product: Product) -> None:
        product.deleted = True
        self._by_retailer.pop((product.catalog_id, product.retailer_id), None)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def check_record(
        self, catalog: Catalog, record: Any, allow_upsert: bool
    ) -> tuple[list[str], list[str], str, tuple[str, str, dict[str, Any]] | None]:
        """Synchronous validation of one request: (errors, warnings, retailer_id, job)."""
        if not isinstance(record, dict) or not isinstance(record.get("data"), dict):
            return ["Each request needs a method and a data object."], [], "", None
        data: dict[str, Any] = record["data"]
        retailer_id = data.get("id")
        if not isinstance(retailer_id, str) or not 1 <= len(retailer_id) <= 100:
            return ["id: a retailer id of 1 to 100 characters is required."], [], "", None
        method = record.get("method")
        if method not in ("CREATE", "UPDATE", "DELETE"):
            return [f"method: '{method}' must be CREATE, UPDATE or DELETE."], [], retailer_id, None
        if method == "DELETE":
            return [], [], retailer_id, (method, retailer_id, {})
        exists = (catalog.catalog_id, retailer_id) in self._by_retailer
        errors = [p for name, value in data.items() if (p := field_problem(name, value))]
        unknown = [name for name in data if name not in KNOWN_FIELDS]
        warnings = [f"Unknown field '{name}' was ignored." for name in unknown]
        creating = method == "CREATE" or (not exists and allow_upsert)
        if creating:
            missing = [name for name in REQUIRED_ON_CREATE if name not in data]
            if missing:
                errors.append(f"Missing required field(s): {', '.join(missing)}.")
        elif not exists:
            errors.append("id: no item with this id exists and allow_upsert is false.")
        fields = {name: value for name, value in data.items() if name in KNOWN_FIELDS}
        return errors, warnings, retailer_id, (method, retailer_id, fields)

    async def _process(
        self, batch: Batch, work: list[tuple[int, str, str, dict[str, Any]]], allow_upsert: bool
    ) -> None:
        """What Facebook does after accepting a batch: fetch images, then write the items."""
        try:
            await asyncio.sleep(self.processing_delay)
            batch.status = "started"
            outcomes = await asyncio.gather(*(
                self._apply(batch.catalog_id, method, retailer_id, data, allow_upsert)
                for _line, method, retailer_id, data in work
            ))
            for (line, _method, retailer_id, _data), problem in zip(work, outcomes, strict=True):
                if problem:
                    batch.errors.append({"line": line, "id": retailer_id, "message": problem})
                    batch.invalid_ids.append(retailer_id)
            batch.status = "finished"
        except Exception:  # a sandbox bug: say so in the batch status, as Facebook would
            log.exception("facebook sandbox: batch %s failed", batch.handle)
            batch.status = "error"

    async def _apply(
        self, catalog_id: str, method: str, retailer_id: str, data: dict[str, Any], upsert: bool
    ) -> str | None:
        key = (catalog_id, retailer_id)
        if method == "DELETE":
            product_id = self._by_retailer.get(key)
            if product_id is None:
                return "id: no item with this id exists in the catalog."
            self.delete(self.products[product_id])
            return None
        try:
            image_ids = await self._images_for(data)
        except _ItemProblem as exc:
            return str(exc)
        product_id = self._by_retailer.get(key)  # read after the awaits: batches interleave
        if product_id is None:
            missing = [name for name in REQUIRED_ON_CREATE if name not in data]
            if method == "UPDATE" and not upsert:
                return "id: no item with this id exists and allow_upsert is false."
            if missing:
                return f"Missing required field(s): {', '.join(missing)}."
            product_id = str(next(self._product_ids))
            self.products[product_id] = Product(product_id, catalog_id, retailer_id, {}, [])
            self._by_retailer[key] = product_id
        elif method == "CREATE":
            return "id: an item with this id already exists; use UPDATE."
        product = self.products[product_id]
        product.fields.update(data)
        if image_ids is not None:
            product.image_ids = image_ids
        if product.fields.get("availability") in LIVE_AVAILABILITY:
            product.sold = False
        return None

    async def _images_for(self, data: dict[str, Any]) -> list[str] | None:
        if "image_link" not in data and "additional_image_link" not in data:
            return None
        urls = [("image_link", data["image_link"])] if "image_link" in data else []
        urls += [("additional_image_link", url)
                 for url in image_list(data.get("additional_image_link", [])) or []]
        return list(await asyncio.gather(*(self._fetch_image(name, url) for name, url in urls)))

    async def _fetch_image(self, name: str, url: str) -> str:
        """Download one image as Facebook's crawler would; refuse anything that is not one."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.image_fetch_timeout,
                                           follow_redirects=True, verify=tls_context())
        self.image_fetches.append(url)
        try:
            response = await self._http.get(url)
        except httpx.HTTPError as exc:
            raise _ItemProblem(f"{name}: the image could not be downloaded "
                               f"({type(exc).__name__}).") from None
        if response.status_code != 200:
            raise _ItemProblem(f"{name}: the image could not be downloaded "
                               f"(HTTP {response.status_code}).")
        if len(response.content) > MAX_IMAGE_BYTES:
            raise _ItemProblem(f"{name}: the image is larger than 8 MB.")
        try:
            with Image.open(io.BytesIO(response.content)) as image:
                width, height = image.size
                kind = (image.format or "jpeg").lower()
        except (UnidentifiedImageError, OSError):
            raise _ItemProblem(f"{name}: the URL did not answer with an image.") from None
        if min(width, height) < MIN_IMAGE_SIDE:
            raise _ItemProblem(f"{name}: the image is {width}x{height}; images must be at "
                               f"least {MIN_IMAGE_SIDE} x {MIN_IMAGE_SIDE} pixels.")
        return self.images.put(response.content, f"image/{kind}")
