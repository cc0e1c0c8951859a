"""OfferUp: the adapter against the strict partner sandbox, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import secrets
from collections.abc import AsyncIterator
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
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
    TokenExpired,
    Tokens,
)
from marketplaces.offerup import (
    ENV_VARS,
    RULES,
    OfferUpConfig,
    OfferUpMarketplace,
    config_from_env,
)
from sandbox.kit import OAuthClient
from sandbox.offerup import OfferUpSandbox

REDIRECT = "https://bot.example.org/oauth/offerup/callback"
MAYA = "ou-4471"
UNVERIFIED = "ou-1093"


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


PHOTOS = (jpeg((180, 120, 60)), jpeg((40, 90, 160)))


def lamp(**overrides: object) -> Listing:
    fields: dict[str, object] = {
        "sku": "lamp-001",
        "title": "Mid-century teak table lamp",
        "description": "Rewired in 2023. Shade included.",
        "price_cents": 2500,
        "condition": Condition.GOOD,
        "photos": PHOTOS,
        "category": "Lamps & Lighting",
        "location": Location(postal_code="98402"),
    }
    fields.update(overrides)
    return Listing(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def sandbox() -> AsyncIterator[OfferUpSandbox]:
    server = OfferUpSandbox(redirect_uris=(REDIRECT,))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def offerup(sandbox: OfferUpSandbox) -> AsyncIterator[OfferUpMarketplace]:
    adapter = OfferUpMarketplace(sandbox.adapter_config(REDIRECT))
    yield adapter
    await adapter.aclose()


async def connect(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, account_id: str = MAYA
) -> Tokens:
    """Play the whole consent round trip as the bot and the seller's browser would."""
    verifier = secrets.token_urlsafe(48)
    url = offerup.authorization_url("st4te", verifier)
    location = await sandbox.oauth.consent(url, account_id=account_id)
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert location.startswith(REDIRECT) and params["state"] == "st4te"
    return await offerup.exchange_code(params["code"], verifier)


@pytest.fixture
async def tokens(sandbox: OfferUpSandbox, offerup: OfferUpMarketplace) -> Tokens:
    return await connect(sandbox, offerup)


# ── configuration ─────────────────────────────────────────────────────────────────────────────


def test_config_from_env_defaults_and_every_problem_named() -> None:
    assert config_from_env({}, public_base_url="https://bot.example.org") is None
    config = config_from_env(
        {
            "OFFERUP_CLIENT_ID": "ds",
            "OFFERUP_CLIENT_SECRET": "s3cret",
            "OFFERUP_API_BASE": "https://partner.example/offerup/",
        },
        public_base_url="https://bot.example.org",
    )
    assert config == OfferUpConfig.for_partner(
        "https://partner.example/offerup",
        client_id="ds",
        client_secret="s3cret",
        redirect_uri=REDIRECT,
    )
    assert config.token_url == "https://partner.example/offerup/oauth/token"
    assert "s3cret" not in repr(config)
    assert set(ENV_VARS) >= {"OFFERUP_CLIENT_ID", "OFFERUP_API_BASE", "OFFERUP_REDIRECT_URI"}

    with pytest.raises(ValueError) as partly:
        config_from_env(
            {"OFFERUP_CLIENT_ID": "ds", "OFFERUP_TOKEN_URL": "ftp://partner.example/token"},
            public_base_url=None,
        )
    for name in (
        "OFFERUP_CLIENT_SECRET",
        "OFFERUP_API_BASE",
        "OFFERUP_TOKEN_URL",
        "OFFERUP_REDIRECT_URI",
    ):
        assert name in str(partly.value)


# ── connecting ────────────────────────────────────────────────────────────────────────────────


