"""A strict implementation of the OfferUp partner contract (docs/offerup-api.md), over HTTP.

OfferUp has no public listing API, so the contract is ours and this is its reference server: it
refuses everything the document refuses, with the document's status codes and problem types, so
the adapter is tested against the rules a partner must follow rather than against our wishes.

Knowingly simpler than a production partner: state lives in memory, keys and photos are never
purged, and the public page is a plain HTML page rather than offerup.com.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Final

from aiohttp import BodyPartReader, web
from PIL import Image, UnidentifiedImageError

from marketplaces.offerup import OfferUpConfig
from sandbox.kit import (
    Faults,
    Grant,
    Handler,
    ImageStore,
    MarketplaceAccount,
    OAuthClient,
    OAuthProvider,
    SandboxServer,
    TokenRefused,
    listing_page,
)

REALM: Final = "offerup"
PROBLEM_PREFIX: Final = "tag:dealscout.app,2025:offerup/"
SCOPES: Final = ("listings.write", "listings.read", "profile.read")
ACCESS_TTL_SECONDS: Final = 3600
REFRESH_REUSE_INTERVAL_SECONDS: Final = 60  # docs/offerup-api.md §2.4
REFRESH_TTL_SECONDS: Final = 60 * 86_400

TITLE_MAX: Final = 70
DESCRIPTION_MAX: Final = 5000
PHOTOS_MAX: Final = 12
PHOTO_MAX_BYTES: Final = 12 * 1024 * 1024
PHOTO_MIN_SIDE: Final = 400
PHOTO_MAX_PIXELS: Final = 64_000_000
PRICE_MIN_CENTS: Final = 100
PRICE_MAX_CENTS: Final = 100_000_000
CONDITIONS: Final = frozenset({
    "new", "open_box", "reconditioned", "used_like_new", "used_good", "used_fair", "for_parts",
})
LISTING_FIELDS: Final = frozenset({
    "title", "description", "price", "condition", "category_id", "photo_ids", "location",
})
REQUIRED_FIELDS: Final = ("title", "price", "condition", "category_id", "photo_ids", "location")

# (id, name, parent id); a category is a leaf when no other names it as parent
CATEGORY_TREE: Final = (
    ("1", "Electronics & Media", None),
    ("101", "Cell Phones", "1"),
    ("102", "Computers & Tablets", "1"),
    ("103", "Video Games", "1"),
    ("104", "Audio", "1"),
    ("105", "Cameras", "1"),
    ("2", "Home & Garden", None),
    ("201", "Furniture", "2"),
    ("202", "Lamps & Lighting", "2"),
    ("203", "Home Decor", "2"),
    ("204", "Kitchen & Dining", "2"),
    ("205", "Tools", "2"),
    ("3", "Clothing & Shoes", None),
    ("301", "Women's Clothing", "3"),
    ("302", "Men's Clothing", "3"),
    ("303", "Shoes", "3"),
    ("304", "Bags & Accessories", "3"),
    ("4", "Sports & Outdoors", None),
    ("401", "Bicycles", "4"),
    ("402", "Exercise Equipment", "4"),
    ("403", "Camping", "4"),
    ("5", "Collectibles & Art", None),
    ("501", "Art", "5"),
    ("502", "Antiques", "5"),
    ("503", "Trading Cards", "5"),
    ("6", "Baby & Kids", None),
    ("601", "Toys", "6"),
    ("602", "Strollers & Car Seats", "6"),
    ("999", "Other", None),
)
_PARENTS: Final = frozenset(parent for _, _, parent in CATEGORY_TREE if parent)
LEAF_CATEGORIES: Final = frozenset(cid for cid, _, _ in CATEGORY_TREE if cid not in _PARENTS)

_KEY: Final = re.compile(r'^"([A-Za-z0-9._:-]{1,255})"$')
_AMOUNT: Final = re.compile(r"^(0|[1-9][0-9]{0,6})\.[0-9]{2}$")
_ZIP: Final = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")
_LINK: Final = re.compile(r"https?://|www\.", re.IGNORECASE)
_STATUS_LABELS: Final = {"active": "Available", "sold": "Sold", "archived": "No longer available"}


# ── Problem details ───────────────────────────────────────────────────────────────────────────


def problem_response(
    status: int,
    *,
    kind: str | None = None,
    title: str | None = None,
    detail: str = "",
    headers: dict[str, str] | None = None,
    **members: Any,
) -> web.Response:
    """An RFC 9457 problem document; `kind` names one of the contract's own problem types."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_PREFIX}{kind}" if kind else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(members)
    return web.json_response(
        body, status=status, headers=headers, content_type="application/problem+json"
    )


