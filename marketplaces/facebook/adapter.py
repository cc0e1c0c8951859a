"""Facebook: a listing becomes a product in the seller's Commerce catalog, over the Graph API.

Meta offers no API that posts a personal item for sale; the route it documents for listing
products by API is the Commerce catalog, which feeds Facebook and Instagram Shops and ads. So
this is "Facebook Shop (catalog)", for sellers with a Commerce Manager catalog; a seller's
personal listing gets a kit instead (marketplaces/assisted.py). So:

- Connecting is Facebook Login's code flow: the code buys a short-lived user token, which is
  swapped at once (grant_type=fb_exchange_token) for a ~60-day one. Facebook issues no refresh
  token, so `refresh` can only say "connect again"; `Tokens.expires_at` lets the bot ask in time.
- Both token calls speak to `/oauth/access_token` directly with the shared client, as POST forms
  (Graph accepts POST there; the app secret stays out of URLs and access logs). Authlib does not
  fit this endpoint: its errors come in Graph's shape, `{"error": {"code": 100, ...}}`, which an
  RFC 6749 client cannot classify, so one Graph-aware mapper handles every Facebook answer.
  (The consent link is an ordinary one: authlib builds it, with comma-separated scopes.)
- A listing is upserted with `retailer_id = listing.sku` through `/{catalog_id}/items_batch`
  (method UPDATE, allow_upsert), then the batch handle is polled until processed, then the product
  id is looked up by retailer id. Publishing the same sku twice updates the one product.
- Facebook fetches images by URL, so each prepared photo is published to our `MediaStore` (an
  unguessable, expiring URL under PUBLIC_BASE_URL) and those URLs go into the item.
- The public URL is `{web_base}/commerce/products/{product_id}/`, the shop page a buyer opens.
  (A product's own `url` field is the `link` we send, i.e. our page, not Facebook's.)
- Catalogs have no "sold": a product still present but out of stock on Facebook's side (we never
  leave one so: `withdraw` deletes) is reported SOLD; a product that is gone is ENDED.
"""

from __future__ import annotations

import asyncio
from typing import Any

from marketplaces import oauth_client
from marketplaces.adapter import ApiMarketplace
from marketplaces.base import Account, Listing, ListingStatus, NeedsReconnect, Published, Tokens
from marketplaces.facebook import account
from marketplaces.facebook.catalog import CatalogApi
from marketplaces.facebook.config import NAME, NUMERIC_ID, FacebookConfig
from marketplaces.facebook.errors import GraphObjectMissing, graph_error, token_endpoint_error
from marketplaces.facebook.listing import RULES, catalog_item, check_listing, status_of
from marketplaces.http import ApiClient, make_client, required
from marketplaces.media import MediaStore
from marketplaces.photos import prepare_to_publish


