"""The eBay adapter against the eBay sandbox, over real HTTP on loopback.

Each test states what a seller or operator would see: the listing on eBay, its public page, the
error and its sentence, or the HTTP answer eBay gives a request it refuses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from marketplaces.base import (
    Condition,
    Listing,
    ListingStatus,
    Location,
    Marketplace,
    NeedsReconnect,
    Package,
    Published,
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
    TokenExpired,
    Tokens,
)
from marketplaces.ebay import (
    ENV_VARS,
    RULES,
    USER_SCOPES,
    EbayConfig,
    EbayMarketplace,
    config_from_env,
)
from sandbox.ebay import ANA, BEA, HEADPHONES, LAMPS, MARCO, EbaySandbox

REDIRECT = "https://bot.example.org/oauth/ebay/callback"
INVENTORY = "/sell/inventory/v1"


# ── Fixtures and helpers ──────────────────────────────────────────────────────────────────────


def photo(width: int = 900, height: int = 700) -> bytes:
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


PHOTO = photo()


def a_listing(**changes: Any) -> Listing:
    listing = Listing(
        sku="DS-1001",
        title="Sony WH-1000XM4 wireless headphones",
        description="Barely used, with the carry case and cable.",
        price_cents=12_500,
        condition=Condition.GOOD,
        photos=(PHOTO, PHOTO),
        category="Headphones",
        location=Location(postal_code="94107"),
        # As the seller answered them in chat: eBay's leaf, its condition, its item specifics
        category_ids={"ebay": HEADPHONES},
        condition_ids={"ebay": "3000"},
        aspects={"Brand": ("Sony",), "Type": ("Over the Ear",)},
    )
    return dataclasses.replace(listing, **changes)


@pytest.fixture
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[EbaySandbox]:
    """The eBay stand-in; afterwards every request the adapter sent (a test's own raw `api`
    calls excepted) and every answer must match eBay's OpenAPI documents."""
    async with EbaySandbox(redirect_uris=(REDIRECT,)) as server:
        assert isinstance(server, EbaySandbox)
        yield server
    assert server.response_violations == []
    if "api" not in request.fixturenames:
        assert server.contract_violations == []


@pytest.fixture
async def ebay(sandbox: EbaySandbox) -> AsyncIterator[EbayMarketplace]:
    adapter = EbayMarketplace(sandbox.adapter_config(REDIRECT))
    yield adapter
    await adapter.aclose()


async def connect(sandbox: EbaySandbox, ebay: EbayMarketplace, account: str = ANA) -> Tokens:
    location = await sandbox.oauth.consent(ebay.authorization_url("st4te"), account_id=account)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT) and query["state"] == ["st4te"]
    return await ebay.exchange_code(query["code"][0])


@pytest.fixture
async def tokens(sandbox: EbaySandbox, ebay: EbayMarketplace) -> Tokens:
    connected = await connect(sandbox, ebay)
    return await ebay.prepare_account(connected)


