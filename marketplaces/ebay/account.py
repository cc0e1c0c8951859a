"""The seller's eBay account: who it is (Identity API), and its set-up for listing, business
policies and inventory locations.

eBay publishes nothing without a fulfillment, payment and return policy, and every offer names
an inventory location. Decisions, and why:

- Policies: the seller's default of each kind for our marketplace (or the only one of a kind).
  Without one the seller is told exactly which to create, and where. Whether the shipping
  policy calculates its cost (from the parcel's weight and size, which every listing then has
  to carry) is kept with the connection as `calculated_shipping`.
- Locations: one per postal code (`dealscout-{country}-{postal}`), created on first use; one
  that already exists is fine. eBay fixes a location's address once created, so one location
  per ZIP keeps each listing's location true. Set-up creates one up front when
  `tokens.extra["postal_code"]` is set, and publishing falls back to it when a listing carries
  no postal code.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from marketplaces.base import Account, Listing, Location, MarketplaceError, Rejected, Tokens
from marketplaces.ebay.config import ACCOUNT, IDENTITY, INVENTORY, NAME, EbayConfig
from marketplaces.ebay.errors import LOCATION_EXISTS, error_from, has_error
from marketplaces.http import ApiClient


@dataclass(frozen=True)
class Policies:
    fulfillment_policy_id: str
    payment_policy_id: str
    return_policy_id: str

    def as_extra(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    def as_listing_policies(self) -> dict[str, str]:
        return {
            "fulfillmentPolicyId": self.fulfillment_policy_id,
            "paymentPolicyId": self.payment_policy_id,
            "returnPolicyId": self.return_policy_id,
        }


# (Account API resource, list key, id key, what Seller Hub calls it)
_POLICY_KINDS: Final = (
    ("fulfillment_policy", "fulfillmentPolicies", "fulfillmentPolicyId", "shipping policy"),
    ("payment_policy", "paymentPolicies", "paymentPolicyId", "payment policy"),
    ("return_policy", "returnPolicies", "returnPolicyId", "return policy"),
)
_NO_ZIP: Final = (
    "eBay needs the ZIP code where the item is. Add a location with a ZIP code and try again."
)


class SellerAccount:
    """Identity, business policies and inventory locations, for whoever's token is passed."""

    def __init__(self, api: ApiClient, config: EbayConfig) -> None:
        self._api = api
        self._marketplace_id = config.marketplace_id
        self._identity_url = f"{config.identity_base_url}{IDENTITY}/user/"

    async def whoami(self, tokens: Tokens) -> Account:
        body = await self._api.json("GET", self._identity_url, token=tokens.access_token)
        user_id = str(body.get("userId") or body.get("username") or "")
        if not user_id:
            raise MarketplaceError(NAME, "eBay did not say who this account is")
        return Account(NAME, user_id, str(body.get("username") or user_id))

    async def prepare(self, tokens: Tokens) -> Tokens:
        """Finds the seller's default business policies and, when `tokens.extra` has a
        `postal_code` (and optionally `country`), creates the matching inventory location.

        The result's `extra` holds fulfillment_policy_id, payment_policy_id, return_policy_id,
        calculated_shipping ("yes"/"no") and, with a postal code, merchant_location_key.
        Rejected(field="account") names every policy the seller still has to create in eBay's
        Business policies."""
        policies, calculated = await self._fetch_policies(tokens.access_token)
        extra = {**tokens.extra, **policies.as_extra(),
                 "calculated_shipping": "yes" if calculated else "no"}
        postal_code = tokens.extra.get("postal_code")
        if postal_code:
            where = Location(postal_code=postal_code, country=tokens.extra.get("country", "US"))
            extra["merchant_location_key"] = await self._location(tokens.access_token, where)
        return dataclasses.replace(tokens, extra=extra)

    async def policies(self, tokens: Tokens) -> Policies:
        """The policies set-up stored with the connection, else the seller's defaults now."""
        stored = _policies_from(tokens.extra)
        return stored or (await self._fetch_policies(tokens.access_token))[0]

    async def location_for(self, tokens: Tokens, listing: Listing) -> str:
        """The listing's location key: its own postal code's, else the one set up with the
        connection; Rejected(field="location") when there is neither."""
        where, stored = listing.location, tokens.extra.get("merchant_location_key")
        if where is not None and where.postal_code:
            key = location_key(where)
            return key if key == stored else await self._location(tokens.access_token, where)
        if stored:
            return stored
        raise Rejected(NAME, _NO_ZIP, field="location")

    async def _fetch_policies(self, token: str) -> tuple[Policies, bool]:
        """The default policies, and whether the shipping one calculates its cost."""
        found = await asyncio.gather(*(self._default_policy(token, kind) for kind in _POLICY_KINDS))
        missing = [kind[3] for kind, policy in zip(_POLICY_KINDS, found, strict=True)
                   if policy is None]
        if missing:
            raise Rejected(NAME, _missing_policies_sentence(missing), field="account")
        (fulfillment, shipping), (payment, _), (returns, _) = (p for p in found if p is not None)
        calculated = any(
            isinstance(option, dict) and option.get("costType") == "CALCULATED"
            for option in shipping.get("shippingOptions") or []
        )
        return Policies(fulfillment, payment, returns), calculated

    async def _default_policy(
        self, token: str, kind: tuple[str, str, str, str]
    ) -> tuple[str, dict[str, Any]] | None:
        resource, list_key, id_key, _ = kind
        body = await self._api.json(
            "GET", f"{ACCOUNT}/{resource}", token=token,
            params={"marketplace_id": self._marketplace_id},
        )
        policies = [p for p in body.get(list_key) or [] if p.get(id_key)]
        chosen = _pick_default(policies)
        return (str(chosen[id_key]), chosen) if chosen else None

    async def _location(self, token: str, where: Location) -> str:
        """The inventory location for a postal code, created when eBay does not have it yet."""
        key = location_key(where)
        body = {
            "location": {"address": {"postalCode": where.postal_code, "country": where.country}},
            "locationTypes": ["WAREHOUSE"],
            "merchantLocationStatus": "ENABLED",
            "name": f"Deal Scout {where.postal_code}",
        }
        response = await self._api.call(
            "POST", f"{INVENTORY}/location/{key}", token=token, ok=(204, 200, 201),
            tolerate=(400, 409), json=body,
            repeatable=True,  # a second create answers "already exists"
        )
        already_there = response.status_code == 409 or has_error(response, LOCATION_EXISTS)
        if response.status_code == 400 and not already_there:
            raise error_from(response)
        return key


