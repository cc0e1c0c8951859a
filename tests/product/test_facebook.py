"""The Facebook adapter against the Graph sandbox, over real HTTP on loopback.

Photos reach "Facebook" the way they do in production: the adapter publishes them to a
MediaStore served by a small aiohttp app, and the sandbox downloads them from there.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiohttp import web
from PIL import Image

from marketplaces.base import (
    Condition,
    Listing,
    ListingStatus,
    Marketplace,
    MarketplaceError,
    NeedsReconnect,
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
    Tokens,
)
from marketplaces.facebook import (
    ENV_VARS,
    CatalogChoiceNeeded,
    FacebookConfig,
    FacebookMarketplace,
    config_from_env,
)
from marketplaces.media import MediaStore
from sandbox.facebook import APP_ID, JENNY, MARCUS, ROSA, FacebookSandbox

REDIRECT = "http://127.0.0.1/oauth/facebook/callback"
ROSAS_CATALOG = "810000000000001"


def jpeg(width: int = 800, height: int = 600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 90, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


PHOTO = jpeg()


def item(sku: str = "brass-lamp-1", **changes: object) -> Listing:
    listing = Listing(
        sku=sku,
        title="Vintage brass table lamp",
        description="Works, new cord, small dent on the base.",
        price_cents=2500,
        condition=Condition.GOOD,
        photos=(PHOTO, PHOTO),
        category="Table lamps",
    )
    return dataclasses.replace(listing, **changes)  # type: ignore[arg-type]


class MediaServer:
    """The bot's /media/{token} route, alone on loopback."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.store: MediaStore | None = None
        app = web.Application()
        app.router.add_get("/media/{token}", self._handle)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        self.base_url = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self.store is not None
        return await self.store.handle(request)

    async def start(self) -> MediaStore:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        self.store = MediaStore(self.directory, b"k" * 32, self.base_url)
        return self.store


@pytest.fixture
async def media(tmp_path: Path) -> AsyncIterator[MediaStore]:
    server = MediaServer(tmp_path / "media")
    store = await server.start()
    yield store
    await server.runner.cleanup()


@pytest.fixture
async def sandbox() -> AsyncIterator[FacebookSandbox]:
    server = FacebookSandbox(redirect_uris=(REDIRECT,))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make_adapter(
    sandbox: FacebookSandbox, media: MediaStore
) -> AsyncIterator[Callable[..., FacebookMarketplace]]:
    adapters: list[FacebookMarketplace] = []

    def make(media_store: MediaStore = media, **changes: object) -> FacebookMarketplace:
        config = dataclasses.replace(sandbox.adapter_config(REDIRECT), **changes)  # type: ignore[arg-type]
        adapters.append(FacebookMarketplace(config, media_store))
        return adapters[-1]

    yield make
    for adapter in adapters:
        await adapter.aclose()


@pytest.fixture
def facebook(make_adapter: Callable[..., FacebookMarketplace]) -> FacebookMarketplace:
    return make_adapter()


async def code_for(sandbox: FacebookSandbox, facebook: FacebookMarketplace, account: str) -> str:
    location = await sandbox.oauth.consent(facebook.authorization_url("st4te"), account_id=account)
    params = parse_qs(urlsplit(location).query)
    assert params["state"] == ["st4te"]
    return params["code"][0]


async def connect(
    sandbox: FacebookSandbox, facebook: FacebookMarketplace, account: str = ROSA
) -> Tokens:
    return await facebook.exchange_code(await code_for(sandbox, facebook, account))


async def ready(sandbox: FacebookSandbox, facebook: FacebookMarketplace) -> Tokens:
    return await facebook.prepare_account(await connect(sandbox, facebook))


# ── connecting ────────────────────────────────────────────────────────────────────────────────


