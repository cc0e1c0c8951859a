"""A strict local Graph API for the Facebook adapter: Login, long-lived tokens, businesses,
Commerce catalogs and the Catalog Batch API, with Graph's own error shape.

What it refuses, as Graph does: missing/invalid/expired/revoked tokens (code 104 or 190 with
subcodes 463/458), missing permissions (code 200), objects that do not exist or are not the
caller's (code 100, subcode 33), unknown fields (code 100), items_batch without item_type or with
malformed requests (code 100), and per item: missing required fields, a title over 200 or a
description over 9,999 characters, a price not written "25.00 USD", availability and condition
outside their enums, more than 20 additional images, non-URL links. Accepted items are processed
asynchronously as Facebook does: every image URL is fetched, and an item whose image does not
answer with a real image of at least 500 x 500 pixels is refused in check_batch_request_status.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from aiohttp import web
from PIL import Image, UnidentifiedImageError

from marketplaces.facebook import FacebookConfig
from sandbox.kit import (
    Faults,
    Grant,
    ImageStore,
    MarketplaceAccount,
    OAuthClient,
    OAuthProvider,
    SandboxServer,
    TokenError,
    TokenRefused,
    listing_page,
)

log = logging.getLogger(__name__)

APP_ID: Final = "1784512309917403"
APP_SECRET: Final = "3f8a0c6e1b2d4f5a9c7e8b1d2a3c4e5f"
API_VERSION: Final = "v24.0"
SHORT_LIVED_SECONDS: Final = 2 * 3600
LONG_LIVED_SECONDS: Final = 60 * 86400
SCOPES: Final = frozenset({"public_profile", "email", "catalog_management", "business_management"})

# Seeded people: one with a single catalog, one with two (and a hotel catalog), one with none.
ROSA: Final = "100089000000001"
MARCUS: Final = "100089000000002"
JENNY: Final = "100089000000003"

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
PRODUCT_FIELDS: Final = frozenset(
    {"id", "retailer_id", "name", "description", "price", "currency", "availability", "condition",
     "url", "image_url", "additional_image_urls", "brand", "inventory", "product_type",
     "product_catalog", "visibility", "review_status", "image_fetch_status"}
)
MAX_ADDITIONAL_IMAGES: Final = 20
MIN_IMAGE_SIDE: Final = 500
MAX_IMAGE_BYTES: Final = 8 * 1024 * 1024
MAX_BATCH_REQUESTS: Final = 5000
_PRICE: Final = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))? ([A-Z]{3})$")
_SYMBOLS: Final = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£"}
_CATALOG_RATE_LIMIT: Final = (
    "There have been too many calls for the batch uploads to this catalog account. Wait a bit "
    "and try again. For more info, please refer to "
    "https://developers.facebook.com/docs/graph-api/overview/rate-limiting#catalog."
)


# ── Graph's error shape ───────────────────────────────────────────────────────────────────────


class GraphError(Exception):
    """An answer in Graph's shape: {"error": {message, type, code, error_subcode, fbtrace_id}}."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        kind: str = "OAuthException",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.subcode, self.kind, self.headers = subcode, kind, headers or {}

    def response(self) -> web.Response:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode:
            error["error_subcode"] = self.subcode
        if self.code in (1, 2):
            error["is_transient"] = True
        error["fbtrace_id"] = secrets.token_urlsafe(8)
        headers = dict(self.headers)
        if self.code == 190:
            challenge = f'OAuth "Facebook Platform" "invalid_token" "{self.message}"'
            headers["WWW-Authenticate"] = challenge
        return web.json_response({"error": error}, status=self.status, headers=headers)


def graph_error_response(status: int, error: str, description: str) -> web.Response:
    """Kit errors (token endpoint, injected faults) as Graph renders them."""
    if error == "rate_limited":
        return GraphError(400, 4, "(#4) Application request limit reached").response()
    if status >= 500:
        code, text = (1, "An unknown error occurred") if status == 500 else (
            2, "Service temporarily unavailable")
        return GraphError(status, code, text).response()
    if error == "invalid_client":
        return GraphError(400, 1, "Error validating client secret.").response()
    if error == "invalid_grant":
        if "redirect_uri" in description:
            return GraphError(400, 100, (
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request"
            ), subcode=36008).response()
        return GraphError(400, 100, "This authorization code has been used.",
                          subcode=36009).response()
    return GraphError(400, 100, f"Invalid parameter: {description}").response()


