"""What the eBay adapter writes into an inventory item and an offer, against the rules eBay
writes in its Inventory API's field descriptions."""

from __future__ import annotations

import re

from marketplaces.base import Condition, Listing, Package
from marketplaces.ebay.account import Policies
from marketplaces.ebay.listing import html_description, inventory_item, offer_details

POLICIES = Policies("fulfil-1", "pay-1", "return-1")
ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#x27);")


def lamp(**changes: object) -> Listing:
    fields: dict[str, object] = {
        "sku": "DS-LAMP-261201-ABCDEFGH", "title": "Brass desk lamp", "description": "Rewired.",
        "price_cents": 4200, "condition": Condition.GOOD, "photos": (b"jpeg",),
    }
    return Listing(**(fields | changes))  # type: ignore[arg-type]


def test_a_description_of_4000_characters_is_escaped_first_then_fitted_to_4000() -> None:
    typed = ("Tom & Jerry <3 “mint”\n" * 400)[:4000]  # what used to become 6,000+ characters

    written = html_description(typed)

    assert len(written) <= 4000
    assert written.endswith("…")
    assert not re.search(r"<(?!br>)", written)  # the only markup: whole <br>s
    for ampersand in re.finditer("&", written):
        assert ENTITY.match(written, ampersand.start()), written[ampersand.start():][:8]


def test_a_short_description_keeps_its_line_breaks_and_shows_markup_as_typed() -> None:
    assert html_description("One <b>two</b>\nthree & four") == (
        "One &lt;b&gt;two&lt;/b&gt;<br>three &amp; four"
    )


def test_every_offer_runs_good_til_cancelled() -> None:
    details = offer_details(lamp(), "112581", POLICIES, "dealscout-us-98402")

    assert details["listingDuration"] == "GTC"
    assert details["categoryId"] == "112581"


def test_the_condition_chosen_from_ebays_list_is_sent_with_the_sellers_note() -> None:
    item = inventory_item(
        lamp(condition_ids={"ebay": "3000"}, condition_description="A scuff on the base."),
        ["https://i.ebayimg.com/1.jpg"],
    )

    assert item["condition"] == "USED_EXCELLENT"
    assert item["conditionDescription"] == "A scuff on the base."


def test_a_new_item_carries_no_condition_description() -> None:
    item = inventory_item(
        lamp(condition=Condition.NEW, condition_ids={"ebay": "1000"},
             condition_description="Never used."), [],
    )

    assert item["condition"] == "NEW"
    assert "conditionDescription" not in item


def test_item_specifics_go_as_a_map_of_lists_and_skipped_ones_are_left_out() -> None:
    item = inventory_item(
        lamp(aspects={"Brand": ("Unbranded",), "Room": ("Office", "Study"), "Style": ()}), []
    )

    assert item["product"]["aspects"] == {"Brand": ["Unbranded"], "Room": ["Office", "Study"]}


def test_the_parcel_goes_in_ounces_and_inches() -> None:
    item = inventory_item(lamp(package=Package(48, 12, 10, 6)), [])

    assert item["packageWeightAndSize"] == {
        "dimensions": {"height": 6, "length": 12, "width": 10, "unit": "INCH"},
        "weight": {"value": 48, "unit": "OUNCE"},
    }