async def test_connecting_gives_a_sixty_day_token_and_the_only_catalog(
    sandbox: FacebookSandbox, facebook: FacebookMarketplace
) -> None:
    assert isinstance(facebook, Marketplace)
    query = parse_qs(urlsplit(facebook.authorization_url("s")).query)
    assert query["scope"] == ["catalog_management,business_management"]
    assert query["response_type"] == ["code"] and query["client_id"] == [APP_ID]

    tokens = await connect(sandbox, facebook)
    assert tokens.refresh_token is None
    assert tokens.expires_at is not None
    lifetime = tokens.expires_at - datetime.now(UTC)
    assert timedelta(days=59) < lifetime <= timedelta(days=60)
    assert [r["grant_type"] for r in sandbox.oauth.token_requests] == [
        "authorization_code",
        "fb_exchange_token",
    ]

    account = await facebook.whoami(tokens)
    assert (account.marketplace, account.external_id, account.display_name) == (
        "facebook", ROSA, "Rosa Delgado",
    )
    prepared = await facebook.prepare_account(tokens)
    assert prepared.extra["catalog_id"] == ROSAS_CATALOG
    assert prepared.extra["catalog_name"] == "Rosa's Resale Finds – Products"
    assert prepared.extra["brand"] == "Rosa Delgado"
    assert "catalog_management" in (prepared.scope or "")


async def test_a_used_code_or_a_wrong_app_secret_is_refused_without_leaking_it(
    sandbox: FacebookSandbox,
    facebook: FacebookMarketplace,
    make_adapter: Callable[..., FacebookMarketplace],
) -> None:
    code = await code_for(sandbox, facebook, ROSA)
    await facebook.exchange_code(code)
    with pytest.raises(NeedsReconnect, match="already used"):
        await facebook.exchange_code(code)

    misconfigured = make_adapter(app_secret="not-the-real-secret-123")
    with pytest.raises(MarketplaceError) as refused:
        await misconfigured.exchange_code(await code_for(sandbox, misconfigured, ROSA))
    assert type(refused.value) is MarketplaceError  # an operator problem, never retried
    assert "not-the-real-secret-123" not in str(refused.value)


async def test_several_catalogs_ask_the_seller_and_the_choice_is_used(
    sandbox: FacebookSandbox, facebook: FacebookMarketplace
) -> None:
    tokens = await connect(sandbox, facebook, MARCUS)
    with pytest.raises(CatalogChoiceNeeded) as asked:
        await facebook.prepare_account(tokens)
    assert asked.value.field == "account"
    assert asked.value.catalogs == (
        ("810000000000002", "Bell Street – Sneakers"),
        ("810000000000003", "Bell Street – Electronics"),
    )  # the hotel catalog is not a commerce catalog

    chosen = facebook.with_catalog(tokens, "810000000000003")
    published = await facebook.publish(chosen, item())
    product = sandbox.products[published.external_id]
    assert product.catalog_id == "810000000000003"
    assert product.fields["brand"] == "Marcus Bell"


async def test_a_declined_permission_or_consent_asks_to_connect_again(
    sandbox: FacebookSandbox, facebook: FacebookMarketplace
) -> None:
    declined = await sandbox.oauth.consent(facebook.authorization_url("st"), approve=False)
    assert parse_qs(urlsplit(declined).query)["error"] == ["access_denied"]

    # The seller switched off catalog access in the dialog: only business_management granted.
    partial = facebook.authorization_url("st").replace(
        "catalog_management%2Cbusiness_management", "business_management"
    )
    code = parse_qs(urlsplit(await sandbox.oauth.consent(partial)).query)["code"][0]
    tokens = await facebook.exchange_code(code)
    with pytest.raises(NeedsReconnect, match="permission"):
        await facebook.prepare_account(tokens)


async def test_a_seller_without_a_catalog_is_told_how_to_make_one(
    sandbox: FacebookSandbox, facebook: FacebookMarketplace
) -> None:
    tokens = await connect(sandbox, facebook, JENNY)
    with pytest.raises(Rejected) as refused:
        await facebook.prepare_account(tokens)
    assert refused.value.field == "account"
    assert "Commerce Manager" in refused.value.message