def _missing_object(object_id: str, method: str) -> GraphError:
    return GraphError(400, 100, (
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation."
    ), subcode=33, kind="GraphMethodException")


@web.middleware
async def _render_graph_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except GraphError as exc:
        return exc.response()


# ── Data the sandbox holds ────────────────────────────────────────────────────────────────────


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


@dataclass(frozen=True)
class SandboxListing:
    """A product as a test sees it: what a buyer would, plus where it lives."""

    product_id: str
    retailer_id: str
    catalog_id: str
    title: str
    price: str  # as sent, e.g. "25.00 USD"
    status: str  # live, sold or ended
    availability: str
    condition: str
    description: str
    images: tuple[str, ...]  # URLs this sandbox serves
    url: str


class _ItemProblem(Exception):
    """One catalog item refused while processing a batch."""


class FacebookOAuth(OAuthProvider):
    """Facebook Login: comma-separated scopes (normalised for the shared consent flow)."""

    async def consent(
        self, authorize_url: str, *, approve: bool = True, account_id: str | None = None
    ) -> str:
        return await super().consent(
            _spaced_scope(authorize_url), approve=approve, account_id=account_id
        )


def _spaced_scope(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v.replace(",", " ") if k == "scope" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _price_text(price: str) -> str:
    """Graph reads prices back formatted for display, e.g. "$25.00"."""
    amount, currency = price.split(" ")
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _image_list(value: Any) -> list[str] | None:
    """additional_image_link: a JSON array, or one string separated by , ; | or spaces."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        if len(value) > 2000:
            return None
        return [part for part in re.split(r"[,;|\s]+", value) if part]
    return None


def _field_problem(name: str, value: Any) -> str | None:
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
        images = _image_list(value)
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


def _truthy(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


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
        errors = [p for name, value in data.items() if (p := _field_problem(name, value))]
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
                 for url in _image_list(data.get("additional_image_link", [])) or []]
        return list(await asyncio.gather(*(self._fetch_image(name, url) for name, url in urls)))

    async def _fetch_image(self, name: str, url: str) -> str:
        """Download one image as Facebook's crawler would; refuse anything that is not one."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.image_fetch_timeout, follow_redirects=True)
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


# ── The sandbox ───────────────────────────────────────────────────────────────────────────────


class FacebookSandbox(SandboxServer):
    """Graph API v24.0 (configurable) on loopback: Login, debug_token, businesses, catalogs,
    items_batch, check_batch_request_status, products, product nodes and public product pages."""

    def __init__(
        self,
        *,
        redirect_uris: tuple[str, ...] = ("http://127.0.0.1/oauth/facebook/callback",),
        app_id: str = APP_ID,
        app_secret: str = APP_SECRET,
        api_version: str = API_VERSION,
        processing_delay: float = 0.0,
        image_fetch_timeout: float = 5.0,
    ) -> None:
        super().__init__()
        self.app_id, self.app_secret, self.version = app_id, app_secret, api_version
        self.faults = Faults()
        self.oauth = FacebookOAuth(
            name="Facebook",
            clients=[OAuthClient(app_id, app_secret, tuple(redirect_uris))],
            accounts=[
                MarketplaceAccount(ROSA, "Rosa Delgado"),
                MarketplaceAccount(MARCUS, "Marcus Bell"),
                MarketplaceAccount(JENNY, "Jenny Nguyen"),
            ],
            scopes=SCOPES,
            access_ttl_seconds=SHORT_LIVED_SECONDS,
            refresh_ttl_seconds=None,  # Facebook issues no refresh tokens
            client_auth=frozenset({"client_secret_post"}),
            error=graph_error_response,
        )
        self.images = ImageStore()
        self.store = CatalogBackend(
            self.images, processing_delay=processing_delay, image_fetch_timeout=image_fetch_timeout
        )
        # Shortcuts for tests and demos: the store's own dictionaries, not copies.
        self.businesses, self.catalogs = self.store.businesses, self.store.catalogs
        self.products, self.batches = self.store.products, self.store.batches
        self.image_fetches = self.store.image_fetches
        self._throttles: deque[int] = deque()
        self._seed()
        self.app.middlewares.append(self.faults.middleware(self._is_api, graph_error_response))
        self.app.middlewares.append(_render_graph_errors)
        self._add_routes()

    def _seed(self) -> None:
        self.add_business("310000000000001", "Rosa's Resale Finds", {ROSA})
        self.add_catalog("810000000000001", "Rosa's Resale Finds – Products", "310000000000001")
        self.add_business("310000000000002", "Bell Street Flips", {MARCUS})
        self.add_catalog("810000000000002", "Bell Street – Sneakers", "310000000000002")
        self.add_catalog("810000000000003", "Bell Street – Electronics", "310000000000002")
        self.add_catalog("810000000000004", "Bell Street Stays", "310000000000002", "hotels")

    def add_business(self, business_id: str, name: str, members: set[str]) -> Business:
        return self.store.add_business(business_id, name, members)

    def add_catalog(
        self, catalog_id: str, name: str, business_id: str, vertical: str = "commerce"
    ) -> Catalog:
        return self.store.add_catalog(catalog_id, name, business_id, vertical)

    def _add_routes(self) -> None:
        v = f"/{self.version}"
        router = self.app.router
        router.add_get(f"{v}/dialog/oauth", self._dialog)
        router.add_post(f"{v}/dialog/oauth", self.oauth.decide)
        router.add_route("*", f"{v}/oauth/access_token", self._token)
        router.add_get(f"{v}/debug_token", self._debug_token)
        router.add_get(f"{v}/me", self._me)
        router.add_delete(f"{v}/me/permissions", self._delete_permissions)
        router.add_get(f"{v}/me/businesses", self._my_businesses)
        router.add_get(f"{v}/{{node}}/owned_product_catalogs", self._owned_catalogs)
        router.add_post(f"{v}/{{node}}/items_batch", self._items_batch)
        router.add_get(f"{v}/{{node}}/check_batch_request_status", self._batch_status)
        router.add_get(f"{v}/{{node}}/products", self._catalog_products)
        router.add_get(f"{v}/{{node}}", self._get_product)
        router.add_delete(f"{v}/{{node}}", self._delete_product)
        router.add_get("/commerce/products/{product_id}/", self._product_page)
        router.add_get("/images/{image_id}", self.images.serve)

    def _is_api(self, request: web.Request) -> bool:
        path = request.path
        return path.startswith(f"/{self.version}/") and not path.endswith("/dialog/oauth")

    async def stop(self) -> None:
        await self.store.aclose()
        await super().stop()

    # ── adapter wiring and test controls ──

    def adapter_config(self, redirect_uri: str) -> FacebookConfig:
        """A config pointing every Facebook URL at this running sandbox (registering the
        redirect URI for the app, as an operator does in the App Dashboard)."""
        self.oauth.register_redirect(self.app_id, redirect_uri)
        parts = urlsplit(redirect_uri)
        v = self.version
        return FacebookConfig(
            app_id=self.app_id,
            app_secret=self.app_secret,
            redirect_uri=redirect_uri,
            item_link_base=f"{parts.scheme}://{parts.netloc}/items",
            api_version=v,
            authorize_url=f"{self.url}/{v}/dialog/oauth",
            token_url=f"{self.url}/{v}/oauth/access_token",
            graph_url=f"{self.url}/{v}",
            web_base=self.url,
            batch_poll_interval=0.02,
            batch_poll_timeout=10.0,
        )

    def product_url(self, product_id: str) -> str:
        return f"{self.url}/commerce/products/{product_id}/"

    def _listing(self, product: Product) -> SandboxListing:
        return SandboxListing(
            product_id=product.product_id,
            retailer_id=product.retailer_id,
            catalog_id=product.catalog_id,
            title=product.fields.get("title", ""),
            price=product.fields.get("price", ""),
            status=self._status(product),
            availability=product.fields.get("availability", ""),
            condition=product.fields.get("condition", ""),
            description=product.fields.get("description", ""),
            images=tuple(f"{self.url}/images/{image_id}" for image_id in product.image_ids),
            url=self.product_url(product.product_id),
        )

    @staticmethod
    def _status(product: Product) -> str:
        if product.deleted:
            return "ended"
        if product.sold:
            return "sold"
        return "live" if product.fields.get("availability") in LIVE_AVAILABILITY else "ended"

    @property
    def listings(self) -> list[SandboxListing]:
        """Every product ever created here, deleted ones with status "ended"."""
        return [self._listing(product) for product in self.products.values()]

    def listing(self, external_id: str) -> SandboxListing:
        return self._listing(self.products[external_id])

    def sell(self, external_id: str) -> None:
        """The item sold through the shop: out of stock, with a sold marker for inspection
        (catalogs have no "sold" availability)."""
        product = self.products[external_id]
        product.fields["availability"] = "out of stock"
        product.sold = True

    def end(self, external_id: str) -> None:
        """The seller deleted the product in Commerce Manager."""
        self.store.delete(self.products[external_id])

    def throttle_catalog_batches(self, minutes: int, *, times: int = 1) -> None:
        """The next `times` items_batch calls hit the catalog batch rate limit (code 80014)."""
        self._throttles.extend([minutes] * times)

    # ── authentication ──

    @staticmethod
    def _token_of(request: web.Request, form: dict[str, Any] | None = None) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() in ("bearer", "oauth") and value.strip():
            return value.strip()
        token = request.query.get("access_token") or (form or {}).get("access_token")
        return str(token) if token else None

    def _grant(
        self,
        request: web.Request,
        *,
        any_of: Iterable[str] = (),
        form: dict[str, Any] | None = None,
    ) -> Grant:
        """The grant behind the call's user token, or Graph's refusal."""
        try:
            grant = self.oauth.grant_for(self._token_of(request, form))
        except TokenRefused as exc:
            raise self._token_refusal(exc.reason) from None
        needed = tuple(any_of)
        if needed and not set(needed) & set(grant.scopes):
            raise GraphError(
                403, 200, f"(#200) Requires {' or '.join(needed)} permission to manage the object"
            )
        return grant

    def _token_refusal(self, reason: str) -> GraphError:
        if reason == "missing":
            return GraphError(400, 104, "An access token is required to request this resource.")
        if reason == "expired":
            return GraphError(
                400, 190, "Error validating access token: Session has expired.", subcode=463
            )
        if reason == "revoked":
            return GraphError(400, 190, (
                f"Error validating access token: The user has not authorized application "
                f"{self.app_id}."
            ), subcode=458)
        return GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")

    def _find_grant(self, token: str) -> Grant | None:
        return next((g for g in self.oauth.grants() if g.access_token == token), None)

    # ── Login and tokens ──

    async def _dialog(self, request: web.Request) -> web.Response:
        """The Login dialog; Facebook's comma-separated scope is read like spaces."""
        scope = request.query.get("scope", "")
        if "," in scope:
            url = request.rel_url.update_query(scope=scope.replace(",", " "))
            request = request.clone(rel_url=url)
        return await self.oauth.authorize_page(request)

    async def _token(self, request: web.Request) -> web.Response:
        """oauth/access_token: the code exchange (no grant_type, as Facebook documents) and
        grant_type=fb_exchange_token; GET with query parameters or POST with a form."""
        form = {**request.query, **{k: str(v) for k, v in (await request.post()).items()}}
        grant_type = form.get("grant_type") or ("authorization_code" if "code" in form else "")
        self.oauth.token_requests.append({"grant_type": grant_type})
        try:
            client = self.oauth.authenticate_client(request, form)
            if grant_type == "authorization_code":
                issued = self.oauth.redeem_code(client, {**form, "grant_type": grant_type})
                body = self._token_body(issued["access_token"], int(issued["expires_in"]))
            elif grant_type == "fb_exchange_token":
                body = self._long_lived(client, form.get("fb_exchange_token", ""))
            else:
                raise GraphError(400, 100, "Missing authorization code")
        except TokenError as exc:
            return graph_error_response(exc.status, exc.error, exc.description)
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    def _long_lived(self, client: OAuthClient, short_token: str) -> dict[str, Any]:
        try:
            grant = self.oauth.grant_for(short_token)
        except TokenRefused as exc:
            raise self._token_refusal(exc.reason) from None
        if grant.client_id != client.client_id:
            raise self._token_refusal("invalid")
        long_lived = self.oauth.issue(grant.account, client.client_id, grant.scopes,
                                      with_refresh=False)
        long_lived.access_expires_at = time.time() + LONG_LIVED_SECONDS
        return self._token_body(long_lived.access_token, LONG_LIVED_SECONDS)

    @staticmethod
    def _token_body(access_token: str, expires_in: int) -> dict[str, Any]:
        return {"access_token": access_token, "token_type": "bearer", "expires_in": expires_in}

    async def _debug_token(self, request: web.Request) -> web.Response:
        app_token = self._token_of(request)
        if not app_token or not secrets.compare_digest(
            app_token, f"{self.app_id}|{self.app_secret}"
        ):
            raise GraphError(400, 190, "Invalid OAuth access token signature.")
        input_token = request.query.get("input_token")
        if not input_token:
            raise GraphError(400, 100, "(#100) The parameter input_token is required")
        return web.json_response({"data": self._inspect(input_token)})

    def _inspect(self, token: str) -> dict[str, Any]:
        grant = self._find_grant(token)
        try:
            self.oauth.grant_for(token)
        except TokenRefused as exc:
            refusal = self._token_refusal(exc.reason)
            data: dict[str, Any] = {"is_valid": False, "scopes": []}
            data["error"] = {"code": refusal.code, "message": refusal.message}
            if refusal.subcode:
                data["error"]["subcode"] = refusal.subcode
            if grant is not None:
                data.update(app_id=grant.client_id, user_id=grant.account.account_id)
            return data
        assert grant is not None
        return {
            "app_id": grant.client_id,
            "type": "USER",
            "application": "Deal Scout",
            "data_access_expires_at": int(time.time()) + 90 * 86400,
            "expires_at": int(grant.access_expires_at),
            "is_valid": True,
            "scopes": list(grant.scopes),
            "granular_scopes": [{"scope": scope} for scope in grant.scopes],
            "user_id": grant.account.account_id,
        }

    # ── people and businesses ──

    @staticmethod
    def _fields(
        request: web.Request, allowed: frozenset[str], default: str, node: str
    ) -> list[str]:
        wanted = [f.strip() for f in request.query.get("fields", default).split(",") if f.strip()]
        for name in wanted:
            if name not in allowed:
                raise GraphError(400, 100, (
                    f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"
                ))
        return wanted

    def _paged(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        limit = max(1, min(int(request.query.get("limit", "25") or 25), 500))
        start = int(request.query.get("after", "0") or 0)
        page = items[start:start + limit]
        end = start + len(page)
        body: dict[str, Any] = {"data": page}
        if page:
            body["paging"] = {"cursors": {"before": str(start), "after": str(end)}}
            if end < len(items):
                query = {**request.query, "after": str(end)}
                body["paging"]["next"] = f"{self.url}{request.path}?{urlencode(query)}"
        return web.json_response(body)

    async def _me(self, request: web.Request) -> web.Response:
        grant = self._grant(request)
        wanted = self._fields(request, frozenset({"id", "name"}), "id,name", "User")
        person = {"id": grant.account.account_id, "name": grant.account.display_name}
        return web.json_response({name: person[name] for name in wanted})

    async def _delete_permissions(self, request: web.Request) -> web.Response:
        """The person removes the app: every grant of theirs to this app dies (subcode 458)."""
        grant = self._grant(request)
        for other in self.oauth.grants(grant.account.account_id):
            if other.client_id == grant.client_id and not other.revoked:
                self.oauth.revoke(other)
        return web.json_response({"success": True})

    async def _my_businesses(self, request: web.Request) -> web.Response:
        grant = self._grant(request, any_of=("business_management",))
        wanted = self._fields(request, frozenset({"id", "name"}), "id,name", "Business")
        mine = [b for b in self.businesses.values() if grant.account.account_id in b.members]
        rows = [{k: {"id": b.business_id, "name": b.name}[k] for k in wanted} for b in mine]
        return self._paged(request, rows)

    async def _owned_catalogs(self, request: web.Request) -> web.Response:
        grant = self._grant(request, any_of=("business_management", "catalog_management"))
        business = self.businesses.get(request.match_info["node"])
        if business is None or grant.account.account_id not in business.members:
            raise _missing_object(request.match_info["node"], "GET")
        allowed = frozenset({"id", "name", "vertical", "product_count"})
        wanted = self._fields(request, allowed, "id,name", "ProductCatalog")
        rows = []
        for catalog in self.catalogs.values():
            if catalog.business_id != business.business_id:
                continue
            count = sum(1 for p in self.products.values()
                        if p.catalog_id == catalog.catalog_id and not p.deleted)
            values = {"id": catalog.catalog_id, "name": catalog.name,
                      "vertical": catalog.vertical, "product_count": count}
            rows.append({name: values[name] for name in wanted})
        return self._paged(request, rows)

    def _catalog(self, grant: Grant, catalog_id: str, method: str) -> Catalog:
        catalog = self.store.visible_catalog(grant.account.account_id, catalog_id)
        if catalog is None:
            raise _missing_object(catalog_id, method)
        return catalog

    # ── the Catalog Batch API ──

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise GraphError(400, 100, "(#100) The request body is not valid JSON") from None
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update({k: str(v) for k, v in (await request.post()).items()})
        return params

    async def _items_batch(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        grant = self._grant(request, any_of=("catalog_management",), form=params)
        catalog = self._catalog(grant, request.match_info["node"], "POST")
        if self._throttles:
            minutes = self._throttles.popleft()
            usage = {catalog.business_id: [{
                "type": "catalog_batch", "call_count": 100, "total_cputime": 0, "total_time": 0,
                "estimated_time_to_regain_access": minutes,
            }]}
            raise GraphError(400, 80014, _CATALOG_RATE_LIMIT,
                             headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
        requests = self._batch_requests(params, catalog)
        allow_upsert = _truthy(params.get("allow_upsert"), True)
        statuses, work = [], []
        for line, record in enumerate(requests):
            errors, warnings, retailer_id, job = self.store.check_record(
                catalog, record, allow_upsert
            )
            if errors or warnings:
                statuses.append({
                    "retailer_id": retailer_id,
                    "errors": [{"message": m} for m in errors],
                    "warnings": [{"message": m} for m in warnings],
                })
            if not errors and job is not None:
                work.append((line, *job))
        handles = [self.store.submit(catalog.catalog_id, work, allow_upsert).handle] if work else []
        return web.json_response({"handles": handles, "validation_status": statuses})

    @staticmethod
    def _batch_requests(params: dict[str, Any], catalog: Catalog) -> list[Any]:
        item_type = params.get("item_type")
        if not item_type:
            raise GraphError(400, 100, "(#100) The parameter item_type is required")
        if item_type != "PRODUCT_ITEM" or catalog.vertical != "commerce":
            raise GraphError(400, 100, (
                f"(#100) item_type {item_type} is not supported by a catalog of vertical "
                f"{catalog.vertical}"
            ))
        raw = params.get("requests")
        if raw is None:
            raise GraphError(400, 100, "(#100) The parameter requests is required")
        try:
            requests = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            requests = None
        if not isinstance(requests, list) or not 1 <= len(requests) <= MAX_BATCH_REQUESTS:
            raise GraphError(400, 100, (
                f"(#100) param requests must be an array of 1 to {MAX_BATCH_REQUESTS} objects"
            ))
        return requests

    async def _batch_status(self, request: web.Request) -> web.Response:
        grant = self._grant(request, any_of=("catalog_management",))
        catalog = self._catalog(grant, request.match_info["node"], "GET")
        handle = request.query.get("handle")
        if not handle:
            raise GraphError(400, 100, "(#100) The parameter handle is required")
        batch = self.batches.get(handle)
        if batch is None or batch.catalog_id != catalog.catalog_id:
            raise GraphError(400, 100, "(#100) Invalid handle")
        return web.json_response({"data": [{
            "handle": batch.handle,
            "status": batch.status,
            "errors_total_count": len(batch.errors),
            "errors": batch.errors,
            "warnings_total_count": len(batch.warnings),
            "warnings": batch.warnings,
            "ids_of_invalid_requests": batch.invalid_ids,
        }]})

    # ── products ──

    def _product_values(self, product: Product) -> dict[str, Any]:
        fields = product.fields
        price = fields.get("price", "0.00 USD")
        images = [f"{self.url}/images/{image_id}" for image_id in product.image_ids]
        catalog = self.catalogs[product.catalog_id]
        return {
            "id": product.product_id,
            "retailer_id": product.retailer_id,
            "name": fields.get("title", ""),
            "description": fields.get("description", ""),
            "price": _price_text(price),
            "currency": price.split(" ")[-1],
            "availability": fields.get("availability", ""),
            "condition": fields.get("condition", ""),
            "url": fields.get("link", ""),
            "image_url": images[0] if images else "",
            "additional_image_urls": images[1:],
            "brand": fields.get("brand", ""),
            "inventory": fields.get("inventory", 0),
            "product_type": fields.get("product_type", ""),
            "product_catalog": {"id": catalog.catalog_id, "name": catalog.name},
            "visibility": "published",
            "review_status": "approved",
            "image_fetch_status": "FETCHED",
        }

    async def _catalog_products(self, request: web.Request) -> web.Response:
        grant = self._grant(request, any_of=("catalog_management",))
        catalog = self._catalog(grant, request.match_info["node"], "GET")
        wanted = self._fields(request, PRODUCT_FIELDS, "id", "ProductItem")
        keep = self._product_filter(request.query.get("filter"))
        rows = []
        for product in self.products.values():
            if product.catalog_id == catalog.catalog_id and not product.deleted:
                values = self._product_values(product)
                if keep(values):
                    rows.append({name: values[name] for name in wanted})
        return self._paged(request, rows)

    @staticmethod
    def _product_filter(raw: str | None) -> Any:
        """The `filter` param: {"retailer_id"|"availability": {"eq": v} or {"is_any": [...]}}."""
        if raw is None:
            return lambda values: True
        invalid = GraphError(400, 100, "(#100) Param filter must be a valid JSON filter")
        try:
            rule = json.loads(raw)
        except ValueError:
            raise invalid from None
        if not isinstance(rule, dict) or len(rule) != 1:
            raise invalid
        (name, condition), = rule.items()
        if name not in ("retailer_id", "availability") or not isinstance(condition, dict):
            raise invalid
        if set(condition) == {"eq"}:
            return lambda values: values[name] == condition["eq"]
        if set(condition) == {"is_any"} and isinstance(condition["is_any"], list):
            return lambda values: values[name] in condition["is_any"]
        raise invalid

    def _visible_product(self, grant: Grant, product_id: str, method: str) -> Product:
        product = self.store.visible_product(grant.account.account_id, product_id)
        if product is None:
            raise _missing_object(product_id, method)
        return product

    async def _get_product(self, request: web.Request) -> web.Response:
        grant = self._grant(request, any_of=("catalog_management",))
        product = self._visible_product(grant, request.match_info["node"], "GET")
        wanted = self._fields(request, PRODUCT_FIELDS, "id", "ProductItem")
        values = self._product_values(product)
        return web.json_response({name: values[name] for name in wanted})

    async def _delete_product(self, request: web.Request) -> web.Response:
        grant = self._grant(request, any_of=("catalog_management",))
        self.store.delete(self._visible_product(grant, request.match_info["node"], "DELETE"))
        return web.json_response({"success": True})

    async def _product_page(self, request: web.Request) -> web.Response:
        """The shop page a buyer opens at the URL the adapter returns."""
        product = self.products.get(request.match_info["product_id"])
        if product is None or product.deleted:
            return web.Response(text="This content isn't available right now", status=404)
        values = self._product_values(product)
        shown = {"live": "In stock", "sold": "Sold"}.get(self._status(product), "Out of stock")
        return listing_page(
            marketplace="Facebook",
            title=values["name"],
            price=values["price"],
            status=shown,
            description=values["description"],
            image_urls=[values["image_url"], *values["additional_image_urls"]],
        )