class FacebookMarketplace(ApiMarketplace):
    """Facebook Commerce catalogs through the Graph API (see the module docstring); the
    `Marketplace` protocol with `Catalogs`."""

    rules = RULES

    def __init__(self, config: FacebookConfig, media: MediaStore) -> None:
        api = ApiClient(NAME, make_client(config.graph_url), graph_error)
        super().__init__(config.oauth_settings(), api)
        self.config = config
        self.media = media
        self._catalog = CatalogApi(
            self._api,
            poll_interval=config.batch_poll_interval,
            poll_timeout=config.batch_poll_timeout,
        )
        self._account = account.SellerAccount(self._api, config, self._catalog)

    # ── Connecting (the Login dialog link: ApiMarketplace.authorization_url) ──

    async def _token_call(self, **form: str) -> dict[str, Any]:
        credentials = {"client_id": self.config.app_id, "client_secret": self.config.app_secret}
        return await self._api.json(
            "POST", self.config.token_url, data={**credentials, **form},
            errors=token_endpoint_error,
        )

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> Tokens:
        """Code → short-lived token → long-lived (~60 days) token; only the latter is kept."""
        short = await self._token_call(code=code, redirect_uri=self.config.redirect_uri)
        long_lived = await self._token_call(
            grant_type="fb_exchange_token",
            fb_exchange_token=required(NAME, short, "access_token"),
        )
        required(NAME, long_lived, "access_token")
        return oauth_client.tokens_from_response(long_lived)

    async def refresh(self, tokens: Tokens) -> Tokens:
        """Facebook has no refresh token: the seller has to approve again."""
        raise NeedsReconnect(
            NAME,
            "Facebook connections can't be renewed automatically. "
            "Connect Facebook again to keep listing there.",
        )

    async def revoke(self, tokens: Tokens) -> None:
        """DELETE /me/permissions removes the app from the seller's account; a token that is
        already dead means the grant is gone, which is what we wanted."""
        try:
            await self._api.json("DELETE", "/me/permissions", token=tokens.access_token)
        except NeedsReconnect:
            return

    async def whoami(self, tokens: Tokens) -> Account:
        return await self._account.whoami(tokens)

    async def prepare_account(self, tokens: Tokens) -> Tokens:
        """Permissions checked, the catalog chosen (see `account.SellerAccount.prepare`)."""
        return await self._account.prepare(tokens)

    async def catalogs(self, tokens: Tokens) -> list[tuple[str, str]]:
        """(id, name) of every commerce catalog the seller's businesses own."""
        return await self._catalog.owned(tokens.access_token)

    def with_catalog(self, tokens: Tokens, catalog_id: str) -> Tokens:
        """The tokens with the seller's chosen catalog, after CatalogChoiceNeeded."""
        return account.with_catalog(tokens, catalog_id)

    # ── Listings ──

    def public_url(self, product_id: str) -> str:
        return f"{self.config.web_base}/commerce/products/{product_id}/"

    async def _photo_urls(self, listing: Listing) -> list[str]:
        prepared = await asyncio.gather(
            *(prepare_to_publish(data, RULES) for data in listing.photos)
        )
        return list(await asyncio.gather(*(self.media.publish(data) for data in prepared)))

    async def publish(self, tokens: Tokens, listing: Listing) -> Published:
        """Upsert the product for `listing.sku`: twice gives one product, updated."""
        check_listing(listing)
        catalog_id = account.catalog_id_of(tokens)
        image_urls, brand = await asyncio.gather(
            self._photo_urls(listing), self._account.brand(tokens, RULES.display_name)
        )
        item = catalog_item(listing, image_urls, brand, self.config.item_link_base)
        await self._catalog.upsert(tokens.access_token, catalog_id, item)
        product_id = await self._catalog.product_id(tokens.access_token, catalog_id, listing.sku)
        return Published(NAME, product_id, self.public_url(product_id))

    async def _product(self, tokens: Tokens, product_id: str) -> dict[str, Any] | None:
        if not NUMERIC_ID.match(product_id):
            return None
        try:
            return await self._api.json(
                "GET", f"/{product_id}", token=tokens.access_token,
                params={"fields": "id,retailer_id,availability,product_catalog"},
            )
        except GraphObjectMissing:
            return None

    async def withdraw(self, tokens: Tokens, external_id: str) -> None:
        """Out of stock first (shops and ads hide it at once), then delete the product.
        A product already gone counts as withdrawn."""
        product = await self._product(tokens, external_id)
        if product is None:
            return
        catalog_id = str((product.get("product_catalog") or {}).get("id") or "")
        if product.get("retailer_id"):
            await self._catalog.upsert(
                tokens.access_token,
                catalog_id or account.catalog_id_of(tokens),
                {"id": str(product["retailer_id"]), "availability": "out of stock"},
                upsert=False,
            )
        try:
            await self._api.json("DELETE", f"/{external_id}", token=tokens.access_token)
        except GraphObjectMissing:
            return

    async def status(self, tokens: Tokens, external_id: str) -> ListingStatus:
        """See `listing.status_of`: live, sold (out of stock on Facebook's side) or ended."""
        return status_of(await self._product(tokens, external_id))
