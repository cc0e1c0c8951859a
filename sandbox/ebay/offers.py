"""The Inventory API's offers: getOffers, create, read, replace, publish (idempotent while the
listing is live; publishing.py holds its checks) and withdraw.

getOffers for a SKU without an offer: eBay answers 404 with errorId 25713 "This Offer is not
available." (the 404 of getOffers in sell_inventory_v1_oas3.json carries no body schema; the
body is what eBay sends, as public integrations match it, e.g. code handling
`{"errors":[{"errorId":25713,"message":"This Offer is not available."}]}` as "no offer yet").
For a SKU the seller has no inventory item under (or a malformed one) eBay answers 400 with
25707 "This is an invalid value for a SKU…" (hendt/ebay-api#159, YosefHayim/ebay-mcp#158).
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from sandbox.ebay.accounts import Offer, Seller
from sandbox.ebay.api import EbayApi
from sandbox.ebay.errors import EbayApiError, inventory_error
from sandbox.ebay.inventory import INVENTORY, SKU, is_count
from sandbox.ebay.marketplace import CURRENCY, MARKETPLACE_ID
from sandbox.ebay.oauth import SCOPE_INVENTORY
from sandbox.ebay.publishing import LISTING_DURATIONS, publish_problems
from sandbox.ebay.state import ListingRecord

LISTING_DESCRIPTION_MAX = 500_000  # EbayOfferDetailsWithKeys.listingDescription "Max length"
PRICE = re.compile(r"^\d{1,9}\.\d{2}$")
OFFER_FIELDS = ("availableQuantity", "categoryId", "listingDescription", "listingDuration",
                "listingPolicies", "merchantLocationKey", "pricingSummary")


class OfferApi(EbayApi):
    """Offers: create, read, replace, publish (idempotent while live) and withdraw."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{INVENTORY}/offer", self.get_offers)
        router.add_post(f"{INVENTORY}/offer", self.create_offer)
        router.add_get(f"{INVENTORY}/offer/{{offer_id}}", self.get_offer)
        router.add_put(f"{INVENTORY}/offer/{{offer_id}}", self.update_offer)
        router.add_post(f"{INVENTORY}/offer/{{offer_id}}/publish", self.publish_offer)
        router.add_post(f"{INVENTORY}/offer/{{offer_id}}/publish/", self.publish_offer)
        router.add_post(f"{INVENTORY}/offer/{{offer_id}}/withdraw", self.withdraw_offer)

    async def get_offers(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        sku = request.query.get("sku", "")
        if not SKU.match(sku) or sku not in seller.items:
            raise inventory_error(400, 25707, "This is an invalid value for a SKU. Only "
                                  "alphanumeric characters can be used for SKUs, and their "
                                  "length must not exceed 50 characters")
        marketplace = request.query.get("marketplace_id")
        offers = [o for o in seller.offers.values()
                  if o.sku == sku and marketplace in (None, o.marketplace_id)]
        if not offers:
            raise inventory_error(404, 25713, "This Offer is not available.")
        return web.json_response({
            "href": str(request.rel_url), "limit": 100, "size": len(offers),
            "total": len(offers), "offers": [self.state.offer_json(o) for o in offers],
        })

    async def create_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        self.content_language(request)
        body = await self.json_body(request)
        sku = body.get("sku")
        for name, valid in (
            ("sku", isinstance(sku, str) and SKU.match(sku)),
            ("marketplaceId", body.get("marketplaceId") == MARKETPLACE_ID),
            ("format", body.get("format") in ("FIXED_PRICE", "AUCTION")),
        ):
            if not valid:
                raise inventory_error(400, 25709, f"Invalid value for {name}.")
        if sku not in seller.items:
            raise inventory_error(400, 25702, f"{sku} could not be found or is not available in "
                                  "the system.")
        existing = next((o for o in seller.offers.values()
                         if o.sku == sku and o.format == body["format"]), None)
        if existing is not None:
            raise inventory_error(400, 25002, "A user error has occurred. Offer entity already "
                                  "exists.", parameters={"offerId": existing.offer_id})
        offer = Offer(self.state.new_offer_id(), seller.account.account_id, str(sku),
                      MARKETPLACE_ID, body["format"], _offer_details(body))
        seller.offers[offer.offer_id] = offer
        return web.json_response({"offerId": offer.offer_id}, status=201)

    async def get_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        return web.json_response(self.state.offer_json(self._offer(seller, request)))

    async def update_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        self.content_language(request)
        offer = self._offer(seller, request)
        details = _offer_details(await self.json_body(request))
        if offer.status == "PUBLISHED" and not details.get("listingDescription"):
            raise inventory_error(400, 25017, "listingDescription is missing. A published "
                                  "offer needs its listing description on every update.")
        offer.details = details
        return web.Response(status=204)

    @staticmethod
    def _offer(seller: Seller, request: web.Request) -> Offer:
        offer_id = request.match_info["offer_id"]
        offer = seller.offers.get(offer_id)
        if offer is None:
            raise inventory_error(404, 25713, f"This Offer is not available : {offer_id}.")
        return offer

    async def publish_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        offer = self._offer(seller, request)
        errors = publish_problems(seller, offer, self.state.tree)
        if errors:
            raise EbayApiError(400, *errors)
        live = self.state.listings.get(offer.listing_id or "")
        if offer.status == "PUBLISHED" and live is not None and live.status == "ACTIVE":
            return web.json_response({"listingId": live.listing_id, "warnings": []})  # revised
        record = ListingRecord(self.state.new_listing_id(), offer.offer_id,
                               seller.account.account_id, offer.sku)
        self.state.listings[record.listing_id] = record
        offer.status, offer.listing_id = "PUBLISHED", record.listing_id
        return web.json_response({"listingId": record.listing_id, "warnings": []})

    async def withdraw_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        offer = self._offer(seller, request)
        if offer.status != "PUBLISHED" or offer.listing_id is None:
            raise inventory_error(400, 25713, "This Offer is not available : the offer is not "
                                  "published.")
        record = self.state.listings[offer.listing_id]
        record.status = "ENDED"
        offer.status, offer.listing_id = "UNPUBLISHED", None
        return web.json_response({"listingId": record.listing_id, "warnings": []})


def _offer_details(body: dict[str, Any]) -> dict[str, Any]:
    """The updatable offer fields, checked as createOffer and updateOffer check them."""
    details = {k: body[k] for k in OFFER_FIELDS if body.get(k) is not None}
    if not is_count(details.get("availableQuantity", 0)):
        raise inventory_error(400, 25709, "Invalid value for availableQuantity.")
    if "categoryId" in details and not str(details["categoryId"]).isdigit():
        raise inventory_error(400, 25709, "Invalid value for categoryId.")
    if len(str(details.get("listingDescription", ""))) > LISTING_DESCRIPTION_MAX:
        raise inventory_error(400, 25709, "Invalid value for listingDescription.")
    if "listingDuration" in details and details["listingDuration"] not in LISTING_DURATIONS:
        raise inventory_error(400, 25709, "Invalid value for listingDuration.")
    if "listingPolicies" in details and not isinstance(details["listingPolicies"], dict):
        raise inventory_error(400, 25709, "Invalid value for listingPolicies.")
    if "pricingSummary" in details:
        check_price((details["pricingSummary"] or {}).get("price"))
    return details


def check_price(price: object) -> None:
    value = price.get("value") if isinstance(price, dict) else None
    if not isinstance(value, str) or not PRICE.match(value):
        raise inventory_error(400, 25709, "Invalid value for pricingSummary.price.value. Give "
                              "the amount as a decimal string with two decimals, for example "
                              "25.00.")
    if isinstance(price, dict) and price.get("currency") != CURRENCY:
        raise inventory_error(400, 25709, "Invalid value for pricingSummary.price.currency.")
