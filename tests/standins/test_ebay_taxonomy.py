"""The eBay sandbox's category rules and price comps: Taxonomy (suggestions, aspects), Metadata
(conditions per category) and Browse (comps), each with an application token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from sandbox.ebay import ANA, BOOKS, HEADPHONES, LAMPS, PHONES, SHOES, EbaySandbox
from sandbox.ebay.oauth import USER_SCOPES
from tests.standins.ebay_helpers import app_token, error_ids

TAXONOMY = "/commerce/taxonomy/v1"
CONDITIONS = "/sell/metadata/v1/marketplace/EBAY_US/get_item_condition_policies"
SEARCH = "/buy/browse/v1/item_summary/search"


@pytest.fixture
async def sandbox() -> AsyncIterator[EbaySandbox]:
    async with EbaySandbox() as server:
        assert isinstance(server, EbaySandbox)
        yield server
        assert server.contract_violations == []


@pytest.fixture
async def app(sandbox: EbaySandbox) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {app_token(sandbox)}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
        yield client


async def aspects(app: httpx.AsyncClient, category_id: str) -> dict[str, dict[str, object]]:
    answer = await app.get(f"{TAXONOMY}/category_tree/0/get_item_aspects_for_category",
                           params={"category_id": category_id})
    assert answer.status_code == 200
    return {a["localizedAspectName"]: a for a in answer.json()["aspects"]}


async def test_suggestions_are_leaves_with_their_ancestry_down_from_the_root(
    app: httpx.AsyncClient,
) -> None:
    tree = await app.get(f"{TAXONOMY}/get_default_category_tree_id",
                         params={"marketplace_id": "EBAY_US"})
    assert tree.json()["categoryTreeId"] == "0"
    missing = await app.get(f"{TAXONOMY}/get_default_category_tree_id")
    assert missing.status_code == 400 and error_ids(missing) == {62002}
    foreign = await app.get(f"{TAXONOMY}/get_default_category_tree_id",
                            params={"marketplace_id": "EBAY_XX"})
    assert error_ids(foreign) == {62003}

    found = await app.get(f"{TAXONOMY}/category_tree/0/get_category_suggestions",
                          params={"q": "nike running sneakers"})
    [best, *_] = found.json()["categorySuggestions"]
    assert best["category"] == {"categoryId": SHOES, "categoryName": "Athletic Shoes"}
    chain = [(a["categoryName"], a["categoryTreeNodeLevel"])
             for a in best["categoryTreeNodeAncestors"]]
    assert chain == [("Men's Shoes", 3), ("Men", 2), ("Clothing, Shoes & Accessories", 1),
                     ("Root", 0)]
    assert best["categoryTreeNodeLevel"] == 4
    nothing = await app.get(f"{TAXONOMY}/category_tree/0/get_category_suggestions",
                            params={"q": "zzzz qqqq"})
    assert nothing.status_code == 204 and nothing.content == b""
    no_q = await app.get(f"{TAXONOMY}/category_tree/0/get_category_suggestions")
    assert no_q.status_code == 400 and error_ids(no_q) == {62007}
    other_tree = await app.get(f"{TAXONOMY}/category_tree/3/get_category_suggestions",
                               params={"q": "lamp"})
    assert other_tree.status_code == 400 and error_ids(other_tree) == {62004}


async def test_aspects_say_what_is_required_how_it_is_entered_and_how_many(
    app: httpx.AsyncClient,
) -> None:
    shoes = await aspects(app, SHOES)
    size = shoes["US Shoe Size"]["aspectConstraint"]
    assert (size["aspectRequired"], size["aspectMode"], size["itemToAspectCardinality"],
            size["aspectUsage"]) == (True, "SELECTION_ONLY", "SINGLE", "RECOMMENDED")
    assert {"localizedValue": "10"} in shoes["US Shoe Size"]["aspectValues"]
    brand = shoes["Brand"]["aspectConstraint"]
    assert (brand["aspectRequired"], brand["aspectMode"]) == (True, "FREE_TEXT")
    phones = await aspects(app, PHONES)
    connectivity = phones["Connectivity"]["aspectConstraint"]
    assert (connectivity["aspectRequired"], connectivity["itemToAspectCardinality"]) == (
        False, "MULTI")
    required = {name for category in (SHOES, PHONES, HEADPHONES, LAMPS, BOOKS)
                for name, a in (await aspects(app, category)).items()
                if a["aspectConstraint"]["aspectRequired"]}
    assert {"Brand", "US Shoe Size", "Department", "Model", "Type", "Book Title"} <= required

    not_leaf = await app.get(f"{TAXONOMY}/category_tree/0/get_item_aspects_for_category",
                             params={"category_id": "293"})
    assert not_leaf.status_code == 400 and error_ids(not_leaf) == {62009}
    unknown = await app.get(f"{TAXONOMY}/category_tree/0/get_item_aspects_for_category",
                            params={"category_id": "999999999"})
    assert error_ids(unknown) == {62005}


async def test_seller_tokens_are_refused_by_taxonomy(sandbox: EbaySandbox) -> None:
    grant = sandbox.oauth.issue(sandbox.oauth.accounts[ANA], sandbox.client_id, USER_SCOPES)
    async with httpx.AsyncClient(base_url=sandbox.url) as raw:
        refused = await raw.get(f"{TAXONOMY}/get_default_category_tree_id",
                                params={"marketplace_id": "EBAY_US"},
                                headers={"Authorization": f"Bearer {grant.access_token}"})
    assert refused.status_code == 403 and error_ids(refused) == {1100}


async def test_conditions_per_category(app: httpx.AsyncClient) -> None:
    answer = await app.get(CONDITIONS, params={"filter": f"categoryIds:{{{SHOES}|{LAMPS}}}"})
    assert answer.status_code == 200
    policies = {p["categoryId"]: p for p in answer.json()["itemConditionPolicies"]}
    shoes = {c["conditionId"]: c["conditionDescription"]
             for c in policies[SHOES]["itemConditions"]}
    assert shoes["3000"] == "Pre-owned - Good" and "5000" not in shoes
    lamps = {c["conditionId"] for c in policies[LAMPS]["itemConditions"]}
    assert lamps == {"1000", "1500", "3000", "7000"}
    assert policies[SHOES]["itemConditionRequired"] is True

    phones = (await app.get(CONDITIONS, params={"filter": f"categoryIds:{{{PHONES}}}"})).json()
    refurbished = [c for c in phones["itemConditionPolicies"][0]["itemConditions"]
                   if c["conditionId"] == "2010"]
    assert refurbished == [{"conditionId": "2010", "conditionDescription":
                            "Excellent - Refurbished", "usage": "RESTRICTED"}]
    parent = (await app.get(CONDITIONS, params={"filter": "categoryIds:{15032}"})).json()
    assert [p["categoryId"] for p in parent["itemConditionPolicies"]] == [PHONES]
    unknown = (await app.get(CONDITIONS, params={"filter": "categoryIds:{42}"})).json()
    assert unknown["itemConditionPolicies"] == []
    assert [w["errorId"] for w in unknown["warnings"]] == [46003]
    foreign = await app.get("/sell/metadata/v1/marketplace/EBAY_XX/get_item_condition_policies")
    assert foreign.status_code == 400 and error_ids(foreign) == {46001}


async def test_comps_search_filters_sorts_and_pages(app: httpx.AsyncClient) -> None:
    search = await app.get(SEARCH, params={
        "q": "iphone 13", "category_ids": PHONES, "sort": "price", "limit": "3",
        "filter": "price:[150..450],priceCurrency:USD,conditionIds:{3000}",
    })
    body = search.json()
    prices = [Decimal(i["price"]["value"]) for i in body["itemSummaries"]]
    assert prices == sorted(prices) and all(150 <= p <= 450 for p in prices)
    assert {i["conditionId"] for i in body["itemSummaries"]} == {"3000"}
    assert body["total"] == 3 and "next" not in body

    everything = (await app.get(SEARCH, params={"q": "sony wh-1000xm4"})).json()
    spread = [Decimal(i["price"]["value"]) for i in everything["itemSummaries"]]
    assert min(spread) < 100 < max(spread)  # for-parts and new bracket the used ones
    paged = (await app.get(SEARCH, params={"category_ids": SHOES, "limit": "5"})).json()
    assert paged["total"] == 8 and len(paged["itemSummaries"]) == 5 and "next" in paged

    no_currency = (await app.get(SEARCH, params={"q": "lamp", "filter": "price:[1..9]"})).json()
    assert [w["errorId"] for w in no_currency["warnings"]] == [12012]
    nothing = (await app.get(SEARCH, params={"q": "zzzz qqqq"})).json()
    assert nothing["total"] == 0 and "itemSummaries" not in nothing
    bare = await app.get(SEARCH)
    assert bare.status_code == 400 and error_ids(bare) == {12001}
    top = await app.get(SEARCH, params={"category_ids": "293"})
    assert top.status_code == 409 and error_ids(top) == {12013}
    odd = await app.get(SEARCH, params={"q": "lamp", "limit": "5", "offset": "3"})
    assert odd.status_code == 400 and error_ids(odd) == {12515}


async def test_comps_can_be_slow_or_gone(sandbox: EbaySandbox, app: httpx.AsyncClient) -> None:
    sandbox.browse_delay_seconds = 2
    with pytest.raises(httpx.ReadTimeout):
        await app.get(SEARCH, params={"q": "lamp"}, timeout=0.3)
    sandbox.browse_delay_seconds = 0
    sandbox.comps.clear()
    empty = (await app.get(SEARCH, params={"q": "brass lamp"})).json()
    assert empty["total"] == 0
