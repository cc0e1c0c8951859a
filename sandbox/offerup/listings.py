"""Listings: create (exactly once per Idempotency-Key), read, patch, archive and mark sold, on
the listings each account owns."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from sandbox.kit import OAuthProvider
from sandbox.offerup.api import PartnerApi
from sandbox.offerup.photos import PhotosApi
from sandbox.offerup.problems import Problem, invalid, problem_response
from sandbox.offerup.validation import ListingValidator

_KEY: Final = re.compile(r'^"([A-Za-z0-9._:-]{1,255})"$')


def now() -> str:
    """A timestamp as the contract writes it: UTC, whole seconds, a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    image_urls: list[str] = field(default_factory=list)


@dataclass
class _KeyRecord:
    body: dict[str, Any]
    listing_id: str


class ListingsApi(PartnerApi):
    """/v1/listings and /v1/listings/{id}, with mark_sold."""

    def __init__(self, oauth: OAuthProvider, base_url: Callable[[], str],
                 photos: PhotosApi) -> None:
        super().__init__(oauth, base_url)
        self.listings: dict[str, SandboxListing] = {}
        self._photos = photos
        self._keys: dict[tuple[str, str], _KeyRecord] = {}
        self._in_flight: set[tuple[str, str]] = set()

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/listings", self.create_listing)
        router.add_get("/v1/listings/{listing_id}", self.get_listing)
        router.add_patch("/v1/listings/{listing_id}", self.patch_listing)
        router.add_delete("/v1/listings/{listing_id}", self.archive_listing)
        router.add_post("/v1/listings/{listing_id}/mark_sold", self.mark_sold)

    def set_status(self, listing_id: str, status: str) -> None:
        """active, sold or archived, as of now."""
        listing = self.listings[listing_id]
        listing.status = status
        listing.updated_at = now()

    async def create_listing(self, request: web.Request) -> web.Response:
        account = self.grant(request, "listings.write").account
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
        owned = self._photos.photos_of(account.account_id)
        errors = ListingValidator(owned).check(body, partial=False)
        if errors:
            raise invalid(errors)
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
            url=f"{self.base_url()}/item/detail/{listing_id}",
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
            listing.image_urls = [self._photos.photos[pid].url for pid in listing.photo_ids]
        if "location" in body:
            listing.location = dict(body["location"])
        listing.updated_at = now()

    def _owned(self, request: web.Request, scope: str) -> SandboxListing:
        account_id = self.grant(request, scope).account.account_id
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
        owned = self._photos.photos_of(listing.account_id)
        errors = ListingValidator(owned).check(body, partial=True)
        if errors:
            raise invalid(errors)
        self._apply(listing, body)
        return web.json_response(self._listing_json(listing))

    async def archive_listing(self, request: web.Request) -> web.Response:
        listing = self._owned(request, "listings.write")
        if listing.status == "sold":
            raise _closed(listing)
        if listing.status != "archived":
            self.set_status(listing.id, "archived")
        return web.Response(status=204)

    async def mark_sold(self, request: web.Request) -> web.Response:
        listing = self._owned(request, "listings.write")
        if listing.status == "archived":
            raise _closed(listing)
        if listing.status != "sold":
            self.set_status(listing.id, "sold")
        return web.json_response(self._listing_json(listing))

    def _listing_json(self, listing: SandboxListing) -> dict[str, Any]:
        return {
            "id": listing.id,
            "title": listing.title,
            "description": listing.description,
            "price": {"amount": listing.price, "currency": listing.currency},
            "condition": listing.condition,
            "category_id": listing.category_id,
            "photos": [{"id": pid, "url": self._photos.photos[pid].url}
                       for pid in listing.photo_ids],
            "location": listing.location,
            "status": listing.status,
            "url": listing.url,
            "created_at": listing.created_at,
            "updated_at": listing.updated_at,
        }


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


def _closed(listing: SandboxListing) -> Problem:
    return Problem(problem_response(
        409,
        kind="listing-closed",
        title="The listing is closed",
        detail=f"The listing is {listing.status} and cannot change.",
    ))
