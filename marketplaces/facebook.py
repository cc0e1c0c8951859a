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
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from marketplaces import oauth_client, photos
from marketplaces.base import (
    Account,
    CatalogChoiceNeeded,
    Condition,
    Listing,
    ListingStatus,
    MarketplaceError,
    NeedsReconnect,
    OAuthSettings,
    Published,
    RateLimited,
    Rejected,
    Rules,
    TemporarilyUnavailable,
    Tokens,
)
from marketplaces.http import (
    REPEATABLE,
    make_client,
    retry_after_seconds,
    status_error,
    transport_error,
)
from marketplaces.media import MediaStore

NAME: Final = "facebook"
DEFAULT_API_VERSION: Final = "v24.0"
SCOPES: Final = ("catalog_management", "business_management")

RULES: Final = Rules(
    marketplace=NAME,
    display_name="Facebook",
    title_max=200,
    description_max=9999,
    photo_max=21,  # image_link plus up to 20 additional_image_link
    photo_min_side=500,  # Commerce images must be at least 500 x 500
    photo_max_side=2048,
    location_required=False,  # catalog products carry no location
    conditions=frozenset({Condition.NEW, Condition.LIKE_NEW, Condition.GOOD, Condition.FAIR}),
    photo_max_bytes=8 * 1024 * 1024,
)

# Our conditions as ProductItem.condition values (the Graph enum: new, refurbished, used,
# used_like_new, used_good, used_fair, cpo, open_box_new). "For parts" has no honest equivalent.
CONDITIONS: Final = {
    Condition.NEW: "new",
    Condition.LIKE_NEW: "used_like_new",
    Condition.GOOD: "used_good",
    Condition.FAIR: "used_fair",
}

_LIVE_AVAILABILITY: Final = frozenset({"in stock", "available for order", "preorder", "pending"})
_SOLD_AVAILABILITY: Final = frozenset({"out of stock", "mark_as_sold"})
_RATE_LIMIT_CODES: Final = frozenset({4, 17, 32, 613, 80004, 80014})
_RECONNECT_CODES: Final = frozenset({102, 190})
_TRANSIENT_CODES: Final = frozenset({1, 2})
_MISSING_OBJECT_SUBCODE: Final = 33
_DEFAULT_RATE_LIMIT_SECONDS: Final = 60.0
_VERSION: Final = re.compile(r"^v\d+\.\d+$")
_NUMERIC_ID: Final = re.compile(r"^\d{1,30}$")
_CURRENCY: Final = re.compile(r"^[A-Z]{3}$")
_PAGE_LIMIT: Final = 100
_MAX_PAGES: Final = 20


# ── Configuration ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class FacebookConfig:
    """Where Facebook lives and who we are to it; every URL can point at the real Graph API or
    at our sandbox."""

    app_id: str
    app_secret: str = field(repr=False)
    redirect_uri: str
    item_link_base: str  # product `link` = f"{item_link_base}/{sku}", our public item page
    api_version: str = DEFAULT_API_VERSION
    authorize_url: str = f"https://www.facebook.com/{DEFAULT_API_VERSION}/dialog/oauth"
    token_url: str = f"https://graph.facebook.com/{DEFAULT_API_VERSION}/oauth/access_token"
    graph_url: str = f"https://graph.facebook.com/{DEFAULT_API_VERSION}"
    web_base: str = "https://www.facebook.com"
    batch_poll_interval: float = 1.0  # first wait between check_batch_request_status calls
    batch_poll_timeout: float = 60.0  # give up (TemporarilyUnavailable; safe to retry) after


