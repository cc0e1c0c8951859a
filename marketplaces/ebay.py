"""eBay through its public Sell APIs: Inventory, Account, Fulfillment, plus Media, Taxonomy and
Identity from the Commerce family.

Publishing one `Listing` is, in eBay's own order: every photo uploaded to eBay Picture Services
(Media API), the inventory item written under the listing's SKU, the one offer for that SKU
created or replaced, and the offer published. Every step is keyed by the SKU, so a retry after a
crash finds what the first attempt made and ends with the same single listing.

Decisions, and why:

- `external_id` is the offer id. Withdraw and status work on the offer; the offer tells the
  listing id, which the public URL (`{web}/itm/{listingId}`) and sold detection use.
- The item location is one eBay inventory location per postal code
  (`dealscout-{country}-{postal}`), created on first use; an existing one is fine. eBay fixes a
  location's address once created, so one location per ZIP keeps each listing's location true.
  `prepare_account` creates one up front when `tokens.extra["postal_code"]` is set, and publish
  falls back to it when a listing carries no postal code.
- Business policies: the seller's default fulfillment, payment and return policy for EBAY_US (or
  the only one of a kind). eBay requires all three to publish; without one the seller is told
  exactly which to create, and where.
- Category: `listing.category_ids["ebay"]` when the bot has it, else eBay's first suggestion for
  the seller's category words (or the title), from the Taxonomy API with an application token.
- Photos: each is prepared with `photos.prepare_async` and uploaded with createImageFromFile;
  its answer carries the EPS imageUrl (eBay's image guide), else the image id in its Location
  header is read back with getImage.
- Sold means sold out: a listing still ACTIVE is live even after a partial sale of a multi-unit
  listing; once it is no longer active, an order for it (Fulfillment API, last 90 days, which is
  all eBay's order search allows) or a sold quantity on the offer makes it sold, else ended.
- eBay has no PKCE and no revocation endpoint for user tokens, and never rotates refresh tokens.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from marketplaces import oauth_client
from marketplaces.base import (
    Account,
    Condition,
    Listing,
    ListingStatus,
    Location,
    MarketplaceError,
    NeedsReconnect,
    OAuthSettings,
    Published,
    Rejected,
    Rules,
    TemporarilyUnavailable,
    TokenExpired,
    Tokens,
    safe_sku,
)
from marketplaces.http import REPEATABLE, make_client, status_error, transport_error
from marketplaces.photos import PhotoRejected, prepare_async

NAME = "ebay"

SCOPE_INVENTORY = "https://api.ebay.com/oauth/api_scope/sell.inventory"
SCOPE_ACCOUNT = "https://api.ebay.com/oauth/api_scope/sell.account"
SCOPE_FULFILLMENT = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
SCOPE_IDENTITY = "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly"
SCOPE_APPLICATION = "https://api.ebay.com/oauth/api_scope"
USER_SCOPES = (SCOPE_INVENTORY, SCOPE_ACCOUNT, SCOPE_FULFILLMENT, SCOPE_IDENTITY)

RULES = Rules(
    marketplace=NAME,
    display_name="eBay",
    title_max=80,  # product.title
    description_max=4000,  # product.description (the offer's listingDescription allows more)
    photo_max=24,  # product.imageUrls
    photo_min_side=500,  # eBay wants 500 px on the longest side; we ask it of the shorter one
    photo_max_side=1600,  # eBay's recommended size, what its zoom shows
    location_required=True,  # every offer needs an inventory location with a postal code
    conditions=frozenset(Condition),
    price_min_cents=99,  # eBay US fixed-price minimum
)

# Our conditions → eBay's ConditionEnum.
CONDITIONS: Mapping[Condition, str] = {
    Condition.NEW: "NEW",
    Condition.LIKE_NEW: "LIKE_NEW",
    Condition.GOOD: "USED_GOOD",
    Condition.FAIR: "USED_ACCEPTABLE",
    Condition.FOR_PARTS: "FOR_PARTS_OR_NOT_WORKING",
}

INVENTORY = "/sell/inventory/v1"
ACCOUNT = "/sell/account/v1"
FULFILLMENT = "/sell/fulfillment/v1"
TAXONOMY = "/commerce/taxonomy/v1"
MEDIA = "/commerce/media/v1_beta"
IDENTITY = "/commerce/identity/v1"

ORDER_LOOKBACK = timedelta(days=89)  # eBay's getOrders filter reaches back 90 days at most
ORDER_PAGE = 200
PHOTO_UPLOADS_AT_ONCE = 4  # Media API POSTs are limited to 50 per 5 seconds per user
APP_TOKEN_MARGIN_SECONDS = 120

# eBay error ids that say the token, not the request, is the problem.
_TOKEN_ERRORS = frozenset({1001, 1002})
_SCOPE_ERRORS = frozenset({1100})
_OFFER_NOT_AVAILABLE = 25713
_OFFER_EXISTS = 25002  # "Offer entity already exists", with the offerId as a parameter
_LOCATION_EXISTS = 25803
_NO_SUCH_SKU = 25707


# ── Configuration ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Environment:
    """eBay's hosts for one of its environments."""

    authorize_url: str
    token_url: str
    api_base_url: str
    identity_base_url: str
    media_base_url: str
    web_base_url: str


