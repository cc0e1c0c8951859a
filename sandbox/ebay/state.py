"""Everything this eBay holds, shared by the API handlers and the test controls: the sellers,
their pictures, the category tree, the listings, and a purchase turning into an order."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.ebay.accounts import Offer, seeded_sellers
from sandbox.ebay.categories import CATEGORY_TREE, CategoryTree
from sandbox.ebay.comps import Comp, seeded_comps
from sandbox.ebay.marketplace import iso
from sandbox.ebay.push import NotificationHub
from sandbox.kit import ImageStore


@dataclass
class ListingRecord:
    listing_id: str
    offer_id: str
    seller_id: str
    sku: str
    status: str = "ACTIVE"  # ACTIVE, OUT_OF_STOCK or ENDED, eBay's listingStatus
    sold_quantity: int = 0


@dataclass(frozen=True)
class EbayListing:
    """A listing as a test or the demo sees it."""

    listing_id: str
    offer_id: str
    seller_id: str
    sku: str
    title: str
    description: str
    price: str
    currency: str
    category_id: str
    status: str  # eBay's listingStatus: ACTIVE, OUT_OF_STOCK, ENDED
    sold_quantity: int
    images: tuple[str, ...]
    url: str

    @property
    def state(self) -> str:
        """live, sold or ended, in the words the cross-posting engine uses."""
        if self.status == "ACTIVE":
            return "live"
        return "sold" if self.sold_quantity else "ended"


class EbayState:
    """Everything this eBay holds, shared by the API handlers and the test controls."""

    def __init__(self, base_url: Callable[[], str]) -> None:
        self.base_url = base_url
        self.sellers = {seller.account.account_id: seller for seller in seeded_sellers()}
        self.images = ImageStore()
        self.tree = CategoryTree(CATEGORY_TREE)
        self.listings: dict[str, ListingRecord] = {}
        self.requests: list[str] = []  # "METHOD /path" of every API call, for tests
        self.comps: list[Comp] = seeded_comps()  # what the Browse API searches
        self.browse_delay_seconds = 0.0  # a test's switch: every Browse search waits this long
        self.notifications = NotificationHub()
        self._offer_ids = itertools.count(5_012_345_000)
        self._listing_ids = itertools.count(110_553_210_000)
        self._order_numbers = itertools.count(1)

    def new_offer_id(self) -> str:
        return str(next(self._offer_ids))

    def new_listing_id(self) -> str:
        return str(next(self._listing_ids))

    def image_url(self, image_id: str) -> str:
        return f"{self.base_url()}/images/g/{image_id}/s-l1600.jpg"

    def hosted(self, url: object) -> bool:
        """Whether `url` is a picture this eBay's Media API stored (an EPS URL)."""
        prefix = f"{self.base_url()}/images/g/"
        if not isinstance(url, str) or not url.startswith(prefix):
            return False
        return self.images.get(url[len(prefix):].split("/", 1)[0]) is not None

    def record(self, external_id: str) -> ListingRecord:
        """The newest listing of an offer id (what the adapter returns), or by listing id."""
        if external_id in self.listings:
            return self.listings[external_id]
        for record in reversed(self.listings.values()):
            if record.offer_id == external_id:
                return record
        raise KeyError(f"no eBay listing for {external_id}")

    def snapshot(self, record: ListingRecord) -> EbayListing:
        seller = self.sellers[record.seller_id]
        offer = seller.offers[record.offer_id]
        product = seller.items.get(record.sku, {}).get("product", {})
        price = offer.details.get("pricingSummary", {}).get("price", {})
        return EbayListing(
            listing_id=record.listing_id,
            offer_id=record.offer_id,
            seller_id=record.seller_id,
            sku=record.sku,
            title=str(product.get("title", "")),
            description=str(offer.details.get("listingDescription")
                            or product.get("description", "")),
            price=str(price.get("value", "")),
            currency=str(price.get("currency", "")),
            category_id=str(offer.details.get("categoryId", "")),
            status=record.status,
            sold_quantity=record.sold_quantity,
            images=tuple(product.get("imageUrls", [])),
            url=f"{self.base_url()}/itm/{record.listing_id}",
        )

    def offer_json(self, offer: Offer) -> dict[str, Any]:
        """getOffer's body: the listing container only while the offer is published."""
        body = {"offerId": offer.offer_id, "sku": offer.sku, "marketplaceId": offer.marketplace_id,
                "format": offer.format, **offer.details, "status": offer.status}
        if offer.status == "PUBLISHED" and offer.listing_id:
            record = self.listings[offer.listing_id]
            body["listing"] = {"listingId": record.listing_id, "listingStatus": record.status,
                               "soldQuantity": record.sold_quantity}
        return body

    def sell(self, record: ListingRecord, quantity: int, buyer: str) -> dict[str, Any]:
        """A purchase: the order, fewer units left, and a sold-out listing out of stock."""
        seller = self.sellers[record.seller_id]
        offer, item = seller.offers[record.offer_id], seller.items[record.sku]
        order = self._order(record, offer, item, quantity, buyer)
        seller.orders.append(order)
        record.sold_quantity += quantity
        remaining = max(0, int(offer.details.get("availableQuantity", 0)) - quantity)
        offer.details["availableQuantity"] = remaining
        availability = item.setdefault("availability", {})
        availability.setdefault("shipToLocationAvailability", {})["quantity"] = remaining
        if remaining == 0:
            record.status = "OUT_OF_STOCK"
        return order

    def _order(
        self, record: ListingRecord, offer: Offer, item: dict[str, Any], quantity: int, buyer: str
    ) -> dict[str, Any]:
        number = next(self._order_numbers)
        now = iso(datetime.now(UTC))
        price = offer.details["pricingSummary"]["price"]
        total = {"value": f"{Decimal(price['value']) * quantity:.2f}",
                 "currency": price["currency"]}
        return {
            "orderId": f"{number:02d}-{11234 + number:05d}-{56789 + number:05d}",
            "creationDate": now,
            "lastModifiedDate": now,
            "orderFulfillmentStatus": "NOT_STARTED",
            "orderPaymentStatus": "PAID",
            "sellerId": self.sellers[record.seller_id].username,
            "buyer": {"username": buyer},
            "pricingSummary": {"total": total},
            "cancelStatus": {"cancelState": "NONE_REQUESTED", "cancelRequests": []},
            "lineItems": [{
                "lineItemId": str(10_000_000_000 + number),
                "legacyItemId": record.listing_id,
                "sku": record.sku,
                "title": item.get("product", {}).get("title", ""),
                "quantity": quantity,
                "lineItemCost": total,
                "lineItemFulfillmentStatus": "NOT_STARTED",
            }],
        }