async def test_connect_with_pkce_then_whoami_and_prepare(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace
) -> None:
    assert isinstance(offerup, Marketplace) and offerup.oauth.pkce
    tokens = await connect(sandbox, offerup)
    assert tokens.refresh_token and tokens.scope == "listings.write listings.read profile.read"
    account = await offerup.whoami(tokens)
    assert (account.external_id, account.display_name) == (MAYA, "Maya's Mid-Century Finds")
    assert await offerup.prepare_account(tokens) == tokens

    with pytest.raises(ValueError, match="PKCE"):
        offerup.authorization_url("s")
    no_pkce = offerup.authorization_url("s", "x" * 43).split("&code_challenge=")[0]
    refused = await sandbox.oauth.consent(no_pkce)
    assert parse_qs(urlsplit(refused).query)["error"] == ["invalid_request"]


async def test_account_that_cannot_post_is_told_how_to_fix_it(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace
) -> None:
    tokens = await connect(sandbox, offerup, UNVERIFIED)
    with pytest.raises(Rejected) as at_connect:
        await offerup.prepare_account(tokens)
    assert at_connect.value.field == "account"
    assert "confirm your phone number" in at_connect.value.message

    sandbox.restrict(UNVERIFIED, "suspended")
    with pytest.raises(Rejected) as at_publish:
        await offerup.publish(tokens, lamp())
    assert at_publish.value.field == "account"
    assert "suspended" in at_publish.value.message
    assert sandbox.listings == {}


