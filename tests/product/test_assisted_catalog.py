"""The assisted marketplaces' catalog: each recognises its own listings' links as sellers paste
them (from the address bar, from an app's share text) and nothing else, says every condition in
its own words, and has rules the photo pipeline and the bot can use."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import pytest

from marketplaces.assisted import (
    ASSISTED,
    ASSISTED_BY_NAME,
    AssistedMarketplace,
    find_listing_link,
)
from marketplaces.base import Condition, Rules


class Links(NamedTuple):
    canonical: str  # what every pasted form below normalizes to
    pasted: tuple[str, ...]  # the same listing as sellers paste it
    share_text: str  # an app's share text carrying it
    not_listings: tuple[str, ...]  # pages of the same site that are not a listing


def check_links(name: str, links: Links) -> None:
    marketplace = ASSISTED_BY_NAME[name]
    assert marketplace.listing_link(links.canonical) == links.canonical
    for pasted in links.pasted:
        assert marketplace.listing_link(pasted) == links.canonical, pasted
    assert find_listing_link(links.share_text) == (marketplace, links.canonical)
    for page in links.not_listings:
        assert marketplace.listing_link(page) is None, page
        assert find_listing_link(f"here it is {page} thanks") is None, page
    for other in ASSISTED:
        if other.name != name:
            assert marketplace.listing_link(other.listing_url_example) is None, other.name


def test_facebook_marketplace_links() -> None:
    check_links("facebook_marketplace", Links(
        canonical="https://www.facebook.com/marketplace/item/1021457389216870/",
        pasted=(
            "https://www.facebook.com/marketplace/item/1021457389216870",
            "  https://m.facebook.com/marketplace/item/1021457389216870/?ref=share_attachment\n",
            "http://fb.com/marketplace/item/1021457389216870/?mibextid=6ojiHh#photo",
            "HTTPS://WWW.FACEBOOK.COM/marketplace/item/1021457389216870/",
            "facebook.com/marketplace/item/1021457389216870/",
        ),
        share_text=(
            "Check out this listing on Facebook Marketplace! "
            "https://www.facebook.com/marketplace/item/1021457389216870/?mibextid=6ojiHh"
        ),
        not_listings=(
            "https://www.facebook.com/marketplace/",
            "https://www.facebook.com/marketplace/nyc/search/?query=lamp",
            "https://www.facebook.com/marketplace/profile/100004567890123/",
            "https://www.facebook.com/marketplace/create/item",
            "https://www.facebook.com/share/1AbCdEfGhJ/",
            "https://www.facebook.com/marketplace/item/",
        ),
    ))


def test_offerup_links() -> None:
    check_links("offerup", Links(
        canonical="https://offerup.com/item/detail/1489623561",
        pasted=(
            "https://offerup.com/item/detail/1489623561/",
            "https://www.offerup.com/item/detail/1489623561?ref=share",
            "http://OfferUp.com/item/detail/1489623561",
        ),
        share_text="Check out this item on OfferUp. https://offerup.com/item/detail/1489623561.",
        not_listings=(
            "https://offerup.com/",
            "https://offerup.com/search?q=dresser",
            "https://offerup.com/p/12345678/",
            "https://offerup.com/post",
            "https://offerup.co/W0eOlKggjSb",
            "https://offerup.com/item/detail/",
        ),
    ))
    newer = "https://offerup.com/item/detail/0f8b2c1e-4d5a-4b6c-9e7f-1a2b3c4d5e6f"
    assert ASSISTED_BY_NAME["offerup"].listing_link(f"{newer}?src=app") == newer


def test_mercari_links() -> None:
    check_links("mercari", Links(
        canonical="https://www.mercari.com/us/item/m84937161530/",
        pasted=(
            "https://www.mercari.com/us/item/m84937161530",
            "https://mercari.com/us/item/m84937161530/?sv=0",
            "https://www.mercari.com/item/m84937161530/",
        ),
        share_text=(
            "I'm selling Levi's 501 jeans for $25 on Mercari. "
            "https://www.mercari.com/us/item/m84937161530/?sv=0 👀"
        ),
        not_listings=(
            "https://www.mercari.com/",
            "https://www.mercari.com/search/?keyword=levis",
            "https://www.mercari.com/u/123456789/",
            "https://www.mercari.com/sell/",
            "https://merc.li/MrZD2EDtb",
            "https://jp.mercari.com/item/m84937161530",
        ),
    ))


def test_poshmark_links() -> None:
    canonical = (
        "https://poshmark.com/listing/Levis-501-Original-Fit-Jeans-32x32-65a1f2c3d4e5f60718293a4b"
    )
    check_links("poshmark", Links(
        canonical=canonical,
        pasted=(
            f"{canonical}/",
            canonical.replace("https://", "https://www.") + "?utm_source=share",
            canonical.replace("https://", "http://"),
        ),
        share_text=f"Check out this listing I found on Poshmark: {canonical}",
        not_listings=(
            "https://poshmark.com/",
            "https://poshmark.com/search?query=levis",
            "https://poshmark.com/closet/janedoe",
            "https://poshmark.com/create-listing",
            "https://posh.mk/dZSDIxRJJ0b",
            "https://poshmark.com/listing/Levis-501-jeans",
        ),
    ))
    bare = "https://poshmark.com/listing/65a1f2c3d4e5f60718293a4b"
    assert ASSISTED_BY_NAME["poshmark"].listing_link(bare) == bare


def test_depop_links() -> None:
    check_links("depop", Links(
        canonical="https://www.depop.com/products/janedoe-vintage-levis-501-jeans-w30/",
        pasted=(
            "https://www.depop.com/products/janedoe-vintage-levis-501-jeans-w30",
            "https://depop.com/products/janedoe-vintage-levis-501-jeans-w30/?utm_medium=share",
        ),
        share_text=(
            "Look what I just found on Depop 👀 "
            "https://www.depop.com/products/janedoe-vintage-levis-501-jeans-w30/"
        ),
        not_listings=(
            "https://www.depop.com/",
            "https://www.depop.com/search/?q=levis",
            "https://www.depop.com/janedoe/",
            "https://www.depop.com/products/create/",
            "https://depop.app.link/6g078fuJW2b",
        ),
    ))


def test_craigslist_links() -> None:
    canonical = (
        "https://sfbay.craigslist.org/eby/fuo/d/oakland-mid-century-walnut-dresser/7712345678.html"
    )
    check_links("craigslist", Links(
        canonical=canonical,
        pasted=(
            f"{canonical}?lang=en",
            canonical.replace("https://", "http://") + "#map",
            canonical.replace("sfbay", "SFBay"),
        ),
        share_text=f"My dresser is up ({canonical}). Text me!",
        not_listings=(
            "https://sfbay.craigslist.org/",
            "https://sfbay.craigslist.org/search/fua?query=dresser",
            "https://post.craigslist.org/",
            "https://accounts.craigslist.org/login/home",
            "https://sfbay.craigslist.org/eby/fuo/d/oakland-dresser/771234.html",
        ),
    ))
    no_area = "https://boise.craigslist.org/fuo/d/boise-oak-table/7712345679.html"
    assert ASSISTED_BY_NAME["craigslist"].listing_link(no_area) == no_area


def test_the_catalog_is_the_six_in_order() -> None:
    assert [m.name for m in ASSISTED] == [
        "facebook_marketplace", "offerup", "mercari", "poshmark", "depop", "craigslist",
    ]
    assert list(ASSISTED_BY_NAME) == [m.name for m in ASSISTED]
    assert all(ASSISTED_BY_NAME[m.name] is m for m in ASSISTED)


@pytest.mark.parametrize("marketplace", ASSISTED, ids=lambda m: m.name)
def test_every_condition_has_the_marketplaces_words(marketplace: AssistedMarketplace) -> None:
    for condition in Condition:
        words = marketplace.condition_words(condition)
        assert words == words.strip() and words, condition
    assert marketplace.condition_words(Condition.NEW) != marketplace.condition_words(
        Condition.GOOD
    )


@pytest.mark.parametrize("marketplace", ASSISTED, ids=lambda m: m.name)
def test_rules_are_consistent(marketplace: AssistedMarketplace) -> None:
    rules = marketplace.rules
    assert isinstance(rules, Rules)
    assert (rules.marketplace, rules.display_name) == (marketplace.name, marketplace.display_name)
    assert rules.title_max > 0 and rules.description_max >= rules.title_max
    assert rules.photo_max > 0
    assert rules.photo_max_side >= rules.photo_min_side >= 0
    assert rules.photo_max_bytes > 0
    assert 0 < rules.price_min_cents < rules.price_max_cents
    assert rules.conditions == frozenset(Condition)
    assert rules.location_required is False
    assert marketplace.new_listing_url.startswith("https://")
    assert marketplace.listing_url_example.startswith("https://")


@pytest.mark.parametrize("marketplace", ASSISTED, ids=lambda m: m.name)
def test_every_entry_cites_its_sources(marketplace: AssistedMarketplace) -> None:
    assert marketplace.sources
    assert all(source.startswith("https://") for source in marketplace.sources)


def test_the_catalog_cannot_be_changed_by_accident() -> None:
    mercari = ASSISTED_BY_NAME["mercari"]
    with pytest.raises(TypeError):
        mercari.conditions[Condition.NEW] = "Brand new"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        mercari.title_max = 500  # type: ignore[misc]


def test_an_entry_missing_a_condition_or_with_a_wrong_example_is_refused() -> None:
    depop = ASSISTED_BY_NAME["depop"]
    fewer = {c: w for c, w in depop.conditions.items() if c is not Condition.FOR_PARTS}
    with pytest.raises(ValueError, match="for_parts"):
        dataclasses.replace(depop, conditions=fewer)
    with pytest.raises(ValueError, match="example"):
        dataclasses.replace(depop, listing_url_example="https://www.depop.com/janedoe/")


def test_a_message_without_a_listing_link_finds_nothing() -> None:
    assert find_listing_link("") is None
    assert find_listing_link("sold it on facebook marketplace yesterday, thanks!") is None
    assert find_listing_link("https://www.ebay.com/itm/123456789012") is None


def test_the_first_listing_link_in_a_message_wins() -> None:
    text = (
        "closet https://poshmark.com/closet/janedoe and listings "
        "https://www.mercari.com/us/item/m11111111111/ "
        "https://offerup.com/item/detail/22222222"
    )
    found = find_listing_link(text)
    assert found is not None
    assert (found[0].name, found[1]) == ("mercari", "https://www.mercari.com/us/item/m11111111111/")