ENV_VARS: Final = {
    "FACEBOOK_APP_ID": "App ID from the Meta app dashboard; leave empty to turn Facebook off.",
    "FACEBOOK_APP_SECRET": "App secret from the Meta app dashboard (Settings > Basic).",
    "FACEBOOK_API_VERSION": f"Graph API version used in every URL below ({DEFAULT_API_VERSION}).",
    "FACEBOOK_REDIRECT_URI": "OAuth redirect URI (PUBLIC_BASE_URL/oauth/facebook/callback).",
    "FACEBOOK_AUTHORIZE_URL": "Login dialog (https://www.facebook.com/{version}/dialog/oauth).",
    "FACEBOOK_TOKEN_URL": "Token URL (https://graph.facebook.com/{version}/oauth/access_token).",
    "FACEBOOK_GRAPH_URL": "Graph API base (https://graph.facebook.com/{version}).",
    "FACEBOOK_WEB_BASE_URL": "Public pages base for product links (https://www.facebook.com).",
    "FACEBOOK_ITEM_LINK_BASE": "Base of each product's `link` field (PUBLIC_BASE_URL/items).",
}


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def config_from_env(
    env: Mapping[str, str], *, public_base_url: str | None
) -> FacebookConfig | None:
    """The Facebook settings, None when FACEBOOK_APP_ID is unset; ValueError naming every
    missing or malformed variable when Facebook is only partly configured."""
    app_id = env.get("FACEBOOK_APP_ID", "").strip()
    if not app_id:
        return None
    problems: list[str] = []
    if not _NUMERIC_ID.match(app_id):
        problems.append("FACEBOOK_APP_ID must be the numeric App ID from the Meta app dashboard")
    secret = env.get("FACEBOOK_APP_SECRET", "").strip()
    if not secret:
        problems.append("FACEBOOK_APP_SECRET is missing")
    version = env.get("FACEBOOK_API_VERSION", "").strip() or DEFAULT_API_VERSION
    if not _VERSION.match(version):
        problems.append("FACEBOOK_API_VERSION must look like v24.0")
    base = public_base_url.rstrip("/") if public_base_url else None
    urls = {
        "FACEBOOK_REDIRECT_URI": f"{base}/oauth/facebook/callback" if base else None,
        "FACEBOOK_ITEM_LINK_BASE": f"{base}/items" if base else None,
        "FACEBOOK_AUTHORIZE_URL": f"https://www.facebook.com/{version}/dialog/oauth",
        "FACEBOOK_TOKEN_URL": f"https://graph.facebook.com/{version}/oauth/access_token",
        "FACEBOOK_GRAPH_URL": f"https://graph.facebook.com/{version}",
        "FACEBOOK_WEB_BASE_URL": "https://www.facebook.com",
    }
    for name, default in urls.items():
        value = env.get(name, "").strip() or default
        if value is None:
            problems.append(f"{name} is missing (or set PUBLIC_BASE_URL)")
        elif not _is_http_url(value):
            problems.append(f"{name} must be an http(s) URL")
        urls[name] = value.rstrip("/") if value else None
    if problems:
        raise ValueError("Facebook is partly configured: " + "; ".join(problems))
    return FacebookConfig(
        app_id=app_id,
        app_secret=secret,
        redirect_uri=str(urls["FACEBOOK_REDIRECT_URI"]),
        item_link_base=str(urls["FACEBOOK_ITEM_LINK_BASE"]),
        api_version=version,
        authorize_url=str(urls["FACEBOOK_AUTHORIZE_URL"]),
        token_url=str(urls["FACEBOOK_TOKEN_URL"]),
        graph_url=str(urls["FACEBOOK_GRAPH_URL"]),
        web_base=str(urls["FACEBOOK_WEB_BASE_URL"]),
    )


# ── Errors ────────────────────────────────────────────────────────────────────────────────────


class GraphObjectMissing(Rejected):
    """Graph says the object does not exist or is not visible to this seller (code 100/33)."""


_NO_CATALOG = (
    "Your Facebook account has no product catalog yet. In Commerce Manager "
    "(business.facebook.com/commerce) choose Add catalog, pick E-commerce, "
    "then connect Facebook again."
)
_CATALOG_GONE = (
    "Deal Scout can no longer reach your Facebook catalog: it was deleted or is no longer "
    "shared with you. Connect Facebook again and choose a catalog."
)
_NOT_SET_UP = "Facebook isn't set up yet: connect Facebook again and choose a catalog."
_MISSING_PERMISSION = (
    "Facebook didn't give Deal Scout permission to manage your catalog. Connect Facebook again "
    "and leave every requested permission switched on."
)
_RECONNECT_SENTENCES: Final = {
    458: "You removed Deal Scout from your Facebook apps. Connect Facebook again to keep listing.",
    460: "Your Facebook password changed, so Facebook ended the connection. Connect again.",
    463: "Your Facebook connection expired. Connect Facebook again to keep listing.",
    467: "Facebook logged Deal Scout out of your account. Connect Facebook again.",
}
_RECONNECT_DEFAULT = "Facebook no longer accepts the connection. Connect Facebook again."

