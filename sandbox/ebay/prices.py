"""bulkUpdatePriceQuantity: a new price or quantity for offers, and a new ship-to-home quantity
for inventory items, without publishing again; a published offer's live listing takes the new
price at once ("Offers in the published state are live eBay listings, and these listings will
be revised with a successful bulkUpdatePriceQuantity call", sell_inventory_v1_oas3.json).

As documented: up to 25 requests (BulkPriceQuantity.requests); an offerId named twice, or an
offer of another SKU than its request names, is an error; each offer and each SKU gets its own
statusCode in `responses`, and the call answers 200 when every one succeeded, 207 Multi-Status
otherwise. Entry errors use the operation's ids: 25002 (a user error), 25709 (an invalid value),
and 25713 for an offer that is not there (getOffer's id for it).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.ebay.accounts import Offer, Seller
from sandbox.ebay.api import EbayApi
from sandbox.ebay.errors import EbayApiError, inventory_error, problem
from sandbox.ebay.inventory import INVENTORY, is_count
from sandbox.ebay.oauth import SCOPE_INVENTORY
from sandbox.ebay.offers import check_price

REQUESTS_MAX = 25


class PriceQuantityApi(EbayApi):
    """bulkUpdatePriceQuantity for the caller's offers and inventory items."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(f"{INVENTORY}/bulk_update_price_quantity", self.bulk_update)

    async def bulk_update(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        requests = (await self.json_body(request)).get("requests")
        if not isinstance(requests, list) or not 1 <= len(requests) <= REQUESTS_MAX:
            raise inventory_error(400, 25709, f"Invalid value for requests. Give 1 to "
                                  f"{REQUESTS_MAX} requests.")
        responses: list[dict[str, Any]] = []
        for entry in requests:
            responses += self._apply(seller, entry if isinstance(entry, dict) else {})
        status = 200 if all(r["statusCode"] == 200 for r in responses) else 207
        return web.json_response({"responses": responses}, status=status)

    def _apply(self, seller: Seller, entry: dict[str, Any]) -> list[dict[str, Any]]:
        sku = str(entry.get("sku") or "")
        answers = []
        seen: set[str] = set()
        for change in entry.get("offers") or []:
            offer_id = str(change.get("offerId") or "")
            offer = seller.offers.get(offer_id)
            error = self._offer_error(offer, offer_id, sku, seen)
            seen.add(offer_id)
            if error is None and offer is not None:
                error = self._change_offer(offer, change)
            answers.append(_answer(offer_id=offer_id, sku=offer.sku if offer else sku,
                                   error=error))
        availability = entry.get("shipToLocationAvailability")
        if availability is not None:
            answers.append(_answer(sku=sku, error=self._change_item(seller, sku, availability)))
        return answers

    @staticmethod
    def _offer_error(
        offer: Offer | None, offer_id: str, sku: str, seen: set[str]
    ) -> tuple[int, dict[str, Any]] | None:
        if offer is None:
            return 404, problem(25713, f"This Offer is not available : {offer_id}.")
        if offer_id in seen:
            return 400, problem(25002, f"A user error has occurred. The offerId {offer_id} is "
                                "given more than once.")
        if sku and offer.sku != sku:
            return 400, problem(25002, f"A user error has occurred. The offer {offer_id} is "
                                f"for SKU {offer.sku}, not {sku}.")
        return None

    def _change_offer(
        self, offer: Offer, change: dict[str, Any]
    ) -> tuple[int, dict[str, Any]] | None:
        quantity = change.get("availableQuantity")
        if quantity is not None and not is_count(quantity):
            return 400, problem(25709, "Invalid value for availableQuantity.")
        if change.get("price") is not None:
            try:
                check_price(change["price"])
            except EbayApiError as refused:
                return 400, refused.errors[0]
            offer.details.setdefault("pricingSummary", {})["price"] = dict(change["price"])
        if quantity is not None:
            offer.details["availableQuantity"] = quantity
            self._restock(offer, quantity)
        return None

    def _restock(self, offer: Offer, quantity: int) -> None:
        """The live listing follows its offer's quantity: none left is out of stock."""
        record = self.state.listings.get(offer.listing_id or "")
        if record is None or record.status == "ENDED":
            return
        record.status = "ACTIVE" if quantity > 0 else "OUT_OF_STOCK"

    @staticmethod
    def _change_item(
        seller: Seller, sku: str, availability: object
    ) -> tuple[int, dict[str, Any]] | None:
        item = seller.items.get(sku)
        if item is None:
            return 400, problem(25702, f"{sku} could not be found or is not available in the "
                                "system.")
        quantity = availability.get("quantity") if isinstance(availability, dict) else None
        if not is_count(quantity):
            return 400, problem(25709, "Invalid value for shipToLocationAvailability.quantity.")
        item.setdefault("availability", {}).setdefault("shipToLocationAvailability", {})[
            "quantity"] = quantity
        return None


def _answer(
    *, sku: str, error: tuple[int, dict[str, Any]] | None, offer_id: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"sku": sku} if offer_id is None else {"offerId": offer_id,
                                                                   "sku": sku}
    if error is None:
        return {**body, "statusCode": 200}
    status, detail = error
    return {**body, "statusCode": status, "errors": [detail]}