@pytest.fixture
async def api(sandbox: EbaySandbox, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    """A raw client with the seller's token, to send eBay what our adapter never would."""
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
        yield client


async def upload(api: httpx.AsyncClient) -> str:
    response = await api.post(
        "/commerce/media/v1_beta/image/create_image_from_file",
        files={"image": ("p.jpg", PHOTO, "image/jpeg")},
    )
    assert response.status_code == 201
    return str(response.json()["imageUrl"])


WRITE = {"Content-Language": "en-US"}


# ── Configuration ─────────────────────────────────────────────────────────────────────────────


def test_config_is_off_without_client_id_and_names_every_problem() -> None:
    assert config_from_env({}, public_base_url="https://bot.example.org") is None
    with pytest.raises(ValueError) as partly:
        config_from_env(
            {"EBAY_CLIENT_ID": "App-1", "EBAY_ENVIRONMENT": "staging",
             "EBAY_MEDIA_BASE_URL": "apim.ebay.com"},
            public_base_url=None,
        )
    for name in ("EBAY_CLIENT_SECRET", "EBAY_ENVIRONMENT", "EBAY_RUNAME", "EBAY_MEDIA_BASE_URL"):
        assert name in str(partly.value)
    assert set(ENV_VARS) >= {"EBAY_CLIENT_ID", "EBAY_CLIENT_SECRET", "EBAY_RUNAME"}


def test_config_defaults_to_production_and_switches_to_ebays_sandbox() -> None:
    env = {"EBAY_CLIENT_ID": "App-1", "EBAY_CLIENT_SECRET": "Cert-1"}
    production = config_from_env(env, public_base_url="https://bot.example.org/")
    assert production == EbayConfig(
        client_id="App-1", client_secret="Cert-1", redirect_uri=REDIRECT
    )
    assert production.token_url == "https://api.ebay.com/identity/v1/oauth2/token"
    assert "Cert-1" not in repr(production)
    sandboxed = config_from_env(
        {**env, "EBAY_ENVIRONMENT": "sandbox", "EBAY_RUNAME": "Deal_Scout-DealScou-SBX-abc"},
        public_base_url=None,
    )
    assert sandboxed is not None and sandboxed.redirect_uri == "Deal_Scout-DealScou-SBX-abc"
    assert sandboxed.authorize_url == "https://auth.sandbox.ebay.com/oauth2/authorize"
    assert sandboxed.web_base_url == "https://sandbox.ebay.com"


# ── Connecting ────────────────────────────────────────────────────────────────────────────────


async def test_connect_identifies_the_seller_and_refresh_keeps_the_refresh_token(
    sandbox: EbaySandbox, ebay: EbayMarketplace
) -> None:
    assert isinstance(ebay, Marketplace)
    assert not ebay.oauth.pkce and ebay.oauth.revoke_url is None
    link = ebay.authorization_url("s", code_verifier="ignored-because-ebay-has-no-pkce")
    query = parse_qs(urlsplit(link).query)
    assert query["redirect_uri"] == [REDIRECT] and "code_challenge" not in query
    assert query["scope"] == [" ".join(USER_SCOPES)]

    first = await connect(sandbox, ebay)
    now = datetime.now(UTC)
    assert first.expires_at and abs((first.expires_at - now) - timedelta(hours=2)).seconds < 60
    assert first.refresh_expires_at and (first.refresh_expires_at - now).days >= 540
    account = await ebay.whoami(first)
    assert (account.external_id, account.display_name) == ("nY3kQb8xTz1", "anas_attic_finds")

    second = await ebay.refresh(first)
    assert second.access_token != first.access_token
    assert second.refresh_token == first.refresh_token  # eBay does not rotate
    assert (await ebay.whoami(second)).display_name == "anas_attic_finds"
    await ebay.revoke(second)  # nothing to call at eBay; the token still works there
    assert (await ebay.whoami(second)).external_id == "nY3kQb8xTz1"


async def test_expired_token_then_refresh_then_revoked_grant(
    sandbox: EbaySandbox, ebay: EbayMarketplace, tokens: Tokens
) -> None:
    sandbox.oauth.expire_access_tokens(ANA)
    with pytest.raises(TokenExpired) as expired:
        await ebay.whoami(tokens)
    assert tokens.access_token not in str(expired.value)

    fresh = await ebay.refresh(tokens)
    assert fresh.extra == tokens.extra  # the set-up survives a refresh
    assert (await ebay.whoami(fresh)).display_name == "anas_attic_finds"

    sandbox.oauth.revoke_account(ANA)
    with pytest.raises(NeedsReconnect):
        await ebay.refresh(fresh)


# ── Account set-up ────────────────────────────────────────────────────────────────────────────


async def test_prepare_account_uses_default_policies_and_creates_the_location(
    sandbox: EbaySandbox, ebay: EbayMarketplace
) -> None:
    connected = await connect(sandbox, ebay)
    connected = dataclasses.replace(connected, extra={"postal_code": "94107"})
    prepared = await ebay.prepare_account(connected)
    assert prepared.extra == {
        "postal_code": "94107",
        "fulfillment_policy_id": "6196933000",  # the default, not the first listed
        "payment_policy_id": "6196934000",
        "return_policy_id": "6196935000",
        "merchant_location_key": "dealscout-us-94107",
        "calculated_shipping": "no",  # Ana's default shipping policy is a flat rate
    }
    address = sandbox.sellers[ANA].locations["dealscout-us-94107"]["location"]["address"]
    assert address == {"postalCode": "94107", "country": "US"}
    again = await ebay.prepare_account(connected)  # the location already exists: fine
    assert again.extra == prepared.extra


async def test_seller_without_business_policies_is_told_which_to_create(
    sandbox: EbaySandbox, ebay: EbayMarketplace
) -> None:
    connected = await connect(sandbox, ebay, MARCO)
    with pytest.raises(Rejected) as missing:
        await ebay.prepare_account(connected)
    assert missing.value.field == "account"
    sentence = missing.value.message
    for words in ("shipping policy", "payment policy", "return policy", "Business policies"):
        assert words in sentence


# ── Publishing ────────────────────────────────────────────────────────────────────────────────


async def test_publish_twice_makes_one_listing_with_its_public_page(
    sandbox: EbaySandbox, ebay: EbayMarketplace, tokens: Tokens
) -> None:
    listing = a_listing(category_ids={"ebay": "112529"})
    first = await ebay.publish(tokens, listing)
    second = await ebay.publish(tokens, dataclasses.replace(listing, price_cents=11_000))
    assert first == second
    assert first.url.startswith(f"{sandbox.url}/itm/")

    [shown] = sandbox.listings
    assert (shown.title, shown.price, shown.currency, shown.state) == (
        listing.title, "110.00", "USD", "live"
    )
    assert shown.category_id == "112529" and len(shown.images) == 2
    assert sandbox.sellers[ANA].items["DS-1001"]["condition"] == "USED_EXCELLENT"  # id 3000

    async with httpx.AsyncClient() as browser:
        page = await browser.get(first.url)
        picture = await browser.get(shown.images[0])
    assert page.status_code == 200
    assert listing.title in page.text and "US $110.00" in page.text
    assert shown.images[0] in page.text
    assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8"


async def test_publish_finds_the_category_and_creates_the_items_location(
    sandbox: EbaySandbox, ebay: EbayMarketplace, tokens: Tokens
) -> None:
    lamp = a_listing(sku="DS-LAMP-7", title="Brass desk lamp", category="Table lamps",
                     condition=Condition.GOOD, location=Location(postal_code="10001"),
                     category_ids={}, condition_ids={},
                     aspects={"Brand": ("Unbranded",), "Type": ("Desk Lamp",)})
    published = await ebay.publish(tokens, lamp)
    shown = sandbox.listing(published.external_id)
    assert shown.category_id == "112581"
    assert "dealscout-us-10001" in sandbox.sellers[ANA].locations
    # Lamps take no USED_GOOD: "Good" becomes the category's own used condition
    assert sandbox.sellers[ANA].items["DS-LAMP-7"]["condition"] == "USED_EXCELLENT"

    [phone, *_] = await ebay.suggest_categories("iPhone 13 smartphone")
    assert (phone.category_id, phone.name) == ("9355", "Cell Phones & Smartphones")
    assert phone.path_text == "Cell Phones & Accessories › Cell Phones & Smartphones"
    assert await ebay.suggest_categories("zzzz qqqq") == []
    grants = [r["grant_type"] for r in sandbox.oauth.token_requests]
    assert grants.count("client_credentials") == 1  # the application token is reused


async def test_publish_reuses_an_offer_a_lost_attempt_created(
    sandbox: EbaySandbox, ebay: EbayMarketplace, tokens: Tokens, api: httpx.AsyncClient
) -> None:
    image = await upload(api)
    item = {"product": {"title": "Old draft", "imageUrls": [image]}, "condition": "NEW"}
    assert (await api.put(f"{INVENTORY}/inventory_item/DS-1001", json=item,
                          headers=WRITE)).status_code == 204
    draft = await api.post(f"{INVENTORY}/offer", headers=WRITE, json={
        "sku": "DS-1001", "marketplaceId": "EBAY_US", "format": "FIXED_PRICE",
    })
    published = await ebay.publish(tokens, a_listing())
    assert published.external_id == draft.json()["offerId"]
    assert [shown.title for shown in sandbox.listings] == [a_listing().title]


async def test_status_follows_the_sale_the_seller_ending_it_and_withdraw(
    sandbox: EbaySandbox, ebay: EbayMarketplace, tokens: Tokens
) -> None:
    sold = await ebay.publish(tokens, a_listing(sku="DS-SOLD"))
    ended = await ebay.publish(tokens, a_listing(sku="DS-ENDED"))
    withdrawn = await ebay.publish(tokens, a_listing(sku="DS-WITHDRAWN"))
    assert await ebay.status(tokens, sold.external_id) == ListingStatus.LIVE

    sandbox.sell(sold.external_id)
    sandbox.end(ended.external_id)
    await ebay.withdraw(tokens, withdrawn.external_id)
    await ebay.withdraw(tokens, withdrawn.external_id)  # already ended: nothing to do

    assert await ebay.status(tokens, sold.external_id) == ListingStatus.SOLD
    assert await ebay.status(tokens, ended.external_id) == ListingStatus.ENDED
    assert await ebay.status(tokens, withdrawn.external_id) == ListingStatus.ENDED
    assert await ebay.status(tokens, "999") == ListingStatus.ENDED
    assert "GET /sell/fulfillment/v1/order" in sandbox.requests
    states = {shown.sku: shown.state for shown in sandbox.listings}
    assert states == {"DS-SOLD": "sold", "DS-ENDED": "ended", "DS-WITHDRAWN": "ended"}


# ── What the seller is told ───────────────────────────────────────────────────────────────────


async def test_title_over_80_characters_is_refused_by_ebay_with_the_field(
    ebay: EbayMarketplace, tokens: Tokens
) -> None:
    with pytest.raises(Rejected) as refused:
        await ebay.publish(tokens, a_listing(title="Vintage " * 11))
    assert refused.value.field == "title"
    assert "80 characters" in refused.value.message


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"photos": ()}, "photos", "at least one photo"),
        ({"photos": (PHOTO,) * 25}, "photos", "at most 24 photos"),
        ({"photos": (photo(300, 200),)}, "photos", "at least 500 pixels"),
        ({"location": None}, "location", "ZIP code"),
        ({"category": "zzzz", "title": "qqqq wwww", "category_ids": {}}, "category",
         "Choose an eBay category"),
        ({"category_ids": {"ebay": "293"}}, "category", "leaf category"),
    ],
)
async def test_listing_problems_become_sentences_naming_the_field(
    ebay: EbayMarketplace, tokens: Tokens, changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(Rejected) as refused:
        await ebay.publish(tokens, a_listing(**changes))
    assert refused.value.field == field
    assert words in refused.value.message


async def test_missing_policies_at_publish_name_the_account(
    sandbox: EbaySandbox, ebay: EbayMarketplace
) -> None:
    marco = await connect(sandbox, ebay, MARCO)
    with pytest.raises(Rejected) as refused:
        await ebay.publish(marco, a_listing())
    assert refused.value.field == "account" and "Business policies" in refused.value.message


async def test_rate_limit_outage_and_unreachable_ebay_are_temporary(
    sandbox: EbaySandbox, ebay: EbayMarketplace, tokens: Tokens
) -> None:
    sandbox.faults.next("rate_limit", retry_after=3)
    with pytest.raises(RateLimited) as limited:
        await ebay.whoami(tokens)
    assert limited.value.retry_after == 3
    sandbox.faults.next("error", status=503)  # one blip: the call is sent again
    assert (await ebay.whoami(tokens)).external_id
    sandbox.faults.next("error", status=503, times=3)  # an outage: two retries, then give up
    with pytest.raises(TemporarilyUnavailable, match="503"):
        await ebay.status(tokens, "1")
    assert sandbox.faults.injected["error"] == 4

    unreachable = EbayMarketplace(dataclasses.replace(
        sandbox.adapter_config(REDIRECT), api_base_url="http://127.0.0.1:9",
        identity_base_url="http://127.0.0.1:9",
    ))
    try:
        with pytest.raises(TemporarilyUnavailable, match="could not be reached"):
            await unreachable.whoami(tokens)
    finally:
        await unreachable.aclose()


def test_rules_are_ebays() -> None:
    assert (RULES.title_max, RULES.photo_max, RULES.description_max) == (80, 24, 4000)
    assert RULES.location_required and RULES.conditions == frozenset(Condition)


async def test_published_result_is_the_offer_and_the_listing_url(
    ebay: EbayMarketplace, tokens: Tokens, sandbox: EbaySandbox
) -> None:
    published = await ebay.publish(tokens, a_listing())
    shown = sandbox.listing(published.external_id)
    assert published == Published("ebay", shown.offer_id, f"{sandbox.url}/itm/{shown.listing_id}")


# ── What eBay requires of a listing in its category (eBay's documents, issue 12) ─────────────


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"aspects": {"Brand": ("Sony",)}}, "aspects", "The item specific Type is missing"),
        ({"aspects": {"Brand": ("Sony",), "Type": ("Over-Ear Wireless",)}}, "aspects",
         "Type has an invalid value"),
        ({"condition_ids": {"ebay": "5000"}}, "condition", "condition"),  # no USED_GOOD here
    ],
)
async def test_a_listing_eBay_would_refuse_in_its_category_names_what_to_change(
    sandbox: EbaySandbox, ebay: EbayMarketplace, tokens: Tokens, changes: dict[str, Any],
    field: str, words: str,
) -> None:
    with pytest.raises(Rejected) as refused:
        await ebay.publish(tokens, a_listing(**changes))

    assert refused.value.field == field
    assert words in refused.value.message
    assert sandbox.listings == []