# What Facebook refused, told to the seller by field; the field is found in Graph's message.
_REFUSALS: Final = {
    "photos": (
        "Facebook couldn't use your photos: it could not download them or they are too small. "
        "Try again, or send clear photos at least 500×500 pixels."
    ),
    "price": "Facebook didn't accept the price. Enter a price above zero, like 25.00.",
    "title": (
        "Facebook didn't accept the title. Keep it under 200 characters of plain words "
        "and try again."
    ),
    "description": (
        "Facebook didn't accept the description. Keep it under 9,999 characters of plain text "
        "and try again."
    ),
    "condition": "Facebook didn't accept the item's condition. Choose new, like new, good or fair.",
    "category": "Facebook didn't accept the category. Choose a simpler category and try again.",
    "account": (
        "Facebook refused the listing because of your catalog's settings. Check the catalog "
        "in Commerce Manager, then try again."
    ),
}
_REFUSED_GENERIC = (
    "Facebook refused this listing. Check the title, price and photos, then try again."
)
_CODE_USED = "The Facebook sign-in link expired or was already used. Connect Facebook again."
_FIELD_WORDS: Final = (
    ("photos", ("image", "photo", "picture")),
    ("price", ("price", "currency")),
    ("title", ("title", "name")),
    ("description", ("description",)),
    ("condition", ("condition",)),
    ("category", ("product_type", "category")),
    ("account", ("brand", "link", "catalog")),
)


def _field_named_in(message: str) -> str | None:
    lowered = message.lower()
    for name, words in _FIELD_WORDS:
        if any(word in lowered for word in words):
            return name
    return None


def _refusal(message: str) -> Rejected:
    """A refusal in the seller's words; Graph's own text is used only to find the field."""
    found = _field_named_in(message)
    return Rejected(NAME, _REFUSALS[found] if found else _REFUSED_GENERIC, field=found)


