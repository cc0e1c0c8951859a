"""eBay through its public Sell APIs: Inventory, Account, Fulfillment, plus Media, Taxonomy and
Identity from the Commerce family.

Publishing one `Listing` is, in eBay's own order: every photo uploaded to eBay Picture Services
(Media API, at the same time as the inventory location and the look-up of the SKU's offer), the
inventory item written under the listing's SKU, the one offer for that SKU created or replaced,
and the offer published. Every step is keyed by the SKU, so a retry after a
crash finds what the first attempt made and ends with the same single listing.

Decisions, and why (account set-up, photos and categories: see `account`, `pictures` and
`taxonomy`):

- `external_id` is the offer id. Withdraw and status work on the offer; the offer tells the
  listing id, which the public URL (`{web}/itm/{listingId}`) and sold detection use.
- Category: `listing.category_ids["ebay"]` when the bot has it, else eBay's first suggestion for
  the seller's category words (or the title). What a category takes (its conditions, its item
  specifics) the bot asks eBay through `conditions_for` and `aspects_for` before posting.
- A price change goes through bulkUpdatePriceQuantity: no photo is sent again, nothing is
  re-published, and one of the listing's daily revisions is all it costs.
- getOffers answers 404 when the SKU has no offer yet, and 400 with 25707 when it has no
  inventory item yet: both read as "no offer", so the look-up runs beside the photo uploads.
- Sold means sold out: a listing still ACTIVE is live even after a partial sale of a multi-unit
  listing; once it is no longer active, an order for it (Fulfillment API, last 90 days, which is
  all eBay's order search allows) or a sold quantity on the offer makes it sold, else ended.
- eBay has no PKCE and no revocation endpoint for user tokens, and never rotates refresh tokens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from marketplaces import oauth_client
from marketplaces.adapter import ApiMarketplace
from marketplaces.base import (
    Account,
    Listing,
    ListingStatus,
    MarketplaceError,
    Published,
    Tokens,
    safe_sku,
)
from marketplaces.capabilities import (
    AspectSpec,
    CategoryChoice,
    ConditionChoice,
    PriceRange,
    Pushed,
)
from marketplaces.ebay.account import SellerAccount
from marketplaces.ebay.app_token import ApplicationToken
from marketplaces.ebay.browse import Comps
from marketplaces.ebay.config import FULFILLMENT, INVENTORY, NAME, USER_SCOPES, EbayConfig
from marketplaces.ebay.errors import (
    NO_SUCH_SKU,
    OFFER_EXISTS,
    OFFER_NOT_AVAILABLE,
    error_from,
    has_error,
    problems_in,
    problems_of,
    rejection,
)
from marketplaces.ebay.listing import (
    RULES,
    check_photo_count,
    inventory_item,
    nearest_condition,
    offer_details,
)
from marketplaces.ebay.notifications import Notifications
from marketplaces.ebay.pictures import Pictures
from marketplaces.ebay.taxonomy import Taxonomy
from marketplaces.http import ApiClient, json_object, make_client, required

log = logging.getLogger(__name__)

ORDER_LOOKBACK: Final = timedelta(days=89)  # eBay's getOrders filter reaches back 90 days at most
ORDER_PAGE: Final = 200


class EbayMarketplace(ApiMarketplace):
    """The `Marketplace` protocol for eBay, with the capabilities only eBay has here:
    `CategorySuggestions`, `CategoryRequirements`, `PriceComps`, `PriceUpdates`, `Packages`,
    `PushNotifications` and `OrderLookup`. One shared HTTP client for every eBay host."""

    rules = RULES

    def __init__(self, config: EbayConfig) -> None:
        client = make_client(config.api_base_url, headers={
            "Accept": "application/json",
            "Accept-Language": config.content_language,
            "X-EBAY-C-MARKETPLACE-ID": config.marketplace_id,
        })
        super().__init__(config.oauth_settings(), ApiClient(NAME, client, error_from, ok=(200,)))
        self.config = config
        self._language = {"Content-Language": config.content_language}
        self._account = SellerAccount(self._api, config)
        self._pictures = Pictures(self._api, config.media_base_url)
        app_token = ApplicationToken(self.oauth)
        self._taxonomy = Taxonomy(self._api, app_token, config.marketplace_id)
        self._comps = Comps(self._api, app_token)
        self._notifications = Notifications(self._api, app_token, config)

    # ── OAuth (the consent link: ApiMarketplace.authorization_url; eBay takes no PKCE) ──

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> Tokens:
        payload = await oauth_client.exchange_code(NAME, self.oauth, code)
        return oauth_client.tokens_from_response(self._with_scope(payload, None))

    async def refresh(self, tokens: Tokens) -> Tokens:
        """A new access token; eBay keeps the refresh token (about 18 months), so it is kept."""
        refresh_token = oauth_client.live_refresh_token(NAME, tokens)
        payload = await oauth_client.refresh(NAME, self.oauth, refresh_token)
        return oauth_client.tokens_from_response(
            self._with_scope(payload, tokens), previous=tokens
        )

    async def revoke(self, tokens: Tokens) -> None:
        """Nothing to call: eBay offers no revocation endpoint for user tokens. The seller
        removes the app under eBay's Account → Permissions; we forget the tokens locally."""

    @staticmethod
    def _with_scope(payload: dict[str, Any], previous: Tokens | None) -> dict[str, Any]:
        """eBay's token responses omit `scope`; the grant holds what we asked for."""
        scope = payload.get("scope") or (previous.scope if previous else None)
        return {**payload, "scope": scope or " ".join(USER_SCOPES)}

    # ── Account ──

    async def whoami(self, tokens: Tokens) -> Account:
        return await self._account.whoami(tokens)

    async def prepare_account(self, tokens: Tokens) -> Tokens:
        """Business policies and, with `extra["postal_code"]`, an inventory location (see
        `SellerAccount.prepare`); then the seller's sales subscribed, so eBay pushes them."""
        prepared = await self._account.prepare(tokens)
        await self.subscribe_seller(prepared)
        return prepared

    async def subscribe_seller(self, tokens: Tokens) -> bool:
        """ORDER_CONFIRMATION for this seller, pushed to us; False when eBay would not (the
        status poll still notices the sale, only later)."""
        try:
            await self._notifications.subscribe_seller(tokens)
        except MarketplaceError as exc:
            log.warning("subscribing an eBay seller to sales pushes failed: %s", exc)
            return False
        return True

    def needs_package(self, account_extra: Mapping[str, str]) -> bool:
        """A seller whose shipping policy calculates the cost must give each item's parcel."""
        return account_extra.get("calculated_shipping") == "yes"

    # ── Publishing ──

    async def publish(self, tokens: Tokens, listing: Listing) -> Published:
        """Create or update the one eBay listing for `listing.sku`.

        What depends on nothing else runs at once (the seller's policies, the inventory
        location, the photo uploads, the look-up of an existing offer); then the three calls
        that each need the one before, in eBay's order: four round trips to eBay, not eight."""
        token = tokens.access_token
        check_photo_count(listing)
        category_id = listing.category_ids.get(NAME) or await self._taxonomy.category_for(listing)
        listing = await self._with_condition(listing, category_id)
        sku = safe_sku(listing.sku)
        try:
            async with asyncio.TaskGroup() as group:  # one failure cancels the others
                policies_task = group.create_task(self._account.policies(tokens))
                location_task = group.create_task(self._account.location_for(tokens, listing))
                images_task = group.create_task(self._pictures.upload_all(token, listing.photos))
                offer_task = group.create_task(self._offer_id(token, sku))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        policies, location = policies_task.result(), location_task.result()
        image_urls, offer_id = images_task.result(), offer_task.result()
        await self._api.call(
            "PUT", f"{INVENTORY}/inventory_item/{sku}", token=token, ok=(200, 201, 204),
            json=inventory_item(listing, image_urls), headers=self._language,
        )
        details = offer_details(listing, category_id, policies, location)
        if offer_id is None:
            offer_id = await self._create_offer(token, sku, details)
        else:
            await self._update_offer(token, offer_id, details)
        body = await self._api.json(  # publishing a live offer again revises it: no second item
            "POST", f"{INVENTORY}/offer/{offer_id}/publish", token=token, repeatable=True
        )
        return Published(NAME, offer_id, self.listing_url(required(NAME, body, "listingId")))

    async def _with_condition(self, listing: Listing, category_id: str) -> Listing:
        """A listing no eBay condition was chosen for (eBay's list was unavailable in chat, or
        the category was found only now) gets the category's condition nearest to ours."""
        if listing.condition_ids.get(NAME):
            return listing
        try:
            allowed = await self._taxonomy.conditions(category_id)
        except MarketplaceError as exc:  # then our own condition's usual eBay word
            log.warning("conditions of eBay category %s unavailable: %s", category_id, exc)
            return listing
        chosen = nearest_condition(allowed, listing.condition)
        if chosen is None:
            return listing
        return replace(listing, condition_ids={**listing.condition_ids, NAME: chosen})

    def listing_url(self, listing_id: str) -> str:
        return f"{self.config.web_base_url}/itm/{listing_id}"

    async def _offer_id(self, token: str, sku: str) -> str | None:
        """The existing offer for this SKU on our marketplace, if any. getOffers answers 404
        for a SKU without one, and 400 with 25707 for a SKU with no inventory item yet (asked
        before the item is written, on a first publish): no item, no offer."""
        response = await self._api.call(
            "GET", f"{INVENTORY}/offer", token=token, tolerate=(404, 400),
            params={"sku": sku, "marketplace_id": self.config.marketplace_id},
        )
        if response.status_code == 404:
            return None
        if response.status_code == 400:
            if has_error(response, NO_SUCH_SKU):
                return None
            raise error_from(response)
        ours = self.config.marketplace_id
        for offer in json_object(NAME, response).get("offers") or []:
            if offer.get("offerId") and offer.get("marketplaceId", ours) == ours:
                return str(offer["offerId"])
        return None

    async def _create_offer(self, token: str, sku: str, details: dict[str, Any]) -> str:
        body = {
            "sku": sku,
            "marketplaceId": self.config.marketplace_id,
            "format": "FIXED_PRICE",
            **details,
        }
        response = await self._api.call(
            "POST", f"{INVENTORY}/offer", token=token, ok=(201, 200), tolerate=(400,), json=body,
            headers=self._language,
            repeatable=True,  # a second create names the existing offer
        )
        if response.status_code in (200, 201):
            return required(NAME, json_object(NAME, response), "offerId")
        # Another attempt created it meanwhile: eBay names the existing offer; use that one.
        existing = next(
            (p.parameters.get("offerId") for p in problems_of(response)
             if p.error_id == OFFER_EXISTS and p.parameters.get("offerId")),
            None,
        )
        if existing is None:
            raise error_from(response)
        await self._update_offer(token, existing, details)
        return existing

    async def _update_offer(self, token: str, offer_id: str, details: dict[str, Any]) -> None:
        await self._api.call(
            "PUT", f"{INVENTORY}/offer/{offer_id}", token=token, ok=(200, 204), json=details,
            headers=self._language,
        )

    # ── After publishing ──

    async def update_price(self, tokens: Tokens, external_id: str, listing: Listing) -> None:
        """The live listing's new price, revised in place (bulkUpdatePriceQuantity)."""
        body = await self._api.json(
            "POST", f"{INVENTORY}/bulk_update_price_quantity", token=tokens.access_token,
            headers=self._language, repeatable=True,  # the same price twice is one price
            json={"requests": [{
                "sku": safe_sku(listing.sku),
                "offers": [{
                    "offerId": external_id,
                    "availableQuantity": listing.quantity,
                    "price": {"value": listing.price_decimal, "currency": listing.currency},
                }],
            }]},
        )
        for entry in body.get("responses") or []:
            if isinstance(entry, dict) and int(entry.get("statusCode") or 200) >= 400:
                raise rejection(problems_in(entry), int(entry["statusCode"]))

    async def withdraw(self, tokens: Tokens, external_id: str) -> None:
        """End the listing; an offer that is gone or no longer published counts as withdrawn."""
        response = await self._api.call(
            "POST", f"{INVENTORY}/offer/{external_id}/withdraw", token=tokens.access_token,
            tolerate=(400, 404), repeatable=True,
        )
        if response.status_code == 400 and not has_error(response, OFFER_NOT_AVAILABLE):
            raise error_from(response)

    async def status(self, tokens: Tokens, external_id: str) -> ListingStatus:
        token = tokens.access_token
        response = await self._api.call(
            "GET", f"{INVENTORY}/offer/{external_id}", token=token, tolerate=(400, 404)
        )
        if response.status_code != 200:
            if has_error(response, OFFER_NOT_AVAILABLE) or response.status_code == 404:
                return ListingStatus.ENDED
            raise error_from(response)
        offer = json_object(NAME, response)
        listing = offer.get("listing") or {}
        if offer.get("status") == "PUBLISHED" and listing.get("listingStatus") == "ACTIVE":
            return ListingStatus.LIVE
        listing_id = str(listing.get("listingId") or "")
        if listing_id and (
            await self._has_order(token, listing_id) or int(listing.get("soldQuantity") or 0) > 0
        ):
            return ListingStatus.SOLD
        return ListingStatus.ENDED

    async def _has_order(self, token: str, listing_id: str) -> bool:
        """Whether a buyer's order (not cancelled) holds this listing, in the last 90 days."""
        since = (datetime.now(UTC) - ORDER_LOOKBACK).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        offset = 0
        while True:
            params = {
                "filter": f"creationdate:[{since}..]",
                "limit": str(ORDER_PAGE),
                "offset": str(offset),
            }
            page = await self._api.json("GET", f"{FULFILLMENT}/order", token=token, params=params)
            orders = page.get("orders") or []
            if any(_order_sells(order, listing_id) for order in orders):
                return True
            offset += len(orders)
            if not orders or not page.get("next") or offset >= int(page.get("total") or 0):
                return False

    async def listings_in_order(self, tokens: Tokens, order_id: str) -> list[str]:
        """The listings a pushed order bought (getOrders by orderIds); none when the order is
        not this seller's."""
        page = await self._api.json("GET", f"{FULFILLMENT}/order", token=tokens.access_token,
                                    params={"orderIds": order_id})
        return [
            str(item["legacyItemId"])
            for order in page.get("orders") or []
            if order.get("orderId") == order_id and not _cancelled(order)
            for item in order.get("lineItems") or [] if item.get("legacyItemId")
        ]

    # ── What a listing in a category needs, and what it may ask ──

    async def suggest_categories(self, query: str) -> list[CategoryChoice]:
        """eBay's leaf categories for the seller's words, best first, with their paths."""
        return await self._taxonomy.suggest(query)

    async def conditions_for(self, category_id: str) -> list[ConditionChoice]:
        return await self._taxonomy.conditions(category_id)

    async def aspects_for(self, category_id: str) -> list[AspectSpec]:
        return await self._taxonomy.aspects(category_id)

    async def comparable_prices(
        self, query: str, category_id: str | None, condition_id: str | None
    ) -> PriceRange | None:
        return await self._comps.prices(query, category_id, condition_id)

    # ── Pushed to us ──

    @property
    def pushes_enabled(self) -> bool:
        return self._notifications.enabled

    def answer_challenge(self, challenge_code: str) -> str | None:
        return self._notifications.answer_challenge(challenge_code)

    async def read_notification(self, body: bytes, signature: str | None) -> Pushed:
        return await self._notifications.read(body, signature)

    async def set_up_notifications(self) -> None:
        await self._notifications.set_up()


def _cancelled(order: dict[str, Any]) -> bool:
    return (order.get("cancelStatus") or {}).get("cancelState") == "CANCELED"


def _order_sells(order: dict[str, Any], listing_id: str) -> bool:
    if _cancelled(order):
        return False
    return any(
        str(item.get("legacyItemId")) == listing_id for item in order.get("lineItems") or []
    )

