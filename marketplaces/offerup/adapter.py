"""OfferUp, through the partner listing contract in docs/offerup-api.md.

OfferUp has no public listing API, so this adapter speaks a contract of our own built from
standards (OAuth 2 with PKCE and rotating refresh tokens, RFC 7009 revocation, RFC 9457 problem
details, the Idempotency-Key header). Whoever implements it is plugged in by configuration:
OFFERUP_API_BASE and, where they differ, the OAuth endpoint URLs.

Two things shape the code below:

- Idempotency. A publish sends `Idempotency-Key` derived from the listing's SKU, and uploads
  photos that the partner identifies by their content, so a retry after a crash sends the same
  body and gets the same listing back. A changed listing under a used key is patched instead.
- Refresh-token rotation with reuse detection. Presenting a refresh token twice revokes the
  whole grant, so concurrent refreshes of one connection share a single token call
  (`refresh.RefreshOnce`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx

from marketplaces import oauth_client
from marketplaces.adapter import ApiMarketplace
from marketplaces.base import Account, Listing, ListingStatus, Published, Tokens
from marketplaces.http import ApiClient, json_object, make_client, required
from marketplaces.offerup.categories import OTHER_CATEGORY_ID, Categories
from marketplaces.offerup.config import NAME, OfferUpConfig
from marketplaces.offerup.errors import Problem, api_error, restricted, upload_error, withdraw_error
from marketplaces.offerup.listing import (
    RULES,
    check_photos,
    idempotency_key,
    listing_body,
    location,
    published,
    same_listing,
    status_of,
)
from marketplaces.offerup.refresh import RefreshOnce
from marketplaces.photos import prepare_to_publish


class OfferUpMarketplace(ApiMarketplace):
    """Lists on OfferUp through a partner endpoint; see the module docstring for why."""

    rules = RULES

    def __init__(self, config: OfferUpConfig) -> None:
        timeout = httpx.Timeout(config.timeout_seconds, connect=min(5.0, config.timeout_seconds))
        client = make_client(f"{config.api_base.rstrip('/')}/", timeout=timeout)
        super().__init__(config.oauth_settings(), ApiClient(NAME, client, api_error, ok=(200,)))
        self.config = config
        self._refreshes = RefreshOnce()
        self._categories = Categories(config.category_cache_seconds)

    # ── connecting (the consent link: ApiMarketplace.authorization_url, PKCE required) ──

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> Tokens:
        """Code + PKCE verifier → tokens; a used or mismatched code raises NeedsReconnect."""
        if not code_verifier:
            raise ValueError("OfferUp requires PKCE: pass the code verifier")
        payload = await oauth_client.exchange_code(NAME, self.oauth, code, code_verifier)
        return oauth_client.tokens_from_response(payload)

    async def refresh(self, tokens: Tokens) -> Tokens:
        """New tokens, including the rotated refresh token the caller must store at once."""
        refresh_token = oauth_client.live_refresh_token(NAME, tokens)
        return await self._refreshes.run(
            refresh_token, lambda: self._refresh_now(tokens, refresh_token)
        )

    async def _refresh_now(self, tokens: Tokens, refresh_token: str) -> Tokens:
        payload = await oauth_client.refresh(NAME, self.oauth, refresh_token)
        previous = tokens
        if not payload.get("refresh_token"):
            # The presented refresh token is spent either way; keeping it would make the next
            # refresh a reuse, which revokes the grant. Without one, the seller reconnects.
            previous = dataclasses.replace(tokens, refresh_token=None, refresh_expires_at=None)
        return oauth_client.tokens_from_response(payload, previous=previous)

    async def revoke(self, tokens: Tokens) -> None:
        """RFC 7009: revoking the refresh token (or else the access token) ends the grant."""
        if tokens.refresh_token:
            await oauth_client.revoke(NAME, self.oauth, tokens.refresh_token, "refresh_token")
        else:
            await oauth_client.revoke(NAME, self.oauth, tokens.access_token, "access_token")

    async def whoami(self, tokens: Tokens) -> Account:
        me = await self._me(tokens)
        user_id = required(NAME, me, "id")
        return Account(NAME, user_id, str(me.get("display_name") or user_id))

    async def prepare_account(self, tokens: Tokens) -> Tokens:
        """Nothing to set up on OfferUp, but an account that may not post is told why now,
        rather than at the first listing. Tokens come back unchanged."""
        me = await self._me(tokens)
        posting = me.get("posting") or {}
        if not posting.get("allowed", False):
            raise restricted(str(posting.get("reason", "")))
        return tokens

    async def _me(self, tokens: Tokens) -> dict[str, Any]:
        return await self._api.json("GET", "/v1/me", token=tokens.access_token)

    # ── listing ──

    async def publish(self, tokens: Tokens, listing: Listing) -> Published:
        """Create the listing once per SKU; a retry returns it, a changed listing patches it."""
        where = location(listing)
        check_photos(listing)
        category_id = await self._category_id(tokens, listing)
        photo_ids = await self._upload_photos(tokens, listing.photos[: RULES.photo_max])
        body = listing_body(listing, where, category_id, photo_ids)
        key = idempotency_key(listing)
        response = await self._api.call(
            "POST", "/v1/listings", token=tokens.access_token, ok=(200, 201), tolerate=(422,),
            json=body, headers={"Idempotency-Key": f'"{key}"'}, repeatable=True,
        )
        if response.status_code != 422:
            return published(json_object(NAME, response))
        problem = Problem.read(response)  # the key's listing differs from `body`: patch it
        if problem.kind == "idempotency-key-reused" and problem.members.get("listing_id"):
            return await self._update(tokens, str(problem.members["listing_id"]), body)
        raise api_error(response)

    async def _update(self, tokens: Tokens, external_id: str, body: dict[str, Any]) -> Published:
        """Bring the listing this SKU created in line with `body`, unless it already is."""
        path, token = f"/v1/listings/{external_id}", tokens.access_token
        current = await self._api.json("GET", path, token=token)
        if same_listing(current, body):
            return published(current)
        return published(await self._api.json("PATCH", path, token=token, json=body))

    async def withdraw(self, tokens: Tokens, external_id: str) -> None:
        """Archive the listing; one that no longer exists counts as withdrawn."""
        await self._api.call(
            "DELETE", f"/v1/listings/{external_id}", token=tokens.access_token,
            ok=(204, 404), errors=withdraw_error,
        )

    async def status(self, tokens: Tokens, external_id: str) -> ListingStatus:
        """Live, sold or ended; a listing OfferUp no longer knows is ended."""
        response = await self._api.call(
            "GET", f"/v1/listings/{external_id}", token=tokens.access_token, tolerate=(404,)
        )
        if response.status_code == 404:
            return ListingStatus.ENDED
        return status_of(json_object(NAME, response))

    # ── pieces of a publish ──

    async def _category_id(self, tokens: Tokens, listing: Listing) -> str:
        """The seller's explicit OfferUp category, else a leaf of the same name, else Other."""
        explicit = listing.category_ids.get(NAME)
        if explicit:
            return explicit
        if not listing.category:
            return OTHER_CATEGORY_ID

        async def fetch() -> dict[str, Any]:
            return await self._api.json("GET", "/v1/categories", token=tokens.access_token)

        return await self._categories.lookup(listing.category, fetch) or OTHER_CATEGORY_ID

    async def _upload_photos(self, tokens: Tokens, originals: tuple[bytes, ...]) -> list[str]:
        prepared = await asyncio.gather(*(prepare_to_publish(photo, RULES) for photo in originals))
        return list(await asyncio.gather(*(self._upload(tokens, data) for data in prepared)))

    async def _upload(self, tokens: Tokens, data: bytes) -> str:
        response = await self._api.call(
            "POST", "/v1/photos", token=tokens.access_token, ok=(200, 201), errors=upload_error,
            files={"file": ("photo.jpg", data, "image/jpeg")},
            repeatable=True,  # at worst an unused copy of the picture
        )
        return required(NAME, json_object(NAME, response), "id")