async def test_a_long_description_full_of_markup_characters_is_taken_whole_by_eBay(
    sandbox: EbaySandbox, ebay: EbayMarketplace, tokens: Tokens
) -> None:
    typed = ("Mint & boxed <3\n" * 300)[:4000]  # 4,000 typed: over 4,000 once escaped

    published = await ebay.publish(tokens, a_listing(description=typed))

    stored = sandbox.sellers[ANA].items["DS-1001"]["product"]["description"]
    assert sandbox.listing(published.external_id).state == "live"
    assert len(stored) <= 4000 and stored.startswith("Mint &amp; boxed &lt;3<br>")
    offer = next(iter(sandbox.sellers[ANA].offers.values()))
    assert offer.details["listingDuration"] == "GTC"
    assert sandbox.contract_violations == []


async def test_calculated_shipping_needs_the_parcel_and_takes_it(
    sandbox: EbaySandbox, ebay: EbayMarketplace
) -> None:
    bea = await ebay.prepare_account(
        dataclasses.replace(await connect(sandbox, ebay, BEA), extra={"postal_code": "94107"})
    )
    assert ebay.needs_package(bea.extra)  # her default shipping policy is calculated

    with pytest.raises(Rejected) as refused:
        await ebay.publish(bea, a_listing())
    assert refused.value.field == "package"

    published = await ebay.publish(bea, a_listing(package=Package(48, 12, 10, 6)))
    assert sandbox.listing(published.external_id).state == "live"
    item = sandbox.sellers[BEA].items["DS-1001"]
    assert item["packageWeightAndSize"]["weight"] == {"value": 48, "unit": "OUNCE"}


