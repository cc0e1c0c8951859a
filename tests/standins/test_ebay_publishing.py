"""What the eBay sandbox refuses at publishOffer, as eBay documents it (item specifics,
conditions per category, description length, listing duration, calculated shipping), the
picture rule, getOffers without an offer, and bulkUpdatePriceQuantity on a live listing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sandbox.ebay import ANA, BEA, SHOES, EbaySandbox
from sandbox.ebay.oauth import USER_SCOPES
from tests.standins.ebay_helpers import (
    INVENTORY,
    error_ids,
    offer_for,
    photo,
    publish_headphones,
    upload,
)

SNEAKERS = {"Brand": ["Nike"], "US Shoe Size": ["10"], "Department": ["Men"]}


@pytest.fixture
async def sandbox() -> AsyncIterator[EbaySandbox]:
    async with EbaySandbox() as server:
        assert isinstance(server, EbaySandbox)
        yield server
        assert server.contract_violations == []


async def seller(sandbox: EbaySandbox, account_id: str) -> httpx.AsyncClient:
    grant = sandbox.oauth.issue(sandbox.oauth.accounts[account_id], sandbox.client_id,
                                USER_SCOPES)
    return httpx.AsyncClient(base_url=sandbox.url,
                             headers={"Authorization": f"Bearer {grant.access_token}"})


@pytest.fixture
async def ana(sandbox: EbaySandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with await seller(sandbox, ANA) as client:
        yield client


async def publish(api: httpx.AsyncClient, offer_id: str) -> httpx.Response:
    return await api.post(f"{INVENTORY}/offer/{offer_id}/publish")


async def test_a_missing_item_specific_is_named_as_ebay_names_it(ana: httpx.AsyncClient) -> None:
    offer_id = await offer_for(ana, "SHOE-1", category_id=SHOES,
                               aspects={"Brand": ["Nike"], "Department": ["Men"]})
    refused = await publish(ana, offer_id)
    assert refused.status_code == 400 and error_ids(refused) == {25002}
    [error] = refused.json()["errors"]
    assert error["message"] == (
        "A user error has occurred. The item specific US Shoe Size is missing. Add US Shoe Size "
        "to this listing, enter a valid value, and then try again.")
    assert {"name": "2", "value": "US Shoe Size"} in error["parameters"]


@pytest.mark.parametrize("specifics", [
    {**SNEAKERS, "US Shoe Size": ["10 1/2"]},  # not one of eBay's values (SELECTION_ONLY)
    {**SNEAKERS, "Brand": ["Nike", "Jordan"]},  # two values for a SINGLE aspect
])
async def test_item_specifics_take_ebays_values_and_count(
    ana: httpx.AsyncClient, specifics: dict[str, list[str]]
) -> None:
    offer_id = await offer_for(ana, "SHOE-2", category_id=SHOES, aspects=specifics,
                               condition="USED_EXCELLENT")
    refused = await publish(ana, offer_id)
    assert error_ids(refused) == {25002}


async def test_a_condition_the_category_does_not_allow_is_refused(
    ana: httpx.AsyncClient,
) -> None:
    offer_id = await offer_for(ana, "SHOE-3", category_id=SHOES, aspects=SNEAKERS,
                               condition="USED_GOOD")
    refused = await publish(ana, offer_id)
    assert error_ids(refused) == {25021}
    assert "USED_GOOD" in refused.json()["errors"][0]["message"]
    fine = await offer_for(ana, "SHOE-4", category_id=SHOES, aspects=SNEAKERS,
                           condition="PRE_OWNED_EXCELLENT")
    assert (await publish(ana, fine)).status_code == 200


async def test_description_over_4000_and_no_listing_duration_are_refused(
    ana: httpx.AsyncClient,
) -> None:
    long = await offer_for(ana, "HEAD-LONG", description="x" * 4001)
    assert error_ids(await publish(ana, long)) == {25016}
    undated = await offer_for(ana, "HEAD-UNDATED", offer={"listingDuration": None})
    refused = await publish(ana, undated)
    assert error_ids(refused) == {25017}
    assert "listingDuration" in refused.json()["errors"][0]["message"]
    weekly = await offer_for(ana, "HEAD-WEEK", offer={"listingDuration": "DAYS_7"})
    assert error_ids(await publish(ana, weekly)) == {25006}


async def test_calculated_shipping_needs_the_package_weight_and_size(
    sandbox: EbaySandbox,
) -> None:
    bea_policies = {"fulfillmentPolicyId": "6207410000", "paymentPolicyId": "6207412000",
                    "returnPolicyId": "6207413000"}
    async with await seller(sandbox, BEA) as bea:
        bare = await offer_for(bea, "BEA-1", offer={"listingPolicies": bea_policies})
        refused = await publish(bea, bare)
        assert refused.status_code == 400 and error_ids(refused) == {25020}
        package = {"packageWeightAndSize": {
            "weight": {"value": 1.5, "unit": "POUND"},
            "dimensions": {"length": 10, "width": 8, "height": 4, "unit": "INCH"},
        }}
        boxed = await offer_for(bea, "BEA-2", offer={"listingPolicies": bea_policies},
                                item=package)
        assert (await publish(bea, boxed)).status_code == 200
        flat = {**bea_policies, "fulfillmentPolicyId": "6207411000"}
        assert (await publish(bea, await offer_for(
            bea, "BEA-3", offer={"listingPolicies": flat}))).status_code == 200
        policies = (await bea.get("/sell/account/v1/fulfillment_policy",
                                  params={"marketplace_id": "EBAY_US"})).json()
    cost_types = {p["fulfillmentPolicyId"]: p["shippingOptions"][0]["costType"]
                  for p in policies["fulfillmentPolicies"]}
    assert cost_types == {"6207410000": "CALCULATED", "6207411000": "FLAT_RATE"}


async def test_pictures_need_500_pixels_on_the_longest_side(ana: httpx.AsyncClient) -> None:
    assert (await upload(ana, photo(300, 600))).status_code == 201  # tall and narrow is fine
    small = await upload(ana, photo(480, 360))
    assert small.status_code == 400 and error_ids(small) == {190002}


async def test_get_offers_without_an_offer_answers_404_25713(ana: httpx.AsyncClient) -> None:
    put = await ana.put(f"{INVENTORY}/inventory_item/NO-OFFER", json={},
                        headers={"Content-Language": "en-US"})
    assert put.status_code == 204
    none_yet = await ana.get(f"{INVENTORY}/offer", params={"sku": "NO-OFFER"})
    assert none_yet.status_code == 404 and error_ids(none_yet) == {25713}
    unknown = await ana.get(f"{INVENTORY}/offer", params={"sku": "NEVER-SEEN"})
    assert unknown.status_code == 400 and error_ids(unknown) == {25707}


async def test_bulk_update_changes_the_live_price_without_publishing_again(
    sandbox: EbaySandbox, ana: httpx.AsyncClient
) -> None:
    offer_id = await publish_headphones(ana)
    listing_id = sandbox.listing(offer_id).listing_id
    changed = await ana.post(f"{INVENTORY}/bulk_update_price_quantity", json={"requests": [{
        "sku": "DS-HEAD-1",
        "offers": [{"offerId": offer_id, "availableQuantity": 2,
                    "price": {"value": "110.00", "currency": "USD"}}],
    }]})
    assert changed.status_code == 200
    assert changed.json()["responses"] == [
        {"offerId": offer_id, "sku": "DS-HEAD-1", "statusCode": 200}]
    shown = sandbox.listing(offer_id)
    assert (shown.listing_id, shown.price, shown.state) == (listing_id, "110.00", "live")
    assert sandbox.requests.count(f"POST {INVENTORY}/offer/{offer_id}/publish") == 1

    partly = await ana.post(f"{INVENTORY}/bulk_update_price_quantity", json={"requests": [{
        "offers": [{"offerId": offer_id, "price": {"value": "99.00", "currency": "USD"}},
                   {"offerId": "404404", "availableQuantity": 1}],
    }]})
    assert partly.status_code == 207
    assert [r["statusCode"] for r in partly.json()["responses"]] == [200, 404]
    assert partly.json()["responses"][1]["errors"][0]["errorId"] == 25713