# ── publishing ────────────────────────────────────────────────────────────────────────────────


async def test_publishing_twice_keeps_one_product_with_a_public_page(
    sandbox: FacebookSandbox, facebook: FacebookMarketplace, media: MediaStore
) -> None:
    tokens = await ready(sandbox, facebook)
    published = await facebook.publish(tokens, item())
    assert published.url == sandbox.product_url(published.external_id)
    shown = sandbox.listing(published.external_id)
    assert (shown.title, shown.price, shown.status) == (
        "Vintage brass table lamp", "25.00 USD", "live",
    )
    assert shown.condition == "used_good" and len(shown.images) == 2
    assert sandbox.image_fetches and all(
        url.startswith(f"{media.public_base_url}/media/") for url in sandbox.image_fetches
    )

    async with httpx.AsyncClient() as browser:
        page = await browser.get(published.url)
        picture = await browser.get(shown.images[0])
    assert page.status_code == 200
    assert "Vintage brass table lamp" in page.text and "$25.00" in page.text
    assert shown.images[0] in page.text
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"

    again = await facebook.publish(tokens, item(price_cents=3000))
    assert again == published
    mine = [entry for entry in sandbox.listings if entry.retailer_id == "brass-lamp-1"]
    assert len(mine) == 1 and mine[0].price == "30.00 USD"


async def test_status_follows_the_product_and_withdraw_removes_it(
    sandbox: FacebookSandbox, facebook: FacebookMarketplace
) -> None:
    tokens = await ready(sandbox, facebook)
    sold = await facebook.publish(tokens, item("lamp-a"))
    withdrawn = await facebook.publish(tokens, item("lamp-b"))
    ended = await facebook.publish(tokens, item("lamp-c"))
    assert await facebook.status(tokens, sold.external_id) == ListingStatus.LIVE

    sandbox.sell(sold.external_id)
    assert await facebook.status(tokens, sold.external_id) == ListingStatus.SOLD

    await facebook.withdraw(tokens, withdrawn.external_id)
    assert await facebook.status(tokens, withdrawn.external_id) == ListingStatus.ENDED
    assert sandbox.listing(withdrawn.external_id).availability == "out of stock"
    assert sandbox.listing(withdrawn.external_id).status == "ended"
    await facebook.withdraw(tokens, withdrawn.external_id)  # already gone: still withdrawn
    async with httpx.AsyncClient() as browser:
        assert (await browser.get(withdrawn.url)).status_code == 404

    sandbox.end(ended.external_id)
    assert await facebook.status(tokens, ended.external_id) == ListingStatus.ENDED


async def test_photos_facebook_cannot_download_are_refused_by_field(
    sandbox: FacebookSandbox,
    facebook: FacebookMarketplace,
    make_adapter: Callable[..., FacebookMarketplace],
    tmp_path: Path,
) -> None:
    tokens = await ready(sandbox, facebook)
    unreachable = MediaStore(tmp_path / "elsewhere", b"k" * 32, f"{sandbox.url}/not-served")
    broken = make_adapter(media_store=unreachable)
    with pytest.raises(Rejected) as refused:
        await broken.publish(tokens, item("lamp-unreachable"))
    assert refused.value.field == "photos"
    assert "download" in refused.value.message
    assert not any(entry.retailer_id == "lamp-unreachable" for entry in sandbox.listings)

    with pytest.raises(Rejected) as small:
        await facebook.publish(tokens, item("lamp-small", photos=(jpeg(300, 300),)))
    assert small.value.field == "photos" and "500" in small.value.message


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"title": "Lamps" * 46}, "title", "yours has 230"),
        ({"condition": Condition.FOR_PARTS}, "condition", "for parts"),
        ({"photos": ()}, "photos", "at least one photo"),
        ({"price_cents": 0}, "price", "above zero"),
    ],
)
async def test_listing_problems_are_refused_before_any_call(
    sandbox: FacebookSandbox,
    facebook: FacebookMarketplace,
    changes: dict[str, object],
    field: str,
    words: str,
) -> None:
    tokens = Tokens(access_token="unused", extra={"catalog_id": ROSAS_CATALOG})
    with pytest.raises(Rejected) as refused:
        await facebook.publish(tokens, item(**changes))
    assert refused.value.field == field and words in refused.value.message
    assert sandbox.batches == {}


