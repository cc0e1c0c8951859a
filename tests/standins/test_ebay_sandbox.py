"""The eBay sandbox refuses what eBay refuses: requests our adapter never sends, sent raw with a
seller's token, answered with eBay's statuses and error ids."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image

from sandbox.ebay import ANA, EbaySandbox
from sandbox.ebay.oauth import USER_SCOPES

INVENTORY = "/sell/inventory/v1"
WRITE = {"Content-Language": "en-US"}


def photo() -> bytes:
    image = Image.linear_gradient("L").resize((900, 700)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


PHOTO = photo()


@pytest.fixture
async def sandbox() -> AsyncIterator[EbaySandbox]:
    async with EbaySandbox() as server:
        assert isinstance(server, EbaySandbox)
        yield server
        assert server.response_violations == []  # these tests send bad requests on purpose


@pytest.fixture
async def api(sandbox: EbaySandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A raw client with a token the sandbox issued to Ana for every seller scope."""
    grant = sandbox.oauth.issue(sandbox.oauth.accounts[ANA], sandbox.client_id, USER_SCOPES)
    headers = {"Authorization": f"Bearer {grant.access_token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
        yield client


def error_ids(response: httpx.Response) -> set[int]:
    return {entry["errorId"] for entry in response.json()["errors"]}


async def upload(api: httpx.AsyncClient) -> str:
    response = await api.post(
        "/commerce/media/v1_beta/image/create_image_from_file",
        files={"image": ("p.jpg", PHOTO, "image/jpeg")},
    )
    assert response.status_code == 201
    return str(response.json()["imageUrl"])


async def test_inventory_item_needs_content_language_and_ebay_hosted_pictures(
    api: httpx.AsyncClient,
) -> None:
    image = await upload(api)
    item = {"product": {"title": "Lamp", "imageUrls": [image]}, "condition": "USED_GOOD"}
    no_language = await api.put(f"{INVENTORY}/inventory_item/LAMP-1", json=item)
    assert no_language.status_code == 400 and error_ids(no_language) == {25709}
    assert "Content-Language" in no_language.json()["errors"][0]["message"]

    foreign = {"product": {"title": "Lamp", "imageUrls": ["https://example.com/lamp.jpg"]}}
    refused = await api.put(f"{INVENTORY}/inventory_item/LAMP-1", json=foreign, headers=WRITE)
    assert refused.status_code == 400 and error_ids(refused) == {25015}

    crowded = {"product": {"title": "Lamp", "imageUrls": [image] * 25}}
    too_many = await api.put(f"{INVENTORY}/inventory_item/LAMP-1", json=crowded, headers=WRITE)
    assert too_many.status_code == 400 and 25014 in error_ids(too_many)

    fine = await api.put(f"{INVENTORY}/inventory_item/LAMP-1", json=item, headers=WRITE)
    assert fine.status_code == 204


@pytest.mark.parametrize("value", ["25", "25.5", "-1", "abc", "25.000"])
async def test_offer_price_must_be_a_two_decimal_string(api: httpx.AsyncClient, value: str) -> None:
    await api.put(f"{INVENTORY}/inventory_item/LAMP-2", json={}, headers=WRITE)
    response = await api.post(f"{INVENTORY}/offer", headers=WRITE, json={
        "sku": "LAMP-2", "marketplaceId": "EBAY_US", "format": "FIXED_PRICE",
        "pricingSummary": {"price": {"value": value, "currency": "USD"}},
    })
    assert response.status_code == 400 and error_ids(response) == {25709}
    assert "pricingSummary.price.value" in response.json()["errors"][0]["message"]


async def test_publishing_an_incomplete_offer_lists_every_missing_piece(
    api: httpx.AsyncClient,
) -> None:
    image = await upload(api)
    item = {
        "product": {"title": "Lamp", "description": "Brass.", "imageUrls": [image]},
        "condition": "USED_GOOD",
        "availability": {"shipToLocationAvailability": {"quantity": 1}},
    }
    await api.put(f"{INVENTORY}/inventory_item/LAMP-3", json=item, headers=WRITE)
    created = await api.post(f"{INVENTORY}/offer", headers=WRITE, json={
        "sku": "LAMP-3", "marketplaceId": "EBAY_US", "format": "FIXED_PRICE",
        "availableQuantity": 1,
        "pricingSummary": {"price": {"value": "25.00", "currency": "USD"}},
    })
    assert created.status_code == 201
    offer_id = created.json()["offerId"]
    refused = await api.post(f"{INVENTORY}/offer/{offer_id}/publish")
    assert refused.status_code == 400
    assert error_ids(refused) == {25005, 25007, 25008, 25009, 25012, 25017}
    duplicate = await api.post(f"{INVENTORY}/offer", headers=WRITE, json={
        "sku": "LAMP-3", "marketplaceId": "EBAY_US", "format": "FIXED_PRICE",
    })
    assert error_ids(duplicate) == {25002}
    assert duplicate.json()["errors"][0]["parameters"] == [{"name": "offerId", "value": offer_id}]


async def test_tokens_are_checked_like_ebay_checks_them(
    sandbox: EbaySandbox, api: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as anonymous:
        missing = await anonymous.get(f"{INVENTORY}/location/x")
    assert missing.status_code == 401 and error_ids(missing) == {1002}

    wrong_scope = await api.get("/commerce/taxonomy/v1/get_default_category_tree_id",
                                params={"marketplace_id": "EBAY_US"})
    assert wrong_scope.status_code == 403 and error_ids(wrong_scope) == {1100}

    sandbox.oauth.expire_access_tokens(ANA)
    expired = await api.get(f"{INVENTORY}/location/dealscout-us-94107")
    assert expired.status_code == 401 and error_ids(expired) == {1001}
    assert expired.json()["errors"][0]["message"] == "Invalid access token"


async def test_order_search_reaches_back_90_days_only(api: httpx.AsyncClient) -> None:
    old = (datetime.now(UTC) - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    response = await api.get("/sell/fulfillment/v1/order",
                             params={"filter": f"creationdate:[{old}..]"})
    assert response.status_code == 400 and error_ids(response) == {30830}
    recent = await api.get("/sell/fulfillment/v1/order", params={"limit": "10"})
    assert recent.status_code == 200 and recent.json()["orders"] == []
