"""eBay's official OpenAPI documents as the judge (sandbox/ebay/contract.py): the copies the
sandbox carries are eBay's own, and where eBay's document contradicts eBay, the test says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.ebay.contract import CONTRACTS_DIR, ContractBook

SHARED = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "ebay"
ITEM = "/sell/inventory/v1/inventory_item/DS-LAMP-1"
HEADERS = {"Content-Language": "en-US", "Content-Type": "application/json"}


def document(name: str) -> dict:
    return json.loads((CONTRACTS_DIR / name).read_text(encoding="utf-8"))


def item(aspects: object) -> bytes:
    return json.dumps({
        "availability": {"shipToLocationAvailability": {"quantity": 1}},
        "condition": "USED_EXCELLENT",
        "product": {"title": "Brass desk lamp", "description": "Rewired.",
                    "imageUrls": ["https://i.ebayimg.com/00/s/1.jpg"], "aspects": aspects},
    }).encode()


@pytest.mark.skipif(not SHARED.is_dir(), reason="the project's shared contracts are not here")
def test_the_sandbox_carries_ebays_documents_byte_for_byte() -> None:
    shared = sorted(path.name for path in SHARED.glob("*.json"))
    assert shared == sorted(path.name for path in CONTRACTS_DIR.glob("*.json"))
    for name in shared:
        assert (CONTRACTS_DIR / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_product_aspects_is_typed_string_though_ebay_means_a_map_of_lists() -> None:
    """eBay's document types Product.aspects as "string"; its samples and every listing eBay
    takes send {"Brand": ["GoPro"]}. The check follows what eBay takes."""
    aspects = document("sell_inventory_v1_oas3.json")["components"]["schemas"]["Product"][
        "properties"]["aspects"]
    assert aspects["type"] == "string"  # what the document says

    book = ContractBook()
    put = book.find("PUT", ITEM)
    assert put is not None and put.operation_id == "createOrReplaceInventoryItem"
    assert book.check_request(put, {}, HEADERS, item({"Brand": ["Stiffel"]})) == []
    refused = book.check_request(put, {}, HEADERS, item("Brand: Stiffel"))
    assert any("aspects" in problem for problem in refused)


def test_a_partly_failed_bulk_price_update_is_documented_without_its_body() -> None:
    """bulkUpdatePriceQuantity's 207 carries each offer's result, yet the document gives the
    207 no content; the check reads it in the 200's shape."""
    responses = document("sell_inventory_v1_oas3.json")["paths"][
        "/bulk_update_price_quantity"]["post"]["responses"]
    assert "content" in responses["200"] and "content" not in responses["207"]

    book = ContractBook()
    bulk = book.find("POST", "/sell/inventory/v1/bulk_update_price_quantity")
    assert bulk is not None
    answer = {"responses": [{"offerId": "1", "sku": "DS-LAMP-1", "statusCode": 400,
                             "errors": [{"errorId": 25002, "message": "A user error"}]}]}
    assert book.check_response(bulk, 207, json.dumps(answer).encode()) == []
    assert book.check_response(bulk, 207, json.dumps({"result": []}).encode()) != []
