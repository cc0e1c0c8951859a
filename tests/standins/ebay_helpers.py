"""What the eBay sandbox's own tests share: tokens the sandbox issues itself (never through our
adapter), a photo, and a complete listing that publishes in one of the demo categories."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from sandbox.ebay import HEADPHONES, EbaySandbox
from sandbox.ebay.oauth import SCOPE_APPLICATION
from sandbox.kit import MarketplaceAccount

INVENTORY = "/sell/inventory/v1"
WRITE = {"Content-Language": "en-US"}
LOCATION = "dealscout-us-94107"
# Ana's policies (sandbox/ebay/accounts.py): flat-rate shipping, payment, returns.
ANA_POLICIES = {"fulfillmentPolicyId": "6196933000", "paymentPolicyId": "6196934000",
                "returnPolicyId": "6196935000"}
HEADPHONE_SPECIFICS = {"Brand": ["Sony"], "Type": ["Over the Ear"],
                       "Connectivity": ["Bluetooth", "Wired"], "Model": ["WH-1000XM4"]}


def photo(width: int = 900, height: int = 700) -> bytes:
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def app_token(sandbox: EbaySandbox) -> str:
    """An application token (client credentials, the public api_scope)."""
    account = MarketplaceAccount(f"app:{sandbox.client_id}", "application")
    grant = sandbox.oauth.issue(account, sandbox.client_id, (SCOPE_APPLICATION,),
                                with_refresh=False)
    return grant.access_token


def error_ids(response: httpx.Response) -> set[int]:
    return {entry["errorId"] for entry in response.json()["errors"]}


async def upload(api: httpx.AsyncClient, data: bytes | None = None) -> httpx.Response:
    return await api.post(
        "/commerce/media/v1_beta/image/create_image_from_file",
        files={"image": ("p.jpg", data or photo(), "image/jpeg")},
    )


async def offer_for(
    api: httpx.AsyncClient,
    sku: str,
    *,
    category_id: str = HEADPHONES,
    aspects: dict[str, list[str]] | None = None,
    condition: str = "USED_EXCELLENT",
    description: str = "Barely used, with the carry case.",
    offer: dict[str, Any] | None = None,
    item: dict[str, Any] | None = None,
) -> str:
    """A location, an inventory item and an offer ready to publish (unless changed); the
    offer id."""
    await api.post(f"{INVENTORY}/location/{LOCATION}", json={
        "location": {"address": {"postalCode": "94107", "country": "US"}},
        "locationTypes": ["WAREHOUSE"], "merchantLocationStatus": "ENABLED",
    })
    image = (await upload(api)).json()["imageUrl"]
    body = {
        "product": {"title": "Sony WH-1000XM4 wireless headphones", "description": description,
                    "imageUrls": [image],
                    "aspects": HEADPHONE_SPECIFICS if aspects is None else aspects},
        "condition": condition,
        "availability": {"shipToLocationAvailability": {"quantity": 1}},
        **(item or {}),
    }
    put = await api.put(f"{INVENTORY}/inventory_item/{sku}", json=body, headers=WRITE)
    assert put.status_code == 204, put.text
    fields = {
        "sku": sku, "marketplaceId": "EBAY_US", "format": "FIXED_PRICE",
        "availableQuantity": 1, "categoryId": category_id, "listingDuration": "GTC",
        "listingDescription": description, "listingPolicies": ANA_POLICIES,
        "merchantLocationKey": LOCATION,
        "pricingSummary": {"price": {"value": "125.00", "currency": "USD"}},
        **(offer or {}),
    }  # a field given as None is left out
    created = await api.post(f"{INVENTORY}/offer", headers=WRITE,
                             json={k: v for k, v in fields.items() if v is not None})
    assert created.status_code == 201, created.text
    return str(created.json()["offerId"])


async def publish_headphones(api: httpx.AsyncClient, sku: str = "DS-HEAD-1") -> str:
    """A live listing of headphones; the offer id."""
    offer_id = await offer_for(api, sku)
    published = await api.post(f"{INVENTORY}/offer/{offer_id}/publish")
    assert published.status_code == 200, published.text
    return offer_id