# ── tokens and faults ─────────────────────────────────────────────────────────────────────────


async def test_expired_or_revoked_connections_ask_to_reconnect(
    sandbox: FacebookSandbox, facebook: FacebookMarketplace
) -> None:
    tokens = await ready(sandbox, facebook)
    sandbox.oauth.expire_access_tokens(ROSA)
    with pytest.raises(NeedsReconnect, match="expired"):
        await facebook.publish(tokens, item())
    with pytest.raises(NeedsReconnect, match="can't be renewed"):
        await facebook.refresh(tokens)

    fresh = await ready(sandbox, facebook)
    await facebook.revoke(fresh)
    assert sandbox.oauth.revocations >= 1
    with pytest.raises(NeedsReconnect, match="removed Deal Scout"):
        await facebook.whoami(fresh)
    await facebook.revoke(fresh)  # already revoked: nothing left to do, no error


async def test_rate_limits_and_outages_are_retryable(
    sandbox: FacebookSandbox,
    facebook: FacebookMarketplace,
    make_adapter: Callable[..., FacebookMarketplace],
) -> None:
    tokens = await ready(sandbox, facebook)
    sandbox.faults.next("rate_limit", retry_after=3)
    with pytest.raises(RateLimited) as limited:
        await facebook.whoami(tokens)
    assert limited.value.retry_after == 3

    sandbox.throttle_catalog_batches(2)
    with pytest.raises(RateLimited) as throttled:
        await facebook.publish(tokens, item())
    assert throttled.value.retry_after == 120  # estimated_time_to_regain_access, in minutes

    sandbox.faults.next("error", status=503, times=3)  # beyond the two quick retries
    with pytest.raises(TemporarilyUnavailable):
        await facebook.status(tokens, "7100000000000001")

    nowhere = make_adapter(graph_url="http://127.0.0.1:9/v24.0")
    with pytest.raises(TemporarilyUnavailable, match="could not be reached"):
        await nowhere.status(tokens, "7100000000000001")


# ── configuration ─────────────────────────────────────────────────────────────────────────────


def test_configuration_from_the_environment() -> None:
    assert config_from_env({}, public_base_url="https://bot.example.org") is None
    with pytest.raises(ValueError) as partial:
        config_from_env({"FACEBOOK_APP_ID": "my-app"}, public_base_url=None)
    named = ("APP_ID", "APP_SECRET", "REDIRECT_URI", "ITEM_LINK_BASE")
    assert all(f"FACEBOOK_{name}" in str(partial.value) for name in named)

    config = config_from_env(
        {"FACEBOOK_APP_ID": APP_ID, "FACEBOOK_APP_SECRET": "s3cr3t-value"},
        public_base_url="https://bot.example.org/",
    )
    assert isinstance(config, FacebookConfig)
    assert config.redirect_uri == "https://bot.example.org/oauth/facebook/callback"
    assert config.item_link_base == "https://bot.example.org/items"
    assert config.authorize_url == "https://www.facebook.com/v24.0/dialog/oauth"
    assert config.token_url == "https://graph.facebook.com/v24.0/oauth/access_token"
    assert config.graph_url == "https://graph.facebook.com/v24.0"
    assert "s3cr3t-value" not in repr(config)
    assert all(name.startswith("FACEBOOK_") for name in ENV_VARS)
