"""The Facebook sandbox refuses what the Graph API refuses: catalog batches with bad items,
calls without a token, with a forged one, for someone else's catalog or without the scope."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from sandbox.facebook import APP_ID, ROSA, FacebookSandbox

ROSAS_CATALOG = "810000000000001"


@pytest.fixture
async def sandbox() -> AsyncIterator[FacebookSandbox]:
    async with FacebookSandbox() as server:
        assert isinstance(server, FacebookSandbox)
        yield server


async def test_the_sandbox_refuses_what_graph_refuses(sandbox: FacebookSandbox) -> None:
    rosa = sandbox.oauth.accounts[ROSA]
    granted = sandbox.oauth.issue(rosa, APP_ID, ("catalog_management", "business_management"))
    batch_url = f"{sandbox.url}/v24.0/{ROSAS_CATALOG}/items_batch"
    auth = {"Authorization": f"Bearer {granted.access_token}"}
    good = {
        "id": "ok-1", "title": "Lamp", "description": "Brass", "availability": "in stock",
        "condition": "new", "price": "25.00 USD", "link": "https://example.org/items/ok-1",
        "image_link": "https://example.org/a.jpg", "brand": "Rosa",
    }
    bad = [
        {**good, "id": "t", "title": "x" * 201},
        {**good, "id": "p", "price": "25 dollars"},
        {**good, "id": "c", "condition": "mint"},
        {**good, "id": "i", "additional_image_link": ["https://example.org/b.jpg"] * 21},
        {"id": "m", "title": "Only a title"},
    ]
    requests = json.dumps([{"method": "UPDATE", "data": data} for data in bad])
    scoped = sandbox.oauth.issue(sandbox.oauth.accounts[ROSA], APP_ID, ("public_profile",))
    async with httpx.AsyncClient() as client:
        no_type = await client.post(batch_url, headers=auth, data={"requests": requests})
        refused = await client.post(
            batch_url, headers=auth, data={"item_type": "PRODUCT_ITEM", "requests": requests}
        )
        anonymous = await client.get(f"{sandbox.url}/v24.0/me")
        bogus = await client.get(f"{sandbox.url}/v24.0/me", headers={"Authorization": "Bearer x"})
        not_mine = await client.get(
            f"{sandbox.url}/v24.0/810000000000002/products", headers=auth
        )
        unscoped = await client.post(
            batch_url,
            headers={"Authorization": f"Bearer {scoped.access_token}"},
            data={"item_type": "PRODUCT_ITEM", "requests": requests},
        )
    assert no_type.status_code == 400 and no_type.json()["error"]["code"] == 100
    body = refused.json()
    assert refused.status_code == 200 and body["handles"] == []
    problems = {s["retailer_id"]: s["errors"][0]["message"] for s in body["validation_status"]}
    assert problems["t"].startswith("title:") and "200" in problems["t"]
    assert problems["p"].startswith("price:") and "9.99 USD" in problems["p"]
    assert problems["c"].startswith("condition:")
    assert problems["i"].startswith("additional_image_link:")
    assert "Missing required field(s)" in problems["m"] and "image_link" in problems["m"]
    assert anonymous.status_code == 400 and anonymous.json()["error"]["code"] == 104
    assert bogus.json()["error"]["code"] == 190
    assert not_mine.json()["error"]["code"] == 100
    assert not_mine.json()["error"]["error_subcode"] == 33
    assert unscoped.status_code == 403 and unscoped.json()["error"]["code"] == 200
