"""The Inventory API's items and locations: createOrReplaceInventoryItem and getInventoryItem,
and the inventory locations an offer ships from."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from sandbox.ebay.api import EbayApi
from sandbox.ebay.aspects import aspect_format_problems
from sandbox.ebay.conditions import CONDITION_ENUMS
from sandbox.ebay.errors import EbayApiError, inventory_error, problem
from sandbox.ebay.oauth import SCOPE_INVENTORY

INVENTORY = "/sell/inventory/v1"
TITLE_MAX = 80  # Product.title "Max Length: 80"
PICTURES_MAX = 24  # Product.imageUrls: "up to 24 pictures in one listing"
CONDITIONS = frozenset(CONDITION_ENUMS.values())
WEIGHT_UNITS = frozenset({"POUND", "KILOGRAM", "OUNCE", "GRAM"})  # Weight.unit
LENGTH_UNITS = frozenset({"INCH", "FEET", "CENTIMETER", "METER"})  # Dimension.unit
ITEM_FIELDS = ("product", "condition", "conditionDescription", "availability",
               "packageWeightAndSize")
SKU = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
LOCATION_KEY = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


def is_count(value: object) -> bool:
    """A whole number of 0 or more (booleans are not counts), as eBay reads quantities."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text_problems(product: dict[str, Any]) -> list[dict[str, Any]]:
    title = product.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > TITLE_MAX):
        return [problem(25016, "The product.title value is invalid. The title may not be "
                        f"longer than {TITLE_MAX} characters.")]
    return []


def _package_problems(package: object) -> list[dict[str, Any]]:
    """25715 "Invalid values for dimensions and/or weight of shipping package." (both unit and
    value required in weight; every field of dimensions required: Weight, Dimension)."""
    if package is None:
        return []
    package = package if isinstance(package, dict) else {}
    weight, dimensions = package.get("weight"), package.get("dimensions")
    valid = True
    if weight is not None:
        valid = _positive(weight.get("value")) and weight.get("unit") in WEIGHT_UNITS
    if dimensions is not None:
        valid = valid and dimensions.get("unit") in LENGTH_UNITS and all(
            _positive(dimensions.get(side)) for side in ("length", "width", "height"))
    if valid:
        return []
    return [problem(25715, "Invalid values for dimensions and/or weight of shipping package.")]


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


class LocationApi(EbayApi):
    """Inventory locations: a warehouse needs a postal code and country (or city and state)."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(f"{INVENTORY}/location/{{key}}", self.create_location)
        router.add_get(f"{INVENTORY}/location/{{key}}", self.get_location)

    async def create_location(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        key = request.match_info["key"]
        if not LOCATION_KEY.match(key):
            raise inventory_error(400, 25800, "Invalid merchantLocationKey.")
        body = await self.json_body(request)
        address = (body.get("location") or {}).get("address") or {}
        self._check_address(address)
        types = body.get("locationTypes") or ["WAREHOUSE"]
        if not set(types) <= {"WAREHOUSE", "STORE"}:
            raise inventory_error(400, 25800, "Invalid locationTypes.")
        status = body.get("merchantLocationStatus") or "ENABLED"
        if status not in ("ENABLED", "DISABLED"):
            raise inventory_error(400, 25800, "Invalid merchantLocationStatus.")
        if key in seller.locations:
            raise inventory_error(409, 25803, "merchantLocationKey already exists.")
        seller.locations[key] = {
            "merchantLocationKey": key, "location": {"address": address},
            "locationTypes": types, "merchantLocationStatus": status,
            "name": body.get("name", key),
        }
        return web.Response(status=204)

    @staticmethod
    def _check_address(address: dict[str, Any]) -> None:
        country = address.get("country")
        by_postal = address.get("postalCode") and country
        by_city = address.get("city") and address.get("stateOrProvince") and country
        if not (by_postal or by_city):
            raise inventory_error(400, 25801, "Missing field location.address.postalCode.",
                                  long_message="A warehouse location needs a postal code and "
                                  "country, or a city, state and country.")
        if not re.fullmatch(r"[A-Z]{2}", str(country)):
            raise inventory_error(400, 25800, "Invalid location.address.country.")

    async def get_location(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        found = seller.locations.get(request.match_info["key"])
        if found is None:
            raise inventory_error(404, 25805, "merchantLocationKey Not Found.")
        return web.json_response(found)


class InventoryItemApi(EbayApi):
    """createOrReplaceInventoryItem and getInventoryItem."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_put(f"{INVENTORY}/inventory_item/{{sku}}", self.put_item)
        router.add_get(f"{INVENTORY}/inventory_item/{{sku}}", self.get_item)

    async def put_item(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        language = self.content_language(request)
        sku = request.match_info["sku"]
        if not SKU.match(sku):
            raise inventory_error(400, 25707, "Invalid sku. sku has to be alphanumeric with upto "
                                  "50 characters in length")
        body = await self.json_body(request)
        errors = self._problems(body)
        if errors:
            raise EbayApiError(400, *errors)
        seller.items[sku] = {
            "sku": sku, "locale": language.replace("-", "_"),
            **{k: body[k] for k in ITEM_FIELDS if k in body},
        }
        return web.Response(status=204)

    def _problems(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        product = body.get("product") or {}
        found = [*_text_problems(product), *aspect_format_problems(product.get("aspects")),
                 *self._picture_problems(product.get("imageUrls") or []),
                 *_package_problems(body.get("packageWeightAndSize"))]
        if "condition" in body and body["condition"] not in CONDITIONS:
            found.append(problem(25021, "The eBay listing associated with the inventory item, or "
                                 "the unpublished offer has invalid item condition information."))
        quantity = ((body.get("availability") or {}).get("shipToLocationAvailability") or {}).get(
            "quantity", 0)
        if not is_count(quantity):
            found.append(problem(25004, "The eBay listing associated with the inventory item, or "
                                 "the unpublished offer has an invalid quantity."))
        return found

    def _picture_problems(self, urls: list[Any]) -> list[dict[str, Any]]:
        found = []
        if len(urls) > PICTURES_MAX:
            found.append(problem(25014, "The eBay listing associated with the inventory item, "
                                 "or the unpublished offer has invalid pictures. At most "
                                 f"{PICTURES_MAX} pictures are allowed."))
        foreign = next((url for url in urls if not self.state.hosted(url)), None)
        if foreign is not None:
            found.append(problem(25015, "The eBay listing associated with the inventory item, "
                                 "or the unpublished offer has an invalid picture URL. Upload "
                                 "pictures with the Media API first.",
                                 parameters={"imageUrl": str(foreign)[:200]}))
        return found

    async def get_item(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        item = seller.items.get(request.match_info["sku"])
        if item is None:
            raise inventory_error(404, 25710, "We didn't find the resource/entity you are "
                                  "requesting. Please verify the request")
        return web.json_response(item)