def _regain_seconds(response: httpx.Response) -> float | None:
    """estimated_time_to_regain_access (minutes) from X-Business-Use-Case-Usage, as seconds."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
        minutes = [
            float(entry.get("estimated_time_to_regain_access") or 0)
            for entries in usage.values()
            for entry in entries
        ]
    except (ValueError, TypeError, AttributeError):
        return None
    longest = max(minutes, default=0.0)
    return longest * 60 if longest > 0 else None


def _rate_limited(response: httpx.Response, code: int) -> RateLimited:
    wait = _regain_seconds(response)
    if wait is None:
        wait = retry_after_seconds(response, default=_DEFAULT_RATE_LIMIT_SECONDS)
    return RateLimited(NAME, f"facebook rate limit reached (code {code})", wait)


def _number(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _access_token(body: Mapping[str, Any]) -> str:
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise TemporarilyUnavailable(NAME, "facebook answered without an access token")
    return token


def graph_error(response: httpx.Response, *, token_endpoint: bool = False) -> MarketplaceError:
    """One non-2xx Graph answer as our error family. Graph's message is never copied: it can
    quote the token ("Malformed access token …")."""
    try:
        error = response.json()["error"]
        code = int(error["code"])
        subcode = _number(error.get("error_subcode"))
        message = str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return status_error(NAME, response) or MarketplaceError(
            NAME, f"facebook answered {response.status_code} without a Graph error"
        )
    where = f"code {code}" + (f"/{subcode}" if subcode else "")
    if code in _RECONNECT_CODES:
        return NeedsReconnect(NAME, _RECONNECT_SENTENCES.get(subcode, _RECONNECT_DEFAULT))
    if code in _RATE_LIMIT_CODES:
        return _rate_limited(response, code)
    # Code 1 is "unknown error", except at the token endpoint, where a 4xx code 1 is
    # "Error validating client secret": our configuration, which no retry fixes.
    if response.status_code >= 500 or code == 2 or (code == 1 and not token_endpoint):
        return TemporarilyUnavailable(NAME, f"facebook is having trouble ({where}); try later")
    if token_endpoint:
        if code == 100:
            return NeedsReconnect(NAME, _CODE_USED)
        return MarketplaceError(NAME, f"facebook refused our app credentials ({where})")
    if code == 10 or 200 <= code <= 299:
        return NeedsReconnect(NAME, _MISSING_PERMISSION)
    if code == 100 and subcode == _MISSING_OBJECT_SUBCODE:
        return GraphObjectMissing(NAME, _CATALOG_GONE, field="account")
    if code == 100:
        return _refusal(message)
    return MarketplaceError(NAME, f"facebook refused the request ({where})")


# ── The adapter ───────────────────────────────────────────────────────────────────────────────


def _check_listing(listing: Listing) -> None:
    """Refuse locally what Facebook would refuse, with the numbers the seller needs."""
    title = listing.title.strip()
    if not title:
        raise Rejected(NAME, "Add a title for Facebook.", field="title")
    if len(title) > RULES.title_max:
        raise Rejected(
            NAME,
            f"Facebook titles can be at most {RULES.title_max} characters; yours has "
            f"{len(title)}. Shorten it and try again.",
            field="title",
        )
    if len(listing.description) > RULES.description_max:
        raise Rejected(
            NAME,
            f"Facebook descriptions can be at most {RULES.description_max:,} characters; yours "
            f"has {len(listing.description):,}. Shorten it and try again.",
            field="description",
        )
    if listing.condition not in CONDITIONS:
        raise Rejected(
            NAME,
            "Facebook catalogs can't list items sold for parts. Leave Facebook out for this item.",
            field="condition",
        )
    if listing.price_cents < RULES.price_min_cents or not _CURRENCY.match(listing.currency):
        raise Rejected(NAME, "Facebook needs a price above zero, like 25.00.", field="price")
    if not listing.photos:
        raise Rejected(NAME, "Facebook needs at least one photo. Add a photo.", field="photos")
    if len(listing.photos) > RULES.photo_max:
        extra = len(listing.photos) - RULES.photo_max
        raise Rejected(
            NAME,
            f"Facebook takes at most {RULES.photo_max} photos; you sent {len(listing.photos)}. "
            f"Remove {extra} and try again.",
            field="photos",
        )


class FacebookMarketplace:
    """Facebook Commerce catalogs through the Graph API (see the module docstring)."""

    name = NAME
    display_name = RULES.display_name
    rules = RULES

    def __init__(self, config: FacebookConfig, media: MediaStore) -> None:
        self.config = config
        self.media = media
        self.oauth = OAuthSettings(
            client_id=config.app_id,
            client_secret=config.app_secret,
            authorize_url=config.authorize_url,
            token_url=config.token_url,
            redirect_uri=config.redirect_uri,
            scopes=SCOPES,
            revoke_url=f"{config.graph_url}/me/permissions",
            pkce=False,
            token_auth="client_secret_post",
            scope_separator=",",
            refreshable=False,  # no refresh tokens: the bot asks the seller to reconnect
        )
        self._client = make_client(config.graph_url)

    # ── HTTP ──

    async def _send(
        self, method: str, url: str, *, token: str | None, token_endpoint: bool = False, **kw: Any
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._client.request(method, url, headers=headers, **kw)
        except httpx.TransportError as exc:
            raise transport_error(NAME, exc) from None
        if response.is_success:
            try:
                body = response.json()
            except ValueError:
                raise TemporarilyUnavailable(NAME, "facebook answered non-JSON") from None
            if isinstance(body, dict):
                return body
            raise TemporarilyUnavailable(NAME, "facebook answered with an unexpected body")
        raise graph_error(response, token_endpoint=token_endpoint)

    async def _get(self, path: str, tokens: Tokens, **params: str) -> dict[str, Any]:
        return await self._send("GET", path, token=tokens.access_token, params=params)

    async def _pages(self, path: str, tokens: Tokens, **params: str) -> list[dict[str, Any]]:
        """Every item of a Graph edge, following the `after` cursor."""
        items: list[dict[str, Any]] = []
        query = {**params, "limit": str(_PAGE_LIMIT)}
        for _ in range(_MAX_PAGES):
            page = await self._get(path, tokens, **query)
            items.extend(entry for entry in page.get("data", []) if isinstance(entry, dict))
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
            query["after"] = str(after)
        return items

    # ── Connecting ──

    def authorization_url(self, state: str, code_verifier: str | None = None) -> str:
        """The Login dialog link; Facebook takes comma-separated scopes and no PKCE here."""
        return oauth_client.authorization_url(NAME, self.oauth, state, code_verifier)

    async def _token_call(self, **form: str) -> dict[str, Any]:
        credentials = {"client_id": self.config.app_id, "client_secret": self.config.app_secret}
        return await self._send(
            "POST", self.config.token_url, token=None, token_endpoint=True,
            data={**credentials, **form},
        )

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> Tokens:
        """Code → short-lived token → long-lived (~60 days) token; only the latter is kept."""
        short = await self._token_call(code=code, redirect_uri=self.config.redirect_uri)
        long_lived = await self._token_call(
            grant_type="fb_exchange_token", fb_exchange_token=_access_token(short)
        )
        _access_token(long_lived)
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
            await self._send("DELETE", "/me/permissions", token=tokens.access_token)
        except NeedsReconnect:
            return

    async def _debug(self, tokens: Tokens) -> dict[str, Any]:
        """debug_token with the app token: validity, owner, expiry and granted scopes."""
        app_token = f"{self.config.app_id}|{self.config.app_secret}"
        try:
            body = await self._send(
                "GET", "/debug_token", token=app_token, params={"input_token": tokens.access_token}
            )
        except NeedsReconnect:
            # The seller's token is judged in the body; a refused call is about the app token.
            raise MarketplaceError(
                NAME, "facebook refused our app token (check the app secret)"
            ) from None
        data = body.get("data") or {}
        if not data.get("is_valid"):
            subcode = _number((data.get("error") or {}).get("subcode"))
            raise NeedsReconnect(NAME, _RECONNECT_SENTENCES.get(subcode, _RECONNECT_DEFAULT))
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
        """(id, name) of every commerce catalog the seller's businesses own.

        Catalogs belong to Business Managers, never to people, so the documented route is the
        seller's businesses (/me/businesses) and each one's owned_product_catalogs."""
        businesses = await self._pages("/me/businesses", tokens, fields="id,name")
        found: dict[str, str] = {}
        for business_id in (str(b["id"]) for b in businesses if b.get("id")):
            owned = await self._pages(
                f"/{business_id}/owned_product_catalogs", tokens, fields="id,name,vertical"
            )
            for catalog in owned:
                if catalog.get("id") and catalog.get("vertical", "commerce") == "commerce":
                    catalog_id = str(catalog["id"])
                    found.setdefault(catalog_id, str(catalog.get("name") or catalog_id))
        return list(found.items())

    def with_catalog(self, tokens: Tokens, catalog_id: str) -> Tokens:
        """The tokens with the seller's chosen catalog, after CatalogChoiceNeeded."""
        if not _NUMERIC_ID.match(catalog_id):
            raise ValueError("a Facebook catalog id is numeric")
        return replace(tokens, extra={**tokens.extra, "catalog_id": catalog_id})

    async def prepare_account(self, tokens: Tokens) -> Tokens:
        """Check the permissions, then pick the catalog (CatalogChoiceNeeded if several).
        `extra` gets catalog_id, catalog_name, user_id and brand (the seller's name, which
        Meta asks for as the brand of unbranded goods)."""
        data, account = await self._identity(tokens)
        granted = [str(scope) for scope in data.get("scopes") or []]
        if not set(SCOPES) <= set(granted):
            raise NeedsReconnect(NAME, _MISSING_PERMISSION)
        prepared = replace(
            tokens,
            scope=" ".join(granted),
            extra={**tokens.extra, "user_id": account.external_id, "brand": account.display_name},
        )
        catalogs = await self.catalogs(tokens)
        if not catalogs:
            raise Rejected(NAME, _NO_CATALOG, field="account")
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

    def _item(self, listing: Listing, image_urls: list[str], brand: str) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": listing.sku,
            "title": listing.title.strip(),
            "description": listing.description.strip() or listing.title.strip(),
            "availability": "in stock",
            "condition": CONDITIONS[listing.condition],
            "price": f"{listing.price_decimal} {listing.currency}",
            "link": f"{self.config.item_link_base}/{listing.sku}",
            "image_link": image_urls[0],
            "brand": brand[:100],
            "inventory": listing.quantity,
        }
        if image_urls[1:]:
            item["additional_image_link"] = image_urls[1:]
        if listing.category:
            item["product_type"] = listing.category[:750]
        if listing.category_ids.get(NAME):
            item["fb_product_category"] = listing.category_ids[NAME]
        return item

    def _catalog_id(self, tokens: Tokens) -> str:
        catalog_id = tokens.extra.get("catalog_id")
        if not catalog_id:
            raise Rejected(NAME, _NOT_SET_UP, field="account")
        return catalog_id

    async def _batch(
        self,
        tokens: Tokens,
        catalog_id: str,
        data: dict[str, Any],
        *,
        upsert: bool = True,
    ) -> None:
        """One items_batch UPDATE for one item, waited for until Facebook has processed it."""
        body = await self._send(
            "POST",
            f"/{catalog_id}/items_batch",
            token=tokens.access_token,
            data={
                "item_type": "PRODUCT_ITEM",
                "allow_upsert": "true" if upsert else "false",
                "requests": json.dumps([{"method": "UPDATE", "data": data}]),
            },
            extensions=REPEATABLE,  # an upsert keyed by retailer_id: sending it twice is one item
        )
        for status in body.get("validation_status") or []:
            if status.get("retailer_id") == data["id"] and status.get("errors"):
                raise _refusal(str(status["errors"][0].get("message", "")))
        handles = body.get("handles") or []
        if not handles:
            raise _refusal("")
        await self._await_handle(tokens, catalog_id, str(handles[0]), str(data["id"]))

    async def _await_handle(
        self, tokens: Tokens, catalog_id: str, handle: str, retailer_id: str
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.batch_poll_timeout
        delay = self.config.batch_poll_interval
        while True:
            await asyncio.sleep(delay)
            body = await self._get(
                f"/{catalog_id}/check_batch_request_status", tokens, handle=handle
            )
            entries = body.get("data") or [{}]
            state = entries[0]
            status = str(state.get("status", "")).lower()
            if status in ("finished", "error", "canceled", "cancelled"):
                break
            if loop.time() + delay > deadline:
                raise TemporarilyUnavailable(NAME, "facebook is still processing the listing")
            delay = min(delay * 2, 5.0)
        for error in state.get("errors") or []:
            if str(error.get("id", retailer_id)) == retailer_id:
                raise _refusal(str(error.get("message", "")))
        if retailer_id in (state.get("ids_of_invalid_requests") or []):
            raise _refusal("")
        if status != "finished":
            raise TemporarilyUnavailable(NAME, f"facebook could not finish the batch ({status})")

    async def _product_id(self, tokens: Tokens, catalog_id: str, retailer_id: str) -> str:
        body = await self._get(
            f"/{catalog_id}/products",
            tokens,
            filter=json.dumps({"retailer_id": {"eq": retailer_id}}),
            fields="id,retailer_id",
        )
        for product in body.get("data") or []:
            if product.get("retailer_id", retailer_id) == retailer_id and product.get("id"):
                return str(product["id"])
        raise TemporarilyUnavailable(NAME, "facebook has not shown the new product yet")

    async def publish(self, tokens: Tokens, listing: Listing) -> Published:
        """Upsert the product for `listing.sku`: twice gives one product, updated."""
        _check_listing(listing)
        catalog_id = self._catalog_id(tokens)
        image_urls, brand = await asyncio.gather(self._photo_urls(listing), self._brand(tokens))
        await self._batch(tokens, catalog_id, self._item(listing, image_urls, brand))
        product_id = await self._product_id(tokens, catalog_id, listing.sku)
        return Published(NAME, product_id, self.public_url(product_id))

    async def _product(self, tokens: Tokens, product_id: str) -> dict[str, Any] | None:
        if not _NUMERIC_ID.match(product_id):
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
            await self._batch(
                tokens,
                catalog_id or self._catalog_id(tokens),
                {"id": str(product["retailer_id"]), "availability": "out of stock"},
                upsert=False,
            )
        try:
            await self._send("DELETE", f"/{external_id}", token=tokens.access_token)
        except GraphObjectMissing:
            return

    async def status(self, tokens: Tokens, external_id: str) -> ListingStatus:
        """LIVE while available; SOLD when out of stock on Facebook's side (catalogs have no
        "sold", and we never leave a product out of stock ourselves); ENDED once gone."""
        product = await self._product(tokens, external_id)
        if product is None:
            return ListingStatus.ENDED
        availability = str(product.get("availability", "")).lower()
        if availability in _LIVE_AVAILABILITY:
            return ListingStatus.LIVE
        if availability in _SOLD_AVAILABILITY:
            return ListingStatus.SOLD
        return ListingStatus.ENDED

    async def aclose(self) -> None:
        await self._client.aclose()