PRODUCTION = Environment(
    authorize_url="https://auth.ebay.com/oauth2/authorize",
    token_url="https://api.ebay.com/identity/v1/oauth2/token",
    api_base_url="https://api.ebay.com",
    identity_base_url="https://apiz.ebay.com",
    media_base_url="https://apim.ebay.com",
    web_base_url="https://www.ebay.com",
)
SANDBOX = Environment(
    authorize_url="https://auth.sandbox.ebay.com/oauth2/authorize",
    token_url="https://api.sandbox.ebay.com/identity/v1/oauth2/token",
    api_base_url="https://api.sandbox.ebay.com",
    identity_base_url="https://apiz.sandbox.ebay.com",
    media_base_url="https://apim.sandbox.ebay.com",
    web_base_url="https://sandbox.ebay.com",
)
ENVIRONMENTS = {"production": PRODUCTION, "sandbox": SANDBOX}


@dataclass(frozen=True)
class EbayConfig:
    """Everything the adapter needs; every URL is here so it runs against eBay, eBay's own
    sandbox, or ours."""

    client_id: str  # the keyset's App ID
    client_secret: str = field(repr=False)  # the keyset's Cert ID
    redirect_uri: str  # the RuName, which eBay takes as redirect_uri
    authorize_url: str = PRODUCTION.authorize_url
    token_url: str = PRODUCTION.token_url
    api_base_url: str = PRODUCTION.api_base_url  # Sell APIs, Taxonomy
    identity_base_url: str = PRODUCTION.identity_base_url  # Commerce Identity (apiz)
    media_base_url: str = PRODUCTION.media_base_url  # Commerce Media (apim)
    web_base_url: str = PRODUCTION.web_base_url  # public listing pages
    marketplace_id: str = "EBAY_US"
    content_language: str = "en-US"


_URL_VARS: Mapping[str, str] = {
    "EBAY_AUTHORIZE_URL": "authorize_url",
    "EBAY_TOKEN_URL": "token_url",
    "EBAY_API_BASE_URL": "api_base_url",
    "EBAY_IDENTITY_BASE_URL": "identity_base_url",
    "EBAY_MEDIA_BASE_URL": "media_base_url",
    "EBAY_WEB_BASE_URL": "web_base_url",
}

ENV_VARS: dict[str, str] = {
    "EBAY_CLIENT_ID": "App ID (Client ID) of your eBay keyset; leave empty to turn eBay off.",
    "EBAY_CLIENT_SECRET": "Cert ID (Client Secret) of the same keyset.",
    "EBAY_RUNAME": "RuName eBay redirects to after consent (its accepted URL must be "
    "PUBLIC_BASE_URL/oauth/ebay/callback); defaults to that URL itself.",
    "EBAY_ENVIRONMENT": "production or sandbox: which eBay the URLs below default to "
    "(production).",
    "EBAY_AUTHORIZE_URL": "Consent page (https://auth.ebay.com/oauth2/authorize).",
    "EBAY_TOKEN_URL": "Token endpoint (https://api.ebay.com/identity/v1/oauth2/token).",
    "EBAY_API_BASE_URL": "Sell, Taxonomy APIs host (https://api.ebay.com).",
    "EBAY_IDENTITY_BASE_URL": "Commerce Identity API host (https://apiz.ebay.com).",
    "EBAY_MEDIA_BASE_URL": "Commerce Media API host, for photo uploads (https://apim.ebay.com).",
    "EBAY_WEB_BASE_URL": "Where listing pages live, /itm/<id> (https://www.ebay.com).",
}