async def test_refresh_rotates_and_reuse_of_the_old_token_ends_the_grant(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    sandbox.oauth.expire_access_tokens()
    with pytest.raises(TokenExpired) as expired:
        await offerup.whoami(tokens)
    assert tokens.access_token not in str(expired.value)

    fresh = await offerup.refresh(tokens)
    assert fresh.refresh_token and fresh.refresh_token != tokens.refresh_token
    assert (await offerup.whoami(fresh)).external_id == MAYA

    # A second adapter (another process, no shared memory) replays the spent refresh token
    # after the reuse interval.
    sandbox.oauth.refresh_reuse_interval_seconds = 0
    other = OfferUpMarketplace(sandbox.adapter_config(REDIRECT))
    try:
        with pytest.raises(NeedsReconnect) as reused:
            await other.refresh(tokens)
    finally:
        await other.aclose()
    assert tokens.refresh_token not in str(reused.value)
    assert sandbox.oauth.reuse_detected == 1
    with pytest.raises(TokenExpired):
        await offerup.whoami(fresh)
    with pytest.raises(NeedsReconnect):
        await offerup.refresh(fresh)


async def test_a_crash_before_storing_a_rotation_keeps_the_account(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    """The process died after OfferUp rotated the token and before the new pair was stored:
    the restarted bot presents the old token within the reuse interval and gets the pair it
    lost (docs/offerup-api.md §2.4), as often as it crashes. Once the interval has passed,
    presenting it is reuse, and ends the grant."""
    lost = await offerup.refresh(tokens)  # the answer the dead process never stored
    restarted = OfferUpMarketplace(sandbox.adapter_config(REDIRECT))
    try:
        recovered = await restarted.refresh(tokens)
        assert recovered.refresh_token == lost.refresh_token
        assert recovered.access_token == lost.access_token
        assert (await restarted.whoami(recovered)).external_id == MAYA
        assert sandbox.oauth.reuse_detected == 0
    finally:
        await restarted.aclose()
    crashed_again = OfferUpMarketplace(sandbox.adapter_config(REDIRECT))
    try:
        assert (await crashed_again.refresh(tokens)).refresh_token == lost.refresh_token
    finally:
        await crashed_again.aclose()
    sandbox.oauth.refresh_reuse_interval_seconds = 0  # the interval has passed
    too_late = OfferUpMarketplace(sandbox.adapter_config(REDIRECT))
    try:
        with pytest.raises(NeedsReconnect):
            await too_late.refresh(tokens)
    finally:
        await too_late.aclose()
    assert sandbox.oauth.reuse_detected == 1


async def test_a_spent_refresh_token_is_no_use_to_another_client(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    """The reuse interval replays a lost rotation to the client it belongs to, and only to it:
    another registered app presenting the token gets invalid_grant and ends nothing."""
    lost = await offerup.refresh(tokens)
    sandbox.oauth.clients["other-app"] = OAuthClient("other-app", "other-secret", (REDIRECT,))
    config = dataclasses.replace(sandbox.adapter_config(REDIRECT), client_id="other-app",
                                 client_secret="other-secret")
    async with contextlib.aclosing(OfferUpMarketplace(config)) as other:
        with pytest.raises(NeedsReconnect):
            await other.refresh(tokens)
    assert sandbox.oauth.reuse_detected == 0
    assert (await offerup.refresh(tokens)).refresh_token == lost.refresh_token
    assert (await offerup.whoami(lost)).external_id == MAYA


async def test_concurrent_refreshes_share_one_rotation(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    first, second, third = await asyncio.gather(*(offerup.refresh(tokens) for _ in range(3)))
    assert first == second == third
    assert sandbox.oauth.reuse_detected == 0
    refreshes = [r for r in sandbox.oauth.token_requests if r["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1
    assert (await offerup.whoami(first)).external_id == MAYA


async def test_revoke_ends_the_connection(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    await offerup.revoke(tokens)
    assert sandbox.oauth.revocations == 1
    with pytest.raises(TokenExpired):
        await offerup.whoami(tokens)
    with pytest.raises(NeedsReconnect):
        await offerup.refresh(tokens)


# ── publishing ────────────────────────────────────────────────────────────────────────────────


async def test_publish_creates_the_listing_and_its_public_page(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    published = await offerup.publish(tokens, lamp())
    stored = sandbox.listings[published.external_id]
    assert (stored.title, stored.price, stored.currency) == (lamp().title, "25.00", "USD")
    assert (stored.condition, stored.category_id, stored.status) == ("used_good", "202", "active")
    assert stored.location == {"postal_code": "98402"} and len(stored.image_urls) == 2
    assert published.url == stored.url

    async with httpx.AsyncClient() as browser:
        page = await browser.get(published.url)
        image = await browser.get(stored.image_urls[0])
    assert page.status_code == 200
    assert "Mid-century teak table lamp" in page.text and "$25.00" in page.text
    assert all(url in page.text for url in stored.image_urls)
    assert image.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(image.content)).size == (800, 600)
    assert await offerup.status(tokens, published.external_id) is ListingStatus.LIVE


async def test_publish_twice_is_one_listing_and_a_change_patches_it(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    first = await offerup.publish(tokens, lamp())
    again = await offerup.publish(tokens, lamp())
    assert again == first and len(sandbox.listings) == 1
    assert len(sandbox.photos) == 2  # the retry's photos matched the first upload's

    cheaper = await offerup.publish(tokens, lamp(price_cents=1999, condition=Condition.FAIR))
    assert cheaper.external_id == first.external_id and len(sandbox.listings) == 1
    stored = sandbox.listings[first.external_id]
    assert (stored.price, stored.condition) == ("19.99", "used_fair")

    sandbox.sell(first.external_id)
    with pytest.raises(Rejected, match="already sold or withdrawn"):
        await offerup.publish(tokens, lamp(price_cents=1500))
    assert await offerup.publish(tokens, lamp(price_cents=1999, condition=Condition.FAIR)) == first


async def test_missing_location_is_refused_before_any_request(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    with pytest.raises(Rejected) as refused:
        await offerup.publish(tokens, lamp(location=None))
    assert refused.value.field == "location"
    assert "ZIP code" in refused.value.message
    assert sum(sandbox.api_calls.values()) == 0

    coordinates = lamp(sku="lamp-002", location=Location(latitude=47.25, longitude=-122.44))
    published = await offerup.publish(tokens, coordinates)
    assert sandbox.listings[published.external_id].location == {
        "latitude": 47.25,
        "longitude": -122.44,
    }


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"title": "Teak lamp " * 8}, "title", "the title must be at most 70 characters"),
        ({"title": "Lamp, see www.example.com"}, "title", "the title must not contain links"),
        ({"currency": "EUR"}, "price", "the price must be in US dollars"),
        ({"price_cents": 50}, "price", "the price must be at least 1.00"),
        ({"category_ids": {"offerup": "2"}}, "category", "category without subcategories"),
        ({"location": Location(postal_code="SW1A 1AA")}, "location", "US ZIP code"),
    ],
)
async def test_refusals_name_the_field_in_words(
    sandbox: OfferUpSandbox,
    offerup: OfferUpMarketplace,
    tokens: Tokens,
    overrides: dict[str, object],
    field: str,
    words: str,
) -> None:
    with pytest.raises(Rejected) as refused:
        await offerup.publish(tokens, lamp(**overrides))
    assert refused.value.field == field
    assert refused.value.message.startswith("OfferUp didn't accept this listing: ")
    assert words in refused.value.message
    assert sandbox.listings == {}
    # The refused body did not consume the key: the corrected listing goes through.
    assert (await offerup.publish(tokens, lamp())).external_id in sandbox.listings


async def test_photo_too_small_is_refused_in_words(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    with pytest.raises(Rejected) as refused:
        await offerup.publish(tokens, lamp(photos=(jpeg((1, 2, 3), (300, 300)),)))
    assert refused.value.field == "photos"
    assert "at least 400 pixels" in refused.value.message
    assert sandbox.listings == {}


async def test_category_from_the_sellers_words_or_other(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    bike = await offerup.publish(tokens, lamp(sku="bike", category="  bicycles "))
    odd = await offerup.publish(tokens, lamp(sku="odd", category="Taxidermy"))
    assert sandbox.listings[bike.external_id].category_id == "401"
    assert sandbox.listings[odd.external_id].category_id == "999"
    assert sandbox.api_calls["GET /v1/categories"] == 1


async def test_withdraw_and_status_follow_the_marketplace(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace, tokens: Tokens
) -> None:
    kept = await offerup.publish(tokens, lamp(sku="kept"))
    sold = await offerup.publish(tokens, lamp(sku="sold"))
    await offerup.withdraw(tokens, kept.external_id)
    await offerup.withdraw(tokens, kept.external_id)  # again: still fine
    assert sandbox.listings[kept.external_id].status == "archived"
    assert await offerup.status(tokens, kept.external_id) is ListingStatus.ENDED
    async with httpx.AsyncClient() as browser:
        assert "No longer available" in (await browser.get(kept.url)).text

    sandbox.sell(sold.external_id)
    assert await offerup.status(tokens, sold.external_id) is ListingStatus.SOLD
    with pytest.raises(Rejected, match="already sold on OfferUp"):
        await offerup.withdraw(tokens, sold.external_id)
    assert await offerup.status(tokens, "1234567890") is ListingStatus.ENDED


async def test_rate_limits_outages_and_hangs_map_to_retryable_errors(
    sandbox: OfferUpSandbox, tokens: Tokens
) -> None:
    config = dataclasses.replace(sandbox.adapter_config(REDIRECT), timeout_seconds=0.3)
    offerup = OfferUpMarketplace(config)
    sandbox.faults.hang_seconds = 2
    try:
        sandbox.faults.next("rate_limit", retry_after=7)
        with pytest.raises(RateLimited) as limited:
            await offerup.whoami(tokens)
        assert limited.value.retry_after == 7
        sandbox.faults.next("error", status=502, times=3)  # beyond the two quick retries
        with pytest.raises(TemporarilyUnavailable, match="502"):
            await offerup.publish(tokens, lamp())
        sandbox.faults.next("hang", times=3)
        with pytest.raises(TemporarilyUnavailable, match="timed out"):
            await offerup.status(tokens, "1234567890")
    finally:
        await offerup.aclose()
    assert sandbox.listings == {}


async def test_token_without_write_scope_needs_reconnect(
    sandbox: OfferUpSandbox, offerup: OfferUpMarketplace
) -> None:
    grant = sandbox.oauth.issue(
        sandbox.oauth.accounts[MAYA], sandbox.client_id, ("profile.read",)
    )
    narrow = Tokens(access_token=grant.access_token)
    assert (await offerup.whoami(narrow)).external_id == MAYA
    with pytest.raises(NeedsReconnect):
        await offerup.publish(narrow, lamp())


def test_rules_match_the_contract() -> None:
    assert (RULES.title_max, RULES.photo_max, RULES.photo_min_side) == (70, 12, 400)
    assert RULES.location_required and RULES.conditions == frozenset(Condition)
