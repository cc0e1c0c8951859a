"""The sellers this eBay holds, each with business policies, inventory locations, inventory
items, offers and orders, and the two seeded ones: Ana, with business policies, and Marco, who
never set them up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.ebay.marketplace import MARKETPLACE_ID
from sandbox.kit import MarketplaceAccount

ANA = "ana-attic"  # seller with business policies
MARCO = "marco-garage"  # seller who never set up business policies

# Account API resource → its list key and id key.
POLICY_LISTS = {"fulfillment_policy": "fulfillmentPolicies", "payment_policy": "paymentPolicies",
                "return_policy": "returnPolicies"}
POLICY_IDS = {"fulfillment_policy": "fulfillmentPolicyId", "payment_policy": "paymentPolicyId",
              "return_policy": "returnPolicyId"}


@dataclass
class Offer:
    offer_id: str
    seller_id: str
    sku: str
    marketplace_id: str
    format: str
    details: dict[str, Any]
    status: str = "UNPUBLISHED"
    listing_id: str | None = None


@dataclass
class Seller:
    account: MarketplaceAccount
    username: str
    user_id: str
    first_name: str
    last_name: str
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    offers: dict[str, Offer] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def policy_ids(self, resource: str, id_key: str) -> set[str]:
        return {str(policy[id_key]) for policy in self.policies.get(resource, [])}


def _policy(resource: str, policy_id: str, name: str, default: bool) -> dict[str, Any]:
    id_key = POLICY_IDS[resource]
    return {
        id_key: policy_id,
        "name": name,
        "marketplaceId": MARKETPLACE_ID,
        "categoryTypes": [{"name": "ALL_EXCLUDING_MOTORS_VEHICLES", "default": default}],
    }


def seeded_sellers() -> list[Seller]:
    ana = Seller(
        MarketplaceAccount(ANA, "Ana's Attic Finds"), "anas_attic_finds", "nY3kQb8xTz1",
        "Ana", "Moreno",
        policies={
            "fulfillment_policy": [
                _policy("fulfillment_policy", "6196932000", "Local pickup only", False),
                _policy("fulfillment_policy", "6196933000", "USPS Ground Advantage, 1 day", True),
            ],
            "payment_policy": [
                _policy("payment_policy", "6196934000", "eBay managed payments", True),
            ],
            "return_policy": [
                _policy("return_policy", "6196935000", "30 days, buyer pays return", True),
            ],
        },
    )
    marco = Seller(
        MarketplaceAccount(MARCO, "Marco's Garage Deals"), "marcos_garage_deals", "pR7mWc2vLd4",
        "Marco", "Bellini",
    )
    return [ana, marco]