def config_from_env(env: Mapping[str, str], *, public_base_url: str | None) -> EbayConfig | None:
    """The eBay settings, or None when EBAY_CLIENT_ID is unset; ValueError names every variable
    that is missing or malformed when eBay is only partly configured."""

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    client_id = get("EBAY_CLIENT_ID")
    if client_id is None:
        return None
    problems: list[str] = []
    secret = get("EBAY_CLIENT_SECRET")
    if secret is None:
        problems.append("EBAY_CLIENT_SECRET is missing (the Cert ID of your eBay keyset)")
    environment_name = (get("EBAY_ENVIRONMENT") or "production").lower()
    environment = ENVIRONMENTS.get(environment_name)
    if environment is None:
        problems.append("EBAY_ENVIRONMENT is malformed (expected production or sandbox)")
        environment = PRODUCTION
    runame = get("EBAY_RUNAME")
    if runame is None and public_base_url:
        runame = f"{public_base_url.rstrip('/')}/oauth/ebay/callback"
    if runame is None:
        problems.append("EBAY_RUNAME is missing (your app's RuName, or set PUBLIC_BASE_URL)")
    urls = {attr: getattr(environment, attr) for attr in _URL_VARS.values()}
    for name, attr in _URL_VARS.items():
        value = get(name)
        if value is None:
            continue
        if not _is_http_url(value):
            problems.append(f"{name} is malformed (expected an http:// or https:// URL)")
        urls[attr] = value.rstrip("/")
    if problems:
        raise ValueError("eBay is partly configured: " + "; ".join(problems))
    return EbayConfig(
        client_id=client_id, client_secret=secret or "", redirect_uri=runame or "", **urls
    )


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# ── eBay's error body → our error family ──────────────────────────────────────────────────────


@dataclass(frozen=True)
class EbayProblem:
    """One entry of eBay's `{"errors": [...]}`."""

    error_id: int
    message: str
    parameters: Mapping[str, str]

    @property
    def text(self) -> str:
        """All the words eBay gave, lowercased, to find which field it is about."""
        return " ".join((self.message, *self.parameters.keys(), *self.parameters.values())).lower()


