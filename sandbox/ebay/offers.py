"""The Inventory API's offers: create, read, replace, publish (idempotent while the listing is
live) and withdraw, with every check eBay makes before a listing goes live."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.ebay.accounts import POLICY_IDS, Offer, Seller
from sandbox.ebay.api import EbayApi
from sandbox.ebay.categories import CategoryTree
from sandbox.ebay.errors import EbayApiError, inventory_error, problem
from sandbox.ebay.inventory import INVENTORY, SKU, is_count
from sandbox.ebay.marketplace import CURRENCY, MARKETPLACE_ID
from sandbox.ebay.oauth import SCOPE_INVENTORY
from sandbox.ebay.state import ListingRecord

LISTING_DESCRIPTION_MAX = 500_000
PRICE = re.compile(r"^\d{1,9}\.\d{2}$")
PRICE_MIN = Decimal("0.99")


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
        errors = self._publish_problems(seller, offer)
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

    def _publish_problems(self, seller: Seller, offer: Offer) -> list[dict[str, Any]]:
        item = seller.items.get(offer.sku)
        if item is None:
            return [problem(25702, f"{offer.sku} could not be found or is not available in the "
                            "system.")]
        return [*_item_publish_problems(offer, item),
                *_price_and_category_problems(offer, self.state.tree),
                *_policy_and_location_problems(seller, offer)]

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
    keys = ("availableQuantity", "categoryId", "listingDescription", "listingPolicies",
            "merchantLocationKey", "pricingSummary")
    details = {k: body[k] for k in keys if body.get(k) is not None}
    if not is_count(details.get("availableQuantity", 0)):
        raise inventory_error(400, 25709, "Invalid value for availableQuantity.")
    if "categoryId" in details and not str(details["categoryId"]).isdigit():
        raise inventory_error(400, 25709, "Invalid value for categoryId.")
    if len(str(details.get("listingDescription", ""))) > LISTING_DESCRIPTION_MAX:
        raise inventory_error(400, 25709, "Invalid value for listingDescription.")
    if "listingPolicies" in details and not isinstance(details["listingPolicies"], dict):
        raise inventory_error(400, 25709, "Invalid value for listingPolicies.")
    if "pricingSummary" in details:
        _check_price((details["pricingSummary"] or {}).get("price"))
    return details


def _check_price(price: object) -> None:
    value = price.get("value") if isinstance(price, dict) else None
    if not isinstance(value, str) or not PRICE.match(value):
        raise inventory_error(400, 25709, "Invalid value for pricingSummary.price.value. Give "
                              "the amount as a decimal string with two decimals, for example "
                              "25.00.")
    if isinstance(price, dict) and price.get("currency") != CURRENCY:
        raise inventory_error(400, 25709, "Invalid value for pricingSummary.price.currency.")


def _item_publish_problems(offer: Offer, item: dict[str, Any]) -> list[dict[str, Any]]:
    product = item.get("product") or {}
    found = []
    if not product.get("title"):
        found.append(problem(25017, "product.title is missing. A listing needs a title."))
    if not (offer.details.get("listingDescription") or product.get("description")):
        found.append(problem(25016, "The description value is invalid. A listing needs a "
                             "description."))
    if not product.get("imageUrls"):
        found.append(problem(25014, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has invalid pictures. A listing needs at least "
                             "one picture."))
    if not item.get("condition"):
        found.append(problem(25021, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has invalid item condition information. The "
                             "condition is missing."))
    if int(offer.details.get("availableQuantity", 0)) <= 0:
        found.append(problem(25004, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has an invalid quantity. The available quantity "
                             "must be at least 1."))
    return found


def _price_and_category_problems(offer: Offer, tree: CategoryTree) -> list[dict[str, Any]]:
    found = []
    price = (offer.details.get("pricingSummary") or {}).get("price") or {}
    if not price.get("value") or Decimal(price["value"]) < PRICE_MIN:
        found.append(problem(25003, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has an invalid price. The price must be at least "
                             f"{PRICE_MIN} {CURRENCY}."))
    category_id = str(offer.details.get("categoryId") or "")
    if not tree.is_leaf(category_id):
        found.append(problem(25005, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has an invalid category ID. Give the id of a "
                             "leaf category.", parameters={"categoryId": category_id}))
    return found


def _policy_and_location_problems(seller: Seller, offer: Offer) -> list[dict[str, Any]]:
    found = []
    policies = offer.details.get("listingPolicies") or {}
    for resource, error_id, kind in (
        ("fulfillment_policy", 25007, "Fulfillment"),
        ("payment_policy", 25008, "Payment"),
        ("return_policy", 25009, "Return"),
    ):
        id_key = POLICY_IDS[resource]
        if str(policies.get(id_key, "")) not in seller.policy_ids(resource, id_key):
            found.append(problem(error_id, "The eBay listing associated with the inventory item, "
                                 "or the unpublished offer has invalid data in the associated "
                                 f"{kind} policy. The {id_key} is missing or unknown."))
    location = seller.locations.get(str(offer.details.get("merchantLocationKey") or ""))
    if location is None or location["merchantLocationStatus"] != "ENABLED":
        found.append(problem(25012, "Invalid inventory location. The merchantLocationKey is "
                             "missing, unknown or disabled."))
    return found
