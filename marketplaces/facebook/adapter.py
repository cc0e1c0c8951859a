"""Facebook: a listing becomes a product in the seller's Commerce catalog, over the Graph API.

Meta offers no API for personal Marketplace posts; the route it documents for listing products by
API is the Commerce catalog (Facebook and Instagram Shops, Marketplace for Shops). So:

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
from dataclasses import replace
from typing import Any

from marketplaces import oauth_client, photos
from marketplaces.base import (
    Account,
    CatalogChoiceNeeded,
    Listing,
    ListingStatus,
    MarketplaceError,
    NeedsReconnect,
    OAuthSettings,
    Published,
    Rejected,
    TemporarilyUnavailable,
    Tokens,
)
from marketplaces.facebook.catalog import CatalogApi
from marketplaces.facebook.config import NAME, NUMERIC_ID, SCOPES, FacebookConfig
from marketplaces.facebook.errors import (
    MISSING_PERMISSION,
    NO_CATALOG,
    NOT_SET_UP,
    GraphObjectMissing,
    access_token,
    graph_error,
    number,
    reconnect,
    token_endpoint_error,
)
from marketplaces.facebook.listing import RULES, catalog_item, check_listing, status_of
from marketplaces.http import ApiClient, make_client
from marketplaces.media import MediaStore


class FacebookMarketplace:
    """Facebook Commerce catalogs through the Graph API (see the module docstring); the
    `Marketplace` protocol with `Catalogs`."""

    name = NAME
    display_name = RULES.display_name
    rules = RULES

    def __init__(self, config: FacebookConfig, media: MediaStore) -> None:
        self.config = config
        self.media = media
        self.oauth = OAuthSettings(
            config.app_id, config.app_secret, config.authorize_url, config.token_url,
            config.redirect_uri, SCOPES, revoke_url=f"{config.graph_url}/me/permissions",
            token_auth="client_secret_post", scope_separator=",",
            refreshable=False,  # no refresh tokens: the bot asks the seller to reconnect
        )
        self._api = ApiClient(NAME, make_client(config.graph_url), graph_error)
        self._catalog = CatalogApi(
            self._api,
            poll_interval=config.batch_poll_interval,
            poll_timeout=config.batch_poll_timeout,
        )

    async def _get(self, path: str, tokens: Tokens, **params: str) -> dict[str, Any]:
        return await self._api.json("GET", path, token=tokens.access_token, params=params)

    # ── Connecting ──

    def authorization_url(self, state: str, code_verifier: str | None = None) -> str:
        """The Login dialog link; Facebook takes comma-separated scopes and no PKCE here."""
        return oauth_client.authorization_url(NAME, self.oauth, state, code_verifier)

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
            grant_type="fb_exchange_token", fb_exchange_token=access_token(short)
        )
        access_token(long_lived)
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

    async def _debug(self, tokens: Tokens) -> dict[str, Any]:
        """debug_token with the app token: validity, owner, expiry and granted scopes."""
        app_token = f"{self.config.app_id}|{self.config.app_secret}"
        try:
            body = await self._api.json(
                "GET", "/debug_token", token=app_token,
                params={"input_token": tokens.access_token},
            )
        except NeedsReconnect:
            # The seller's token is judged in the body; a refused call is about the app token.
            raise MarketplaceError(
                NAME, "facebook refused our app token (check the app secret)"
            ) from None
        data = body.get("data") or {}
        if not data.get("is_valid"):
            raise reconnect(number((data.get("error") or {}).get("subcode")))
        return data

    async def _identity(self, tokens: Tokens) -> tuple[dict[str, Any], Account]:
        """debug_token and /me at once: the token's facts and whose it is."""
        data, me = await asyncio.gather(
            self._debug(tokens), self._get("/me", tokens, fields="id,name")
        )
        user_id = str(data.get("user_id") or me.get("id") or "")
        if not user_id:
            raise TemporarilyUnavailable(NAME, "facebook did not say whose token this is")
        return data, Account(NAME, user_id, str(me.get("name") or user_id))

    async def whoami(self, tokens: Tokens) -> Account:
        return (await self._identity(tokens))[1]

    async def catalogs(self, tokens: Tokens) -> list[tuple[str, str]]:
        """(id, name) of every commerce catalog the seller's businesses own."""
        return await self._catalog.owned(tokens.access_token)

    def with_catalog(self, tokens: Tokens, catalog_id: str) -> Tokens:
        """The tokens with the seller's chosen catalog, after CatalogChoiceNeeded."""
        if not NUMERIC_ID.match(catalog_id):
            raise ValueError("a Facebook catalog id is numeric")
        return replace(tokens, extra={**tokens.extra, "catalog_id": catalog_id})

    async def prepare_account(self, tokens: Tokens) -> Tokens:
        """Check the permissions, then pick the catalog (CatalogChoiceNeeded if several).
        `extra` gets catalog_id, catalog_name, user_id and brand (the seller's name, which
        Meta asks for as the brand of unbranded goods)."""
        data, account = await self._identity(tokens)
        granted = [str(scope) for scope in data.get("scopes") or []]
        if not set(SCOPES) <= set(granted):
            raise NeedsReconnect(NAME, MISSING_PERMISSION)
        prepared = replace(
            tokens,
            scope=" ".join(granted),
            extra={**tokens.extra, "user_id": account.external_id, "brand": account.display_name},
        )
        catalogs = await self.catalogs(tokens)
        if not catalogs:
            raise Rejected(NAME, NO_CATALOG, field="account")
        if len(catalogs) > 1:
            raise CatalogChoiceNeeded(
                NAME,
                f"You manage {len(catalogs)} Facebook catalogs. "
                "Choose the one Deal Scout should list your items in.",
                catalogs,
            )
        catalog_id, catalog_name = catalogs[0]
        chosen = self.with_catalog(prepared, catalog_id)
        return replace(chosen, extra={**chosen.extra, "catalog_name": catalog_name})

    # ── Listings ──

    def public_url(self, product_id: str) -> str:
        return f"{self.config.web_base}/commerce/products/{product_id}/"

    async def _photo_urls(self, listing: Listing) -> list[str]:
        try:
            prepared = await asyncio.gather(
                *(photos.prepare_async(data, RULES) for data in listing.photos)
            )
        except photos.PhotoRejected as exc:
            raise Rejected(NAME, exc.message, field="photos") from None
        return list(await asyncio.gather(*(self.media.publish(data) for data in prepared)))

    async def _brand(self, tokens: Tokens) -> str:
        brand = tokens.extra.get("brand")
        if brand:
            return brand
        me = await self._get("/me", tokens, fields="id,name")
        return str(me.get("name") or RULES.display_name)

    def _catalog_id(self, tokens: Tokens) -> str:
        catalog_id = tokens.extra.get("catalog_id")
        if not catalog_id:
            raise Rejected(NAME, NOT_SET_UP, field="account")
        return catalog_id

    async def publish(self, tokens: Tokens, listing: Listing) -> Published:
        """Upsert the product for `listing.sku`: twice gives one product, updated."""
        check_listing(listing)
        catalog_id = self._catalog_id(tokens)
        image_urls, brand = await asyncio.gather(self._photo_urls(listing), self._brand(tokens))
        item = catalog_item(listing, image_urls, brand, self.config.item_link_base)
        await self._catalog.upsert(tokens.access_token, catalog_id, item)
        product_id = await self._catalog.product_id(tokens.access_token, catalog_id, listing.sku)
        return Published(NAME, product_id, self.public_url(product_id))

    async def _product(self, tokens: Tokens, product_id: str) -> dict[str, Any] | None:
        if not NUMERIC_ID.match(product_id):
            return None
        try:
            return await self._get(
                f"/{product_id}", tokens, fields="id,retailer_id,availability,product_catalog"
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
                catalog_id or self._catalog_id(tokens),
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

    async def aclose(self) -> None:
        await self._api.aclose()