async def test_a_price_change_revises_the_live_listing_without_photos_or_publishing(
    sandbox: EbaySandbox, ebay: EbayMarketplace, tokens: Tokens
) -> None:
    listing = a_listing()
    published = await ebay.publish(tokens, listing)
    before = len(sandbox.requests)

    await ebay.update_price(tokens, published.external_id,
                            dataclasses.replace(listing, price_cents=9_900))

    calls = sandbox.requests[before:]
    assert calls == ["POST /sell/inventory/v1/bulk_update_price_quantity"]
    shown = sandbox.listing(published.external_id)
    assert (shown.price, shown.state) == ("99.00", "live")
    assert sandbox.contract_violations == []


async def test_conditions_and_item_specifics_are_eBays_for_the_category(
    ebay: EbayMarketplace,
) -> None:
    conditions = await ebay.conditions_for(LAMPS)
    assert [(c.condition_id, c.used) for c in conditions] == [
        ("1000", False), ("1500", False), ("3000", True), ("7000", True)
    ]
    assert conditions[2].nearest is Condition.GOOD

    specs = await ebay.aspects_for(LAMPS)
    required = [(s.name, s.free_text) for s in specs if s.required]
    assert required == [("Brand", True), ("Type", False)]
    lamp_type = next(s for s in specs if s.name == "Type")
    assert "Desk Lamp" in lamp_type.values and not lamp_type.multiple
    assert next(s for s in specs if s.name == "Room").multiple


async def test_comps_are_the_middle_half_and_the_median_of_similar_listings(
    sandbox: EbaySandbox, ebay: EbayMarketplace
) -> None:
    found = await ebay.comparable_prices("Sony WH-1000XM4", HEADPHONES, None)
    # $45, $124, $139.99, $189, $248: the middle half $124–$189, the median $139.99
    assert found is not None
    assert (found.low_cents, found.typical_cents, found.high_cents, found.count) == (
        12_400, 14_000, 18_900, 5
    )
    assert await ebay.comparable_prices("Sony WH-1000XM4", HEADPHONES, "3000") is None  # 2 only


async def test_comps_that_come_slowly_or_not_at_all_are_no_answer(
    sandbox: EbaySandbox, ebay: EbayMarketplace
) -> None:
    sandbox.browse_delay_seconds = 10
    started = asyncio.get_running_loop().time()
    assert await ebay.comparable_prices("Bose QuietComfort 45", HEADPHONES, None) is None
    assert asyncio.get_running_loop().time() - started < 5  # the price step is not held

    sandbox.browse_delay_seconds = 0
    sandbox.comps.clear()
    assert await ebay.comparable_prices("Sony WH-1000XM4", None, None) is None