def fault_problem(status: int, _code: str, description: str) -> web.Response:
    """The problem shape for injected 429s and 5xx (the middleware adds Retry-After)."""
    return problem_response(status, detail=description)


class Problem(Exception):
    """Raised by a handler to answer with a problem document."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _invalid(errors: list[dict[str, str]]) -> Problem:
    count = len(errors)
    return Problem(problem_response(
        422,
        kind="validation",
        title="The listing is invalid",
        detail=f"{count} field{'s are' if count > 1 else ' is'} invalid.",
        errors=errors,
    ))


# ── OAuth with refresh-token reuse detection ──────────────────────────────────────────────────


# ── What the sandbox holds ────────────────────────────────────────────────────────────────────


@dataclass
class SandboxPhoto:
    id: str
    account_id: str
    digest: str
    width: int
    height: int
    url: str


@dataclass
class SandboxListing:
    """One listing as the partner stores it; tests read these."""

    id: str
    account_id: str
    title: str
    description: str
    price: str  # "25.00"
    currency: str
    condition: str
    category_id: str
    photo_ids: list[str]
    location: dict[str, Any]
    url: str
    status: str = "active"  # active, sold, archived
    created_at: str = field(default_factory=lambda: _now())
    updated_at: str = field(default_factory=lambda: _now())
    image_urls: list[str] = field(default_factory=list)


@dataclass
class _KeyRecord:
    body: dict[str, Any]
    listing_id: str


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


DEMO_ACCOUNTS: Final = (
    MarketplaceAccount("ou-4471", "Maya's Mid-Century Finds", {
        "city": "Tacoma, WA", "member_since": "2019-04-02", "posting_blocked": None,
    }),
    MarketplaceAccount("ou-8820", "Garage Gold Resale", {
        "city": "Fresno, CA", "member_since": "2021-09-17", "posting_blocked": None,
    }),
    MarketplaceAccount("ou-1093", "Dev Patel", {
        "city": "Austin, TX", "member_since": "2025-01-08", "posting_blocked": "phone_unverified",
    }),
)


# ── Request validation ────────────────────────────────────────────────────────────────────────


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


# ── The server ────────────────────────────────────────────────────────────────────────────────


class OfferUpSandbox(SandboxServer):
    """The partner endpoint: OAuth, /v1 API, images and public listing pages on one origin."""

    def __init__(
        self,
        *,
        redirect_uris: tuple[str, ...] = ("http://127.0.0.1/oauth/offerup/callback",),
        client_id: str = "dealscout-offerup-sandbox",
        client_secret: str | None = None,
        access_ttl_seconds: int = ACCESS_TTL_SECONDS,
        refresh_ttl_seconds: int = REFRESH_TTL_SECONDS,
        accounts: tuple[MarketplaceAccount, ...] = DEMO_ACCOUNTS,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.oauth = OAuthProvider(
            name="OfferUp",
            clients=[OAuthClient(client_id, self.client_secret, redirect_uris)],
            accounts=accounts,
            scopes=SCOPES,
            access_ttl_seconds=access_ttl_seconds,
            refresh_ttl_seconds=refresh_ttl_seconds,
            pkce_required=True,
            rotate_refresh_tokens=True,
            detect_refresh_reuse=True,
            refresh_reuse_interval_seconds=REFRESH_REUSE_INTERVAL_SECONDS,
            client_auth=frozenset({"client_secret_basic"}),
        )
        self.faults = Faults()
        self.images = ImageStore()
        self.listings: dict[str, SandboxListing] = {}
        self.photos: dict[str, SandboxPhoto] = {}
        self.api_calls: Counter[str] = Counter()  # "POST /v1/listings" → count, for tests
        self._photo_by_digest: dict[tuple[str, str], str] = {}
        self._keys: dict[tuple[str, str], _KeyRecord] = {}
        self._in_flight: set[tuple[str, str]] = set()
        self.app.middlewares.extend([
            self._count,
            self.faults.middleware(_is_api, fault_problem),
            self._problems,
        ])
        self._routes()

    def _routes(self) -> None:
        router = self.app.router
        router.add_get("/oauth/authorize", self.oauth.authorize_page)
        router.add_post("/oauth/authorize", self.oauth.decide)
        router.add_post("/oauth/token", self.oauth.token_endpoint)
        router.add_post("/oauth/revoke", self.oauth.revoke_endpoint)
        router.add_get("/v1/me", self.me)
        router.add_get("/v1/categories", self.categories)
        router.add_post("/v1/photos", self.upload_photo)
        router.add_post("/v1/listings", self.create_listing)
        router.add_get("/v1/listings/{listing_id}", self.get_listing)
        router.add_patch("/v1/listings/{listing_id}", self.patch_listing)
        router.add_delete("/v1/listings/{listing_id}", self.archive_listing)
        router.add_post("/v1/listings/{listing_id}/mark_sold", self.mark_sold)
        router.add_get("/images/{image_id}", self.images.serve)
        router.add_get("/item/detail/{listing_id}", self.public_page)

    # ── for tests, the demo and the engine's tests ──

    def adapter_config(self, redirect_uri: str) -> OfferUpConfig:
        """A config pointing every URL here. The redirect URI is registered for the client if
        it is not yet, as an operator would in the partner's developer console."""
        self.oauth.register_redirect(self.client_id, redirect_uri)
        return OfferUpConfig.for_partner(
            self.url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=redirect_uri,
        )

    def sell(self, external_id: str) -> None:
        """A buyer bought the item on OfferUp."""
        self._set_status(external_id, "sold")

    def end(self, external_id: str) -> None:
        """The seller archived the listing in the OfferUp app."""
        self._set_status(external_id, "archived")

    def restrict(self, account_id: str, reason: str | None) -> None:
        """Block (phone_unverified, suspended) or, with None, allow posting for an account."""
        self.oauth.accounts[account_id].details["posting_blocked"] = reason

    def _set_status(self, external_id: str, status: str) -> None:
        listing = self.listings[external_id]
        listing.status = status
        listing.updated_at = _now()

    # ── middlewares ──

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if _is_api(request):
            route = request.match_info.route.resource
            path = route.canonical if route is not None else request.path
            self.api_calls[f"{request.method} {path}"] += 1
        return await handler(request)

    @web.middleware
    async def _problems(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every /v1 error as a problem document, including aiohttp's own 404 and 405."""
        try:
            return await handler(request)
        except Problem as problem:
            return problem.response
        except web.HTTPException as exc:
            if not _is_api(request) or exc.status < 400:
                raise
            return problem_response(exc.status, detail=exc.reason)

    # ── authentication ──

    def _grant(self, request: web.Request, scope: str) -> Grant:
        """The caller's grant, or the RFC 6750 challenge the contract specifies."""
        try:
            return self.oauth.grant_for(self.oauth.bearer(request), scope=scope)
        except TokenRefused as refused:
            raise Problem(_token_problem(refused.reason, scope)) from None

    # ── /v1/me and categories ──

    async def me(self, request: web.Request) -> web.Response:
        account = self._grant(request, "profile.read").account
        blocked = account.details.get("posting_blocked")
        return web.json_response({
            "id": account.account_id,
            "display_name": account.display_name,
            "city": account.details.get("city"),
            "member_since": account.details.get("member_since"),
            "posting": {"allowed": blocked is None, "reason": blocked},
        })

    async def categories(self, request: web.Request) -> web.Response:
        self._grant(request, "listings.read")
        items = [
            {"id": cid, "name": name, "parent_id": parent, "leaf": cid in LEAF_CATEGORIES}
            for cid, name, parent in CATEGORY_TREE
        ]
        return web.json_response(
            {"categories": items}, headers={"Cache-Control": "max-age=86400"}
        )

    # ── photos ──

    async def upload_photo(self, request: web.Request) -> web.Response:
        account_id = self._grant(request, "listings.write").account.account_id
        if request.content_type != "multipart/form-data":
            raise Problem(problem_response(415, detail="Send the photo as multipart/form-data."))
        data = await _read_file_part(request)
        try:
            width, height = await asyncio.to_thread(_jpeg_size, data)
        except ValueError as exc:
            raise Problem(problem_response(415, detail=str(exc))) from None
        if min(width, height) < PHOTO_MIN_SIDE:
            raise _invalid([{
                "field": "file",
                "message": f"must be at least {PHOTO_MIN_SIDE} pixels on each side "
                f"(this one is {width}×{height})",
            }])
        if width * height > PHOTO_MAX_PIXELS:
            raise _invalid([{"field": "file", "message": "must be at most 64 megapixels"}])
        digest = hashlib.sha256(data).hexdigest()
        existing = self._photo_by_digest.get((account_id, digest))
        if existing is not None:
            return web.json_response(_photo_json(self.photos[existing]), status=200)
        image_id = self.images.put(data, "image/jpeg")
        photo = SandboxPhoto(
            id=f"ph_{image_id}",
            account_id=account_id,
            digest=digest,
            width=width,
            height=height,
            url=f"{self.url}/images/{image_id}",
        )
        self.photos[photo.id] = photo
        self._photo_by_digest[(account_id, digest)] = photo.id
        return web.json_response(_photo_json(photo), status=201)

    def _photos_of(self, account_id: str) -> set[str]:
        return {pid for pid, photo in self.photos.items() if photo.account_id == account_id}

    # ── listings ──

    async def create_listing(self, request: web.Request) -> web.Response:
        account = self._grant(request, "listings.write").account
        key = (account.account_id, _idempotency_key(request))
        if key in self._in_flight:
            raise Problem(problem_response(
                409,
                kind="idempotency-key-in-flight",
                title="A request is outstanding for this Idempotency-Key",
                detail="A request with the same Idempotency-Key is still being processed.",
            ))
        self._in_flight.add(key)
        try:
            body = await _json_object(request, ("application/json",))
        finally:
            self._in_flight.discard(key)
        record = self._keys.get(key)
        if record is not None:
            return self._replay(record, body)
        blocked = account.details.get("posting_blocked")
        if blocked is not None:
            raise Problem(problem_response(
                403,
                kind="account-restricted",
                title="This account may not post",
                detail="The member must resolve this in the OfferUp app.",
                reason=blocked,
            ))
        errors = ListingValidator(self._photos_of(account.account_id)).check(body, partial=False)
        if errors:
            raise _invalid(errors)
        listing = self._store(account.account_id, body)
        self._keys[key] = _KeyRecord(body=body, listing_id=listing.id)
        return web.json_response(
            self._listing_json(listing),
            status=201,
            headers={"Location": f"/v1/listings/{listing.id}"},
        )

    def _replay(self, record: _KeyRecord, body: dict[str, Any]) -> web.Response:
        if record.body != body:
            raise Problem(problem_response(
                422,
                kind="idempotency-key-reused",
                title="Idempotency-Key is already used",
                detail="This key created a listing from a different body; PATCH that listing.",
                listing_id=record.listing_id,
            ))
        return web.json_response(self._listing_json(self.listings[record.listing_id]))

    def _store(self, account_id: str, body: dict[str, Any]) -> SandboxListing:
        listing_id = str(secrets.randbelow(9 * 10**9) + 10**9)
        while listing_id in self.listings:
            listing_id = str(secrets.randbelow(9 * 10**9) + 10**9)
        listing = SandboxListing(
            id=listing_id,
            account_id=account_id,
            title="",
            description="",
            price="",
            currency="",
            condition="",
            category_id="",
            photo_ids=[],
            location={},
            url=f"{self.url}/item/detail/{listing_id}",
        )
        self._apply(listing, body)
        self.listings[listing_id] = listing
        return listing

    def _apply(self, listing: SandboxListing, body: dict[str, Any]) -> None:
        if "title" in body:
            listing.title = body["title"].strip()
        if "description" in body:
            listing.description = body["description"]
        if "price" in body:
            listing.price = body["price"]["amount"]
            listing.currency = body["price"]["currency"]
        if "condition" in body:
            listing.condition = body["condition"]
        if "category_id" in body:
            listing.category_id = body["category_id"]
        if "photo_ids" in body:
            listing.photo_ids = list(body["photo_ids"])
            listing.image_urls = [self.photos[pid].url for pid in listing.photo_ids]
        if "location" in body:
            listing.location = dict(body["location"])
        listing.updated_at = _now()

    def _owned(self, request: web.Request, scope: str) -> SandboxListing:
        account_id = self._grant(request, scope).account.account_id
        listing = self.listings.get(request.match_info["listing_id"])
        if listing is None or listing.account_id != account_id:
            raise Problem(problem_response(404, detail="No such listing."))
        return listing

    async def get_listing(self, request: web.Request) -> web.Response:
        return web.json_response(self._listing_json(self._owned(request, "listings.read")))

    async def patch_listing(self, request: web.Request) -> web.Response:
        listing = self._owned(request, "listings.write")
        body = await _json_object(request, ("application/json", "application/merge-patch+json"))
        if listing.status != "active":
            raise _closed(listing)
        errors = ListingValidator(self._photos_of(listing.account_id)).check(body, partial=True)
        if errors:
            raise _invalid(errors)
        self._apply(listing, body)
        return web.json_response(self._listing_json(listing))

    async def archive_listing(self, request: web.Request) -> web.Response:
        listing = self._owned(request, "listings.write")
        if listing.status == "sold":
            raise _closed(listing)
        if listing.status != "archived":
            self._set_status(listing.id, "archived")
        return web.Response(status=204)

    async def mark_sold(self, request: web.Request) -> web.Response:
        listing = self._owned(request, "listings.write")
        if listing.status == "archived":
            raise _closed(listing)
        if listing.status != "sold":
            self._set_status(listing.id, "sold")
        return web.json_response(self._listing_json(listing))

    def _listing_json(self, listing: SandboxListing) -> dict[str, Any]:
        return {
            "id": listing.id,
            "title": listing.title,
            "description": listing.description,
            "price": {"amount": listing.price, "currency": listing.currency},
            "condition": listing.condition,
            "category_id": listing.category_id,
            "photos": [{"id": pid, "url": self.photos[pid].url} for pid in listing.photo_ids],
            "location": listing.location,
            "status": listing.status,
            "url": listing.url,
            "created_at": listing.created_at,
            "updated_at": listing.updated_at,
        }

    # ── the buyer's page ──

    async def public_page(self, request: web.Request) -> web.Response:
        listing = self.listings.get(request.match_info["listing_id"])
        if listing is None:
            raise web.HTTPNotFound(text="This item does not exist.")
        return listing_page(
            marketplace="OfferUp",
            title=listing.title,
            price=f"${listing.price}",
            status=_STATUS_LABELS[listing.status],
            description=listing.description,
            image_urls=listing.image_urls,
        )


# ── Request helpers ───────────────────────────────────────────────────────────────────────────


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/v1/")


def _token_problem(reason: str, scope: str) -> web.Response:
    if reason == "missing":
        return problem_response(
            401,
            detail="An access token is required.",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    if reason == "insufficient_scope":
        return problem_response(
            403,
            detail=f"The access token lacks the {scope} scope.",
            headers={"WWW-Authenticate": (
                f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
            )},
        )
    description = {
        "expired": "The access token expired",
        "revoked": "The access token was revoked",
    }.get(reason, "The access token is invalid")
    return problem_response(
        401,
        detail=f"{description}.",
        headers={"WWW-Authenticate": (
            f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
        )},
    )


def _idempotency_key(request: web.Request) -> str:
    values = request.headers.getall("Idempotency-Key", [])
    match = _KEY.match(values[0]) if len(values) == 1 else None
    if match is None:
        raise Problem(problem_response(
            400,
            kind="idempotency-key-missing",
            title="Idempotency-Key is missing",
            detail='Send one Idempotency-Key header, a quoted string like "listing:lamp-1".',
        ))
    return match.group(1)


async def _json_object(request: web.Request, content_types: tuple[str, ...]) -> dict[str, Any]:
    if request.content_type not in content_types:
        raise Problem(problem_response(415, detail=f"Send {' or '.join(content_types)}."))
    try:
        body = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):
        raise Problem(problem_response(400, detail="The body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise Problem(problem_response(400, detail="The body must be a JSON object."))
    return body


async def _read_file_part(request: web.Request) -> bytes:
    """The `file` part, read no further than the size limit."""
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name != "file":
            continue
        if part.headers.get("Content-Type", "").split(";")[0].strip() != "image/jpeg":
            raise Problem(problem_response(415, detail="The photo must be image/jpeg."))
        data = bytearray()
        while chunk := await part.read_chunk(256 * 1024):
            data.extend(chunk)
            if len(data) > PHOTO_MAX_BYTES:
                raise Problem(problem_response(413, detail="A photo may be at most 12 MB."))
        return bytes(data)
    raise _invalid([{"field": "file", "message": "is required: send the photo in a part "
                     "named file"}])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height of a complete JPEG; ValueError for anything else."""
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                return image.width, image.height
            image.load()
            return image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValueError("The photo is not a readable JPEG.") from None


def _photo_json(photo: SandboxPhoto) -> dict[str, Any]:
    return {"id": photo.id, "url": photo.url, "width": photo.width, "height": photo.height}


def _closed(listing: SandboxListing) -> Problem:
    return Problem(problem_response(
        409,
        kind="listing-closed",
        title="The listing is closed",
        detail=f"The listing is {listing.status} and cannot change.",
    ))