def location_key(where: Location) -> str:
    """eBay's merchantLocationKey for a postal code: at most 36 of A–Z a–z 0–9 _ -."""
    postal = re.sub(r"[^A-Za-z0-9]", "", where.postal_code or "").upper()
    country = re.sub(r"[^A-Za-z]", "", where.country or "US").lower()[:2] or "us"
    return f"dealscout-{country}-{postal}"[:36]


def _pick_default(policies: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The seller's default for everything but motor vehicles, else the first (or only) one."""

    def is_default(policy: dict[str, Any]) -> bool:
        return any(
            isinstance(kind, dict) and kind.get("default") and kind.get("name") != "MOTORS_VEHICLES"
            for kind in policy.get("categoryTypes") or []
        )

    return next((p for p in policies if is_default(p)), policies[0] if policies else None)


def _missing_policies_sentence(missing: list[str]) -> str:
    return (
        f"Your eBay account has no {_spoken(missing, 'or')} yet, and eBay needs one of each to "
        f"list. In eBay's Seller Hub open Account → Business policies, create "
        f"{_spoken([f'a {kind}' for kind in missing], 'and')}, then try again."
    )


def _spoken(items: list[str], conjunction: str) -> str:
    """["a", "b", "c"] → "a, b and c"."""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _policies_from(extra: Mapping[str, str]) -> Policies | None:
    try:
        return Policies(
            extra["fulfillment_policy_id"], extra["payment_policy_id"], extra["return_policy_id"]
        )
    except KeyError:
        return None
