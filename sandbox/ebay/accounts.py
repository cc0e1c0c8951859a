"""The sellers this eBay holds, each with business policies, inventory locations, inventory
items, offers and orders, and the seeded ones: Ana, whose default shipping policy is flat rate;
Bea, whose default shipping policy is calculated (so her items need a package weight and size);
and Marco, who never set up business policies.

Policies carry the Account API's fields (FulfillmentPolicy, PaymentPolicy, ReturnPolicy in
sell_account_v1_oas3.json); a shipping option's costType is FLAT_RATE or CALCULATED.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sandbox.ebay.marketplace import MARKETPLACE_ID
from sandbox.kit import MarketplaceAccount

ANA = "ana-attic"  # business policies; default shipping: flat rate
BEA = "bea-bargains"  # business policies; default shipping: calculated by weight and size
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

    @property
    def eias_token(self) -> str:
        """The legacy eiasToken eBay puts beside the userId in account notifications."""
        digest = hashlib.sha256(self.user_id.encode()).digest()[:30]
        return base64.b64encode(digest).decode()

    def policy_ids(self, resource: str, id_key: str) -> set[str]:
        return {str(policy[id_key]) for policy in self.policies.get(resource, [])}

    def policy(self, resource: str, policy_id: str) -> dict[str, Any] | None:
        id_key = POLICY_IDS[resource]
        return next((p for p in self.policies.get(resource, []) if p[id_key] == policy_id), None)


def _policy(resource: str, policy_id: str, name: str, default: bool,
            **fields: Any) -> dict[str, Any]:
    id_key = POLICY_IDS[resource]
    return {
        id_key: policy_id,
        "name": name,
        "marketplaceId": MARKETPLACE_ID,
        "categoryTypes": [{"name": "ALL_EXCLUDING_MOTORS_VEHICLES", "default": default}],
        **fields,
    }


def _usd(value: str) -> dict[str, str]:
    return {"value": value, "currency": "USD"}


def _shipping(policy_id: str, name: str, default: bool, cost_type: str) -> dict[str, Any]:
    """A domestic shipping policy, one USPS service, FLAT_RATE (a fixed cost) or CALCULATED
    (eBay prices it from the package's weight and size and the buyer's address)."""
    service: dict[str, Any] = {"shippingCarrierCode": "USPS", "sortOrder": 1,
                               "shippingServiceCode": "USPSGroundAdvantage", "freeShipping": False}
    if cost_type == "FLAT_RATE":
        service["shippingCost"] = _usd("7.95")
    return _policy(
        "fulfillment_policy", policy_id, name, default,
        handlingTime={"value": 1, "unit": "DAY"}, localPickup=False, freightShipping=False,
        globalShipping=False,
        shippingOptions=[{"optionType": "DOMESTIC", "costType": cost_type,
                          "shippingServices": [service]}],
    )


def _pickup(policy_id: str) -> dict[str, Any]:
    return _policy("fulfillment_policy", policy_id, "Local pickup only", False,
                   handlingTime={"value": 1, "unit": "DAY"}, localPickup=True,
                   shippingOptions=[])


def _payment(policy_id: str) -> dict[str, Any]:
    return _policy("payment_policy", policy_id, "eBay managed payments", True,
                   immediatePay=True)


def _returns(policy_id: str) -> dict[str, Any]:
    return _policy("return_policy", policy_id, "30 days, buyer pays return", True,
                   returnsAccepted=True, returnPeriod={"value": 30, "unit": "DAY"},
                   returnShippingCostPayer="BUYER", refundMethod="MONEY_BACK")


def seeded_sellers() -> list[Seller]:
    ana = Seller(
        MarketplaceAccount(ANA, "Ana's Attic Finds"), "anas_attic_finds", "nY3kQb8xTz1",
        "Ana", "Moreno",
        policies={
            "fulfillment_policy": [
                _pickup("6196932000"),
                _shipping("6196933000", "USPS Ground Advantage, 1 day", True, "FLAT_RATE"),
            ],
            "payment_policy": [_payment("6196934000")],
            "return_policy": [_returns("6196935000")],
        },
    )
    bea = Seller(
        MarketplaceAccount(BEA, "Bea's Bargain Bin"), "beas_bargain_bin", "kT5wNd9qRb2",
        "Bea", "Lindqvist",
        policies={
            "fulfillment_policy": [
                _shipping("6207410000", "USPS Ground Advantage, calculated", True, "CALCULATED"),
                _shipping("6207411000", "USPS Ground Advantage, $7.95", False, "FLAT_RATE"),
            ],
            "payment_policy": [_payment("6207412000")],
            "return_policy": [_returns("6207413000")],
        },
    )
    marco = Seller(
        MarketplaceAccount(MARCO, "Marco's Garage Deals"), "marcos_garage_deals", "pR7mWc2vLd4",
        "Marco", "Bellini",
    )
    return [ana, bea, marco]