def problems_of(response: httpx.Response) -> list[EbayProblem]:
    """eBay's error entries; an empty list when the body is not eBay's error shape."""
    try:
        body = response.json()
    except ValueError:
        return []
    entries = body.get("errors") if isinstance(body, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        try:
            error_id = int(entry.get("errorId", 0))
        except (TypeError, ValueError):
            error_id = 0
        message = str(entry.get("longMessage") or entry.get("message") or "").strip()
        parameters = {
            str(p.get("name", "")): str(p.get("value", ""))
            for p in entry.get("parameters") or []
            if isinstance(p, dict)
        }
        found.append(EbayProblem(error_id, message, parameters))
    return found


# Error ids whose field is fixed (Inventory API error list).
_FIELD_BY_ERROR: Mapping[int, str] = {
    25003: "price",
    25005: "category",
    25007: "account",
    25008: "account",
    25009: "account",
    25011: "account",
    25012: "location",
    25014: "photos",
    25015: "photos",
    25018: "account",
    25021: "condition",
    25026: "account",
    25501: "photos",
    25800: "location",
    25801: "location",
}
# Words in eBay's message or parameters → the field, for the generic ids (25002, 25016, 25017,
# 25709 ...). Checked in order: "product.title" must not fall to "product".
_FIELD_WORDS: tuple[tuple[str, str], ...] = (
    ("title", "title"),
    ("description", "description"),
    ("price", "price"),
    ("imageurl", "photos"),
    ("image", "photos"),
    ("picture", "photos"),
    ("photo", "photos"),
    ("condition", "condition"),
    ("categor", "category"),
    ("merchantlocationkey", "location"),
    ("location", "location"),
    ("postal", "location"),
    ("polic", "account"),
)
_LABELS: Mapping[str | None, str] = {
    "title": "the title",
    "description": "the description",
    "price": "the price",
    "photos": "the photos",
    "condition": "the condition",
    "category": "the category",
    "location": "the item location",
    "account": "your eBay account settings",
    None: "the listing",
}


def _field_of(problem: EbayProblem) -> str | None:
    known = _FIELD_BY_ERROR.get(problem.error_id)
    if known:
        return known
    text = problem.text
    return next((name for word, name in _FIELD_WORDS if word in text), None)


def rejection(problems: list[EbayProblem], status: int) -> Rejected:
    """A sentence the seller can act on, naming the field eBay complained about."""
    if not problems:
        return Rejected(NAME, f"eBay refused the listing (HTTP {status}). Please try again later.")
    fields = [_field_of(problem) for problem in problems]
    index = next((i for i, name in enumerate(fields) if name), 0)
    name, detail = fields[index], _sentence(problems[index].message)
    message = f"eBay didn't accept {_LABELS[name]}: {detail}"
    if name == "account":
        message += " Check Account → Business policies in eBay's Seller Hub."
    return Rejected(NAME, message, field=name)


def _sentence(text: str) -> str:
    """eBay's message as a clean sentence (its templates leave `{additionalInfo}` behind)."""
    cleaned = re.sub(r"\{[A-Za-z]+\}", "", text)
    cleaned = " ".join(cleaned.split())[:300].rstrip(" .")
    return f"{cleaned}." if cleaned else "no reason given."


def error_from(response: httpx.Response) -> MarketplaceError:
    """Any non-success eBay answer as one of our errors; never carries tokens or URLs."""
    shared = status_error(NAME, response)
    if shared is not None:
        return shared
    problems = problems_of(response)
    ids = {problem.error_id for problem in problems}
    if response.status_code == 401 or ids & _TOKEN_ERRORS:
        return TokenExpired(NAME, "eBay no longer accepts this access token")
    if ids & _SCOPE_ERRORS:
        return NeedsReconnect(
            NAME, "eBay says this connection lacks a permission it needs; connect eBay again"
        )
    return rejection(problems, response.status_code)


def _has_error(response: httpx.Response, error_id: int) -> bool:
    return any(problem.error_id == error_id for problem in problems_of(response))


# ── The adapter ───────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Policies:
    fulfillment_policy_id: str
    payment_policy_id: str
    return_policy_id: str

    def as_extra(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    def as_listing_policies(self) -> dict[str, str]:
        return {
            "fulfillmentPolicyId": self.fulfillment_policy_id,
            "paymentPolicyId": self.payment_policy_id,
            "returnPolicyId": self.return_policy_id,
        }


# (Account API resource, list key, id key, what Seller Hub calls it)
_POLICY_KINDS = (
    ("fulfillment_policy", "fulfillmentPolicies", "fulfillmentPolicyId", "shipping policy"),
    ("payment_policy", "paymentPolicies", "paymentPolicyId", "payment policy"),
    ("return_policy", "returnPolicies", "returnPolicyId", "return policy"),
)


class EbayMarketplace:
    """The `Marketplace` protocol for eBay; one shared HTTP client for every eBay host."""

    name = NAME
    display_name = RULES.display_name
    rules = RULES

    def __init__(self, config: EbayConfig) -> None:
        self.config = config
        self.oauth = OAuthSettings(
            client_id=config.client_id,
            client_secret=config.client_secret,
            authorize_url=config.authorize_url,
            token_url=config.token_url,
            redirect_uri=config.redirect_uri,
            scopes=USER_SCOPES,
            revoke_url=None,
            pkce=False,
            token_auth="client_secret_basic",
        )
        self._http = make_client(config.api_base_url)
        self._http.headers.update({
            "Accept": "application/json",
            "Accept-Language": config.content_language,
            "X-EBAY-C-MARKETPLACE-ID": config.marketplace_id,
        })
        self._app_token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._app_token_lock = asyncio.Lock()
        self._category_tree_id: str | None = None

    # ── OAuth ──

    def authorization_url(self, state: str, code_verifier: str | None = None) -> str:
        """eBay's consent page; `code_verifier` is ignored because eBay has no PKCE."""
        return oauth_client.authorization_url(NAME, self.oauth, state, code_verifier)

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> Tokens:
        payload = await oauth_client.exchange_code(NAME, self.oauth, code)
        return oauth_client.tokens_from_response(self._with_scope(payload, None))

    async def refresh(self, tokens: Tokens) -> Tokens:
        """A new access token; eBay keeps the refresh token (about 18 months), so it is kept."""
        if not tokens.refresh_token:
            raise NeedsReconnect(NAME, "eBay connection has no refresh token")
        if tokens.refresh_expires_at and tokens.refresh_expires_at <= datetime.now(UTC):
            raise NeedsReconnect(NAME, "eBay refresh token has expired")
        payload = await oauth_client.refresh(NAME, self.oauth, tokens.refresh_token)
        return oauth_client.tokens_from_response(
            self._with_scope(payload, tokens), previous=tokens
        )

    async def revoke(self, tokens: Tokens) -> None:
        """Nothing to call: eBay offers no revocation endpoint for user tokens. The seller
        removes the app under eBay's Account → Permissions; we forget the tokens locally."""

    @staticmethod
    def _with_scope(payload: dict[str, Any], previous: Tokens | None) -> dict[str, Any]:
        """eBay's token responses omit `scope`; the grant holds what we asked for."""
        scope = payload.get("scope") or (previous.scope if previous else None)
        return {**payload, "scope": scope or " ".join(USER_SCOPES)}

    # ── HTTP ──

    async def _call(
        self,
        method: str,
        url: str,
        token: str,
        *,
        ok: tuple[int, ...] = (200,),
        tolerate: tuple[int, ...] = (),
        json: Any = None,
        params: Mapping[str, str] | None = None,
        files: Any = None,
        content_language: bool = False,
        repeatable: bool = False,
    ) -> httpx.Response:
        """One eBay call. `ok` statuses return; `tolerate` statuses return too, for the caller
        to read eBay's error id; anything else becomes our error family. `repeatable` marks a
        POST that is safe to send again after a blip (see base.CALL_RETRY)."""
        headers = {"Authorization": f"Bearer {token}"}
        if content_language:
            headers["Content-Language"] = self.config.content_language
        try:
            response = await self._http.request(
                method, url, headers=headers, json=json, params=params, files=files,
                extensions=REPEATABLE if repeatable else None,
            )
        except httpx.TransportError as exc:
            raise transport_error(NAME, exc) from None
        if response.status_code in ok or response.status_code in tolerate:
            return response
        raise error_from(response)

    # ── Account ──

    async def whoami(self, tokens: Tokens) -> Account:
        url = f"{self.config.identity_base_url}{IDENTITY}/user/"
        body = body_of(await self._call("GET", url, tokens.access_token))
        user_id = str(body.get("userId") or body.get("username") or "")
        if not user_id:
            raise MarketplaceError(NAME, "eBay did not say who this account is")
        return Account(NAME, user_id, str(body.get("username") or user_id))

    async def prepare_account(self, tokens: Tokens) -> Tokens:
        """Finds the seller's default business policies and, when `tokens.extra` has a
        `postal_code` (and optionally `country`), creates the matching inventory location.

        The result's `extra` holds fulfillment_policy_id, payment_policy_id, return_policy_id
        and, with a postal code, merchant_location_key. Rejected(field="account") names every
        policy the seller still has to create in eBay's Business policies."""
        policies = await self._policies(tokens.access_token)
        extra = {**tokens.extra, **policies.as_extra()}
        postal_code = tokens.extra.get("postal_code")
        if postal_code:
            where = Location(postal_code=postal_code, country=tokens.extra.get("country", "US"))
            extra["merchant_location_key"] = await self._location(tokens.access_token, where)
        return dataclasses.replace(tokens, extra=extra)

    async def _policies(self, token: str) -> Policies:
        found = await asyncio.gather(*(self._default_policy(token, kind) for kind in _POLICY_KINDS))
        missing = [kind[3] for kind, policy_id in zip(_POLICY_KINDS, found, strict=True)
                   if policy_id is None]
        if missing:
            raise Rejected(NAME, _missing_policies_sentence(missing), field="account")
        fulfillment, payment, returns = (str(policy_id) for policy_id in found)
        return Policies(fulfillment, payment, returns)

    async def _default_policy(self, token: str, kind: tuple[str, str, str, str]) -> str | None:
        resource, list_key, id_key, _ = kind
        response = await self._call(
            "GET", f"{ACCOUNT}/{resource}", token,
            params={"marketplace_id": self.config.marketplace_id},
        )
        policies = [p for p in body_of(response).get(list_key) or [] if p.get(id_key)]
        chosen = _pick_default(policies)
        return str(chosen[id_key]) if chosen else None

    async def _location(self, token: str, where: Location) -> str:
        """The inventory location for a postal code, created when eBay does not have it yet."""
        key = location_key(where)
        body = {
            "location": {"address": {"postalCode": where.postal_code, "country": where.country}},
            "locationTypes": ["WAREHOUSE"],
            "merchantLocationStatus": "ENABLED",
            "name": f"Deal Scout {where.postal_code}",
        }
        response = await self._call(
            "POST", f"{INVENTORY}/location/{key}", token, ok=(204, 200, 201), tolerate=(400, 409),
            json=body, repeatable=True,  # a second create answers "already exists"
        )
        already_there = response.status_code == 409 or _has_error(response, _LOCATION_EXISTS)
        if response.status_code == 400 and not already_there:
            raise error_from(response)
        return key

    # ── Publishing ──

    async def publish(self, tokens: Tokens, listing: Listing) -> Published:
        """Create or update the one eBay listing for `listing.sku`."""
        token = tokens.access_token
        _check_photo_count(listing)
        policies = _policies_from(tokens.extra) or await self._policies(token)
        location = await self._location_for(token, listing, tokens.extra)
        category_id = listing.category_ids.get(NAME) or await self._category_for(listing)
        image_urls = await self._upload_photos(token, listing.photos)
        sku = safe_sku(listing.sku)
        await self._call(
            "PUT", f"{INVENTORY}/inventory_item/{sku}", token, ok=(200, 201, 204),
            json=_inventory_item(listing, image_urls), content_language=True,
        )
        details = self._offer_details(listing, category_id, policies, location)
        offer_id = await self._offer_id(token, sku)
        if offer_id is None:
            offer_id = await self._create_offer(token, sku, details)
        else:
            await self._update_offer(token, offer_id, details)
        response = await self._call(  # publishing a live offer again revises it: no second item
            "POST", f"{INVENTORY}/offer/{offer_id}/publish", token, repeatable=True
        )
        listing_id = required(body_of(response), "listingId")
        return Published(NAME, offer_id, self.listing_url(listing_id))

    def listing_url(self, listing_id: str) -> str:
        return f"{self.config.web_base_url}/itm/{listing_id}"

    async def _location_for(self, token: str, listing: Listing, extra: Mapping[str, str]) -> str:
        where = listing.location
        if where is not None and where.postal_code:
            key = location_key(where)
            if key == extra.get("merchant_location_key"):
                return key
            return await self._location(token, where)
        if extra.get("merchant_location_key"):
            return extra["merchant_location_key"]
        raise Rejected(
            NAME,
            "eBay needs the ZIP code where the item is. Add a location with a ZIP code and try "
            "again.",
            field="location",
        )

    async def _category_for(self, listing: Listing) -> str:
        for query in (listing.category, listing.title):
            if query and query.strip():
                suggestions = await self.suggest_categories(query)
                if suggestions:
                    return suggestions[0][0]
        words = listing.category or listing.title
        raise Rejected(
            NAME,
            f"eBay couldn't find a category for “{words[:60]}”. Choose an eBay category for this "
            "item and try again.",
            field="category",
        )

    async def _upload_photos(self, token: str, photos: tuple[bytes, ...]) -> list[str]:
        gate = asyncio.Semaphore(PHOTO_UPLOADS_AT_ONCE)

        async def one(index: int, data: bytes) -> str:
            try:
                prepared = await prepare_async(data, RULES)
            except PhotoRejected as exc:
                raise Rejected(NAME, f"Photo {index + 1}: {exc.message}", field="photos") from None
            async with gate:
                return await self._upload_photo(token, index, prepared)

        try:
            async with asyncio.TaskGroup() as group:  # one failure cancels the other uploads
                tasks = [group.create_task(one(i, data)) for i, data in enumerate(photos)]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _upload_photo(self, token: str, index: int, jpeg: bytes) -> str:
        """One photo to eBay Picture Services; returns its eBay-hosted URL."""
        base = f"{self.config.media_base_url}{MEDIA}/image"
        files = {"image": (f"photo-{index + 1}.jpg", jpeg, "image/jpeg")}
        response = await self._call(
            "POST", f"{base}/create_image_from_file", token, ok=(201, 200), files=files,
            repeatable=True,  # at worst an unused copy of the picture
        )
        url = _json_or_empty(response).get("imageUrl")
        if not url:  # the body is optional: the Location header names the image to read
            image_id = response.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
            if not image_id:
                raise MarketplaceError(NAME, "eBay stored a photo but did not say where")
            url = body_of(await self._call("GET", f"{base}/{image_id}", token)).get("imageUrl")
        if not url:
            raise MarketplaceError(NAME, "eBay did not return a URL for an uploaded photo")
        return str(url)

    def _offer_details(
        self, listing: Listing, category_id: str, policies: Policies, location: str
    ) -> dict[str, Any]:
        """The offer fields both createOffer and updateOffer take."""
        return {
            "availableQuantity": listing.quantity,
            "categoryId": category_id,
            "listingDescription": html_description(listing.description or listing.title),
            "listingPolicies": policies.as_listing_policies(),
            "merchantLocationKey": location,
            "pricingSummary": {
                "price": {"value": listing.price_decimal, "currency": listing.currency}
            },
        }

    async def _offer_id(self, token: str, sku: str) -> str | None:
        """The existing offer for this SKU on our marketplace, if any."""
        response = await self._call(
            "GET", f"{INVENTORY}/offer", token, tolerate=(400, 404),
            params={"sku": sku, "marketplace_id": self.config.marketplace_id},
        )
        if response.status_code != 200:
            if _has_error(response, _OFFER_NOT_AVAILABLE) or _has_error(response, _NO_SUCH_SKU):
                return None
            raise error_from(response)
        ours = self.config.marketplace_id
        for offer in body_of(response).get("offers") or []:
            if offer.get("offerId") and offer.get("marketplaceId", ours) == ours:
                return str(offer["offerId"])
        return None

    async def _create_offer(self, token: str, sku: str, details: dict[str, Any]) -> str:
        body = {
            "sku": sku,
            "marketplaceId": self.config.marketplace_id,
            "format": "FIXED_PRICE",
            **details,
        }
        response = await self._call(
            "POST", f"{INVENTORY}/offer", token, ok=(201, 200), tolerate=(400,), json=body,
            content_language=True, repeatable=True,  # a second create names the existing offer
        )
        if response.status_code in (200, 201):
            return required(body_of(response), "offerId")
        # Another attempt created it meanwhile: eBay names the existing offer; use that one.
        existing = next(
            (p.parameters.get("offerId") for p in problems_of(response)
             if p.error_id == _OFFER_EXISTS and p.parameters.get("offerId")),
            None,
        )
        if existing is None:
            raise error_from(response)
        await self._update_offer(token, existing, details)
        return existing

    async def _update_offer(self, token: str, offer_id: str, details: dict[str, Any]) -> None:
        await self._call(
            "PUT", f"{INVENTORY}/offer/{offer_id}", token, ok=(200, 204), json=details,
            content_language=True,
        )

    # ── After publishing ──

    async def withdraw(self, tokens: Tokens, external_id: str) -> None:
        """End the listing; an offer that is gone or no longer published counts as withdrawn."""
        response = await self._call(
            "POST", f"{INVENTORY}/offer/{external_id}/withdraw", tokens.access_token,
            tolerate=(400, 404), repeatable=True,
        )
        if response.status_code == 400 and not _has_error(response, _OFFER_NOT_AVAILABLE):
            raise error_from(response)

    async def status(self, tokens: Tokens, external_id: str) -> ListingStatus:
        token = tokens.access_token
        response = await self._call(
            "GET", f"{INVENTORY}/offer/{external_id}", token, tolerate=(400, 404)
        )
        if response.status_code != 200:
            if _has_error(response, _OFFER_NOT_AVAILABLE) or response.status_code == 404:
                return ListingStatus.ENDED
            raise error_from(response)
        offer = body_of(response)
        listing = offer.get("listing") or {}
        if offer.get("status") == "PUBLISHED" and listing.get("listingStatus") == "ACTIVE":
            return ListingStatus.LIVE
        listing_id = str(listing.get("listingId") or "")
        if listing_id and (
            await self._has_order(token, listing_id) or int(listing.get("soldQuantity") or 0) > 0
        ):
            return ListingStatus.SOLD
        return ListingStatus.ENDED

    async def _has_order(self, token: str, listing_id: str) -> bool:
        """Whether a buyer's order (not cancelled) holds this listing, in the last 90 days."""
        since = (datetime.now(UTC) - ORDER_LOOKBACK).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        offset = 0
        while True:
            params = {
                "filter": f"creationdate:[{since}..]",
                "limit": str(ORDER_PAGE),
                "offset": str(offset),
            }
            page = body_of(await self._call("GET", f"{FULFILLMENT}/order", token, params=params))
            orders = page.get("orders") or []
            if any(_order_sells(order, listing_id) for order in orders):
                return True
            offset += len(orders)
            if not orders or not page.get("next") or offset >= int(page.get("total") or 0):
                return False

    # ── Categories ──

    async def suggest_categories(self, query: str) -> list[tuple[str, str]]:
        """eBay's leaf categories for the seller's words, best first, as (id, name)."""
        if not query.strip():
            return []
        try:
            return await self._suggest(query.strip()[:350])
        except TokenExpired:
            self._app_token = None  # eBay dropped the application token early: one more try
            return await self._suggest(query.strip()[:350])

    async def _suggest(self, query: str) -> list[tuple[str, str]]:
        token = await self._application_token()
        tree_id = await self._tree_id(token)
        response = await self._call(
            "GET", f"{TAXONOMY}/category_tree/{tree_id}/get_category_suggestions", token,
            ok=(200, 204), params={"q": query},
        )
        return [] if response.status_code == 204 else _suggestions(body_of(response))

    async def _tree_id(self, token: str) -> str:
        if self._category_tree_id is None:
            response = await self._call(
                "GET", f"{TAXONOMY}/get_default_category_tree_id", token,
                params={"marketplace_id": self.config.marketplace_id},
            )
            self._category_tree_id = required(body_of(response), "categoryTreeId")
        return self._category_tree_id

    async def _application_token(self) -> str:
        """An application token (client credentials), kept until shortly before it expires."""
        async with self._app_token_lock:
            if self._app_token and self._app_token[1] > time.monotonic():
                return self._app_token[0]
            payload = await oauth_client.client_credentials(
                NAME, self.oauth, (SCOPE_APPLICATION,)
            )
            lifetime = float(payload.get("expires_in") or 0) - APP_TOKEN_MARGIN_SECONDS
            token = str(payload["access_token"])
            self._app_token = (token, time.monotonic() + max(0.0, lifetime))
            return token

    async def aclose(self) -> None:
        await self._http.aclose()


# ── Small pure helpers ────────────────────────────────────────────────────────────────────────


def location_key(where: Location) -> str:
    """eBay's merchantLocationKey for a postal code: at most 36 of A–Z a–z 0–9 _ -."""
    postal = re.sub(r"[^A-Za-z0-9]", "", where.postal_code or "").upper()
    country = re.sub(r"[^A-Za-z]", "", where.country or "US").lower()[:2] or "us"
    return f"dealscout-{country}-{postal}"[:36]


def _pick_default(policies: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The seller's default for everything but motor vehicles, else the first (or only) one."""

    def is_default(policy: dict[str, Any]) -> bool:
        return any(
            isinstance(kind, dict) and kind.get("default") and kind.get("name") != "MOTORS_VEHICLES"
            for kind in policy.get("categoryTypes") or []
        )

    return next((p for p in policies if is_default(p)), policies[0] if policies else None)


def _missing_policies_sentence(missing: list[str]) -> str:
    return (
        f"Your eBay account has no {_spoken(missing, 'or')} yet, and eBay needs one of each to "
        f"list. In eBay's Seller Hub open Account → Business policies, create "
        f"{_spoken([f'a {kind}' for kind in missing], 'and')}, then try again."
    )


def _spoken(items: list[str], conjunction: str) -> str:
    """["a", "b", "c"] → "a, b and c"."""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _policies_from(extra: Mapping[str, str]) -> Policies | None:
    try:
        return Policies(
            extra["fulfillment_policy_id"], extra["payment_policy_id"], extra["return_policy_id"]
        )
    except KeyError:
        return None


def _check_photo_count(listing: Listing) -> None:
    if not listing.photos:
        raise Rejected(NAME, "eBay needs at least one photo of the item.", field="photos")
    if len(listing.photos) > RULES.photo_max:
        extra = len(listing.photos) - RULES.photo_max
        raise Rejected(
            NAME,
            f"eBay takes at most {RULES.photo_max} photos; remove {extra} and try again.",
            field="photos",
        )


def html_description(text: str) -> str:
    """eBay renders descriptions as HTML: the seller's plain text goes in escaped, with its
    line breaks kept, so "<b>" shows as typed and no markup or script gets through."""
    return "<br>".join(html.escape(line) for line in text.splitlines())


def _inventory_item(listing: Listing, image_urls: list[str]) -> dict[str, Any]:
    return {
        "availability": {"shipToLocationAvailability": {"quantity": listing.quantity}},
        "condition": CONDITIONS[listing.condition],
        "product": {
            "title": listing.title,
            # eBay requires a description; a seller who skipped it gets the title there.
            "description": html_description(listing.description or listing.title),
            "imageUrls": image_urls,
        },
    }


def _order_sells(order: dict[str, Any], listing_id: str) -> bool:
    cancel = (order.get("cancelStatus") or {}).get("cancelState")
    if cancel == "CANCELED":
        return False
    return any(
        str(item.get("legacyItemId")) == listing_id for item in order.get("lineItems") or []
    )


def _suggestions(body: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for suggestion in body.get("categorySuggestions") or []:
        category = suggestion.get("category") or {}
        if category.get("categoryId"):
            found.append((str(category["categoryId"]), str(category.get("categoryName", ""))))
    return found


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def body_of(response: httpx.Response) -> dict[str, Any]:
    """A success answer's JSON object; an unreadable one is eBay having trouble, not us."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        status = response.status_code
        raise TemporarilyUnavailable(NAME, f"eBay sent an unreadable answer (HTTP {status})")
    return body


def required(body: Mapping[str, Any], key: str) -> str:
    """A field eBay always sends on success; its absence means eBay is misbehaving."""
    value = body.get(key)
    if value in (None, ""):
        raise TemporarilyUnavailable(NAME, f"eBay's answer lacked {key}; try again later")
    return str(value)
