"""Everything publishOffer checks before an offer becomes a live listing, each refusal with the
errorId eBay documents for it (x-response-codes of publishOffer in sell_inventory_v1_oas3.json).

Why one module: eBay reports every problem of an offer at once, so a seller app can fix them
all in one round; the checks read the offer, its inventory item, the category's rules
(aspects.py, conditions.py), the seller's business policies and locations.

The rules, and where each is written:
- title, description, at least one picture, condition: "Publish offer note: This field is
  required before an offer can be published" on Product.title, Product.description,
  Product.imageUrls and InventoryItem.condition; Product.description "Max Length: 4000".
- listingDuration: the same note on EbayOfferDetailsWithKeys.listingDuration, which adds "For
  fixed-price listings, this value must be set to GTC".
- category: a leaf (getCategorySuggestions returns leaves; categoryId "required before an offer
  can be published"); item specifics and conditions per category (aspects.py, conditions.py).
- shipping package: PackageWeightAndSize "Package weight and dimensions are required when
  calculated shipping rates are used" (25020 "… has invalid shipping package details").
- policies and location: 25007/25008/25009 and 25012 templates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.ebay.accounts import POLICY_IDS, Offer, Seller
from sandbox.ebay.aspects import aspect_problems
from sandbox.ebay.categories import CategoryTree
from sandbox.ebay.conditions import condition_problems
from sandbox.ebay.errors import problem
from sandbox.ebay.marketplace import CURRENCY

DESCRIPTION_MAX = 4000  # Product.description "Max Length: 4000"
PRICE_MIN = Decimal("0.99")  # eBay US's fixed-price minimum
LISTING_DURATIONS = frozenset({"GTC", "DAYS_1", "DAYS_3", "DAYS_5", "DAYS_7", "DAYS_10",
                               "DAYS_21", "DAYS_30"})  # ListingDurationEnum
TEMPLATE = "The eBay listing associated with the inventory item, or the unpublished offer has"


def publish_problems(seller: Seller, offer: Offer, tree: CategoryTree) -> list[dict[str, Any]]:
    """Every reason eBay would refuse to publish this offer now (empty when it may go live)."""
    item = seller.items.get(offer.sku)
    if item is None:
        return [problem(25702, f"{offer.sku} could not be found or is not available in the "
                        "system.")]
    category_id = str(offer.details.get("categoryId") or "")
    found = [*_item_problems(offer, item), *_offer_problems(offer, tree)]
    if tree.is_leaf(category_id):
        product = item.get("product") or {}
        found += aspect_problems(category_id, product.get("aspects"))
        found += condition_problems(category_id, item.get("condition"))
    return [*found, *_policy_and_location_problems(seller, offer, item)]


def _item_problems(offer: Offer, item: dict[str, Any]) -> list[dict[str, Any]]:
    product = item.get("product") or {}
    found = []
    if not product.get("title"):
        found.append(problem(25017, "product.title is missing. A listing needs a title."))
    description = str(product.get("description") or "")
    if not (offer.details.get("listingDescription") or description):
        found.append(problem(25016, "The description value is invalid. A listing needs a "
                             "description.", parameters={"fieldName": "description"}))
    if len(description) > DESCRIPTION_MAX:
        found.append(problem(25016, "The product.description value is invalid. The description "
                             f"may not be longer than {DESCRIPTION_MAX} characters.",
                             parameters={"fieldName": "product.description"}))
    if not product.get("imageUrls"):
        found.append(problem(25014, f"{TEMPLATE} invalid pictures. A listing needs at least one "
                             "picture."))
    if int(offer.details.get("availableQuantity", 0)) <= 0:
        found.append(problem(25004, f"{TEMPLATE} an invalid quantity. The available quantity "
                             "must be at least 1."))
    return found


def _offer_problems(offer: Offer, tree: CategoryTree) -> list[dict[str, Any]]:
    found = []
    duration = offer.details.get("listingDuration")
    if not duration:
        found.append(problem(25017, "listingDuration is missing. Set listingDuration (GTC for a "
                             "fixed-price listing) before publishing the offer.",
                             parameters={"fieldName": "listingDuration"}))
    elif offer.format == "FIXED_PRICE" and duration != "GTC":
        found.append(problem(25006, f"{TEMPLATE} an invalid listing option. A fixed-price "
                             "listing's listingDuration must be GTC.",
                             parameters={"listingDuration": str(duration)}))
    price = (offer.details.get("pricingSummary") or {}).get("price") or {}
    if not price.get("value") or Decimal(price["value"]) < PRICE_MIN:
        found.append(problem(25003, f"{TEMPLATE} an invalid price. The price must be at least "
                             f"{PRICE_MIN} {CURRENCY}."))
    category_id = str(offer.details.get("categoryId") or "")
    if not tree.is_leaf(category_id):
        found.append(problem(25005, f"{TEMPLATE} an invalid category ID. Give the id of a leaf "
                             "category.", parameters={"categoryId": category_id}))
    return found


def _policy_and_location_problems(
    seller: Seller, offer: Offer, item: dict[str, Any]
) -> list[dict[str, Any]]:
    found = []
    policies = offer.details.get("listingPolicies") or {}
    for resource, error_id, kind in (
        ("fulfillment_policy", 25007, "Fulfillment"),
        ("payment_policy", 25008, "Payment"),
        ("return_policy", 25009, "Return"),
    ):
        id_key = POLICY_IDS[resource]
        if str(policies.get(id_key, "")) not in seller.policy_ids(resource, id_key):
            found.append(problem(error_id, f"{TEMPLATE} invalid data in the associated {kind} "
                                 f"policy. The {id_key} is missing or unknown."))
    shipping = seller.policy("fulfillment_policy", str(policies.get("fulfillmentPolicyId", "")))
    if shipping is not None and _calculated(shipping) and not _package_complete(item):
        found.append(problem(25020, f"{TEMPLATE} invalid shipping package details. The "
                             f"fulfillment policy {shipping['fulfillmentPolicyId']} uses "
                             "calculated shipping, which needs the package's weight and "
                             "dimensions (packageWeightAndSize) on the inventory item."))
    location = seller.locations.get(str(offer.details.get("merchantLocationKey") or ""))
    if location is None or location["merchantLocationStatus"] != "ENABLED":
        found.append(problem(25012, "Invalid inventory location. The merchantLocationKey is "
                             "missing, unknown or disabled."))
    return found


def _calculated(policy: dict[str, Any]) -> bool:
    return any(option.get("costType") == "CALCULATED"
               for option in policy.get("shippingOptions") or [])


def _package_complete(item: dict[str, Any]) -> bool:
    package = item.get("packageWeightAndSize") or {}
    weight, dimensions = package.get("weight") or {}, package.get("dimensions") or {}
    return bool(weight.get("value")) and all(
        dimensions.get(side) for side in ("length", "width", "height")
    )
