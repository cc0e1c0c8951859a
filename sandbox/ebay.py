"""eBay's Sell APIs as a strict local stand-in: OAuth, Media, Inventory, Account, Taxonomy,
Identity and Fulfillment on one loopback server, plus the public /itm/{listingId} page.

Every eBay host (auth, api, apiz, apim, www) is this one server; the paths are eBay's. Requests
eBay refuses are refused here with eBay's status and error body
`{"errors": [{"errorId", "domain", "category", "message", "longMessage", "parameters"}]}`.

Where the error ids come from:

- Inventory API ids (25001–25026, 25702, 25707, 25709, 25710, 25713, 25800–25805) and
  Fulfillment ids (30500–31100) are the `x-response-codes` of eBay's own OpenAPI documents
  (sell_inventory_v1_oas3.json, sell_fulfillment_v1_oas3.json); messages follow their templates.
  "Invalid value for header Content-Language." follows the text eBay sends for a missing
  Accept-Language header (25709's template); 25002 "Offer entity already exists" with an
  offerId parameter, and 400 + 25707 / 404 + 25713 from getOffers for an unknown SKU / a SKU
  without offers, are what developers report eBay answering.
- 1001 "Invalid access token" (401) and 2003 "Internal error" carry eBay's texts as seen in
  public bug reports. 1002 (missing token), 1100 "Access denied" (403, wrong scope), 2001 (429)
  and 2004 "Invalid request" are eBay's gateway errors as we know them, not re-checked against a
  published list.
- Not found in any published list, so chosen here: the Account API's 20401/20403, the Taxonomy
  API's 62000/62004 and the Media API's 190001/190002.

Where it knowingly differs from eBay:

- One marketplace (EBAY_US, USD, category tree "0") and a small category tree whose ids follow
  eBay US; suggestions match keywords, not eBay's sales data. No item specifics are required.
- Image URLs are served by this server (as EPS URLs are by eBay); only images uploaded through
  its Media API are accepted in `product.imageUrls`.
- Location, policy and taxonomy errors are simplified to one error per missing thing.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import BodyPartReader, web
from PIL import Image, UnidentifiedImageError

from marketplaces.ebay import EbayConfig
from sandbox.kit import (
    Faults,
    Grant,
    Handler,
    ImageStore,
    MarketplaceAccount,
    OAuthClient,
    OAuthProvider,
    SandboxServer,
    TokenError,
    TokenRefused,
    listing_page,
    oauth_error_json,
)

SCOPE_INVENTORY = "https://api.ebay.com/oauth/api_scope/sell.inventory"
SCOPE_ACCOUNT = "https://api.ebay.com/oauth/api_scope/sell.account"
SCOPE_FULFILLMENT = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
SCOPE_IDENTITY = "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly"
SCOPE_APPLICATION = "https://api.ebay.com/oauth/api_scope"
USER_SCOPES = (SCOPE_INVENTORY, SCOPE_ACCOUNT, SCOPE_FULFILLMENT, SCOPE_IDENTITY)

CLIENT_ID = "DealScou-DealScou-SBX-5f3e2a1b4-7c9d0e12"
CLIENT_SECRET = "SBX-5f3e2a1b4c7d-9e0f-4a1b-8c2d-3e4f"
ACCESS_TTL_SECONDS = 7200
REFRESH_TTL_SECONDS = 47_304_000  # about 18 months

ANA = "ana-attic"  # seller with business policies
MARCO = "marco-garage"  # seller who never set up business policies

AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/identity/v1/oauth2/token"
INVENTORY = "/sell/inventory/v1"
MEDIA = "/commerce/media/v1_beta"
TAXONOMY = "/commerce/taxonomy/v1"
MARKETPLACE_ID = "EBAY_US"
CURRENCY = "USD"
CATEGORY_TREE_ID = "0"
CATEGORY_TREE_VERSION = "130"

TITLE_MAX = 80
DESCRIPTION_MAX = 4000
LISTING_DESCRIPTION_MAX = 500_000
PICTURES_MAX = 24
PRICE_MIN = Decimal("0.99")
IMAGE_MIN_LONG_SIDE = 500
IMAGE_MAX_BYTES = 12 * 1024 * 1024
ORDER_SEARCH_DAYS = 90

CONDITIONS = frozenset({
    "NEW", "LIKE_NEW", "NEW_OTHER", "NEW_WITH_DEFECTS", "CERTIFIED_REFURBISHED",
    "EXCELLENT_REFURBISHED", "VERY_GOOD_REFURBISHED", "GOOD_REFURBISHED", "SELLER_REFURBISHED",
    "USED_EXCELLENT", "USED_VERY_GOOD", "USED_GOOD", "USED_ACCEPTABLE",
    "FOR_PARTS_OR_NOT_WORKING",
})
LOCALES = frozenset({
    "en-US", "en-CA", "fr-CA", "en-GB", "en-AU", "en-IE", "de-DE", "de-AT", "de-CH", "fr-FR",
    "fr-BE", "nl-BE", "nl-NL", "it-IT", "es-ES", "pl-PL", "zh-HK",
})
SKU = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
LOCATION_KEY = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
PRICE = re.compile(r"^\d{1,9}\.\d{2}$")
# Account API resource → its list key and id key.
POLICY_LISTS = {"fulfillment_policy": "fulfillmentPolicies", "payment_policy": "paymentPolicies",
                "return_policy": "returnPolicies"}
POLICY_IDS = {"fulfillment_policy": "fulfillmentPolicyId", "payment_policy": "paymentPolicyId",
              "return_policy": "returnPolicyId"}


# ── eBay's error body ─────────────────────────────────────────────────────────────────────────


class EbayApiError(Exception):
    """Raised by a handler; the middleware answers with eBay's error body."""

    def __init__(self, status: int, *errors: dict[str, Any]) -> None:
        super().__init__(errors[0]["message"] if errors else str(status))
        self.status = status
        self.errors = list(errors)

    def response(self) -> web.Response:
        return web.json_response({"errors": self.errors}, status=self.status)


def problem(
    error_id: int,
    message: str,
    *,
    domain: str = "API_INVENTORY",
    category: str = "REQUEST",
    long_message: str | None = None,
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "errorId": error_id,
        "domain": domain,
        "category": category,
        "message": message,
        "longMessage": long_message or message,
    }
    if domain == "API_INVENTORY":
        entry["subdomain"] = "Selling"
    if parameters:
        entry["parameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
    return entry


def inventory_error(status: int, error_id: int, message: str, **kwargs: Any) -> EbayApiError:
    return EbayApiError(status, problem(error_id, message, **kwargs))


def invalid_request(detail: str) -> EbayApiError:
    return EbayApiError(400, problem(
        2004, "Invalid request", domain="ACCESS",
        long_message=f"The request has errors. {detail} For help, see the documentation for "
        "this API.",
    ))


def fault_response(status: int, code: str, description: str) -> web.Response:
    """An injected 429 or 5xx in the shape eBay's gateway sends."""
    if status == 429:
        entry = problem(2001, "Too many requests", domain="ACCESS",
                        long_message="The request limit has been reached for the resource.")
    else:
        entry = problem(
            2003, "Internal error", domain="ACCESS", category="APPLICATION",
            long_message="There was a problem with an eBay internal system or process. Contact "
            "eBay developer support for assistance.",
        )
    return web.json_response({"errors": [entry]}, status=status)


def token_refused(reason: str) -> EbayApiError:
    if reason == "missing":
        return EbayApiError(401, problem(
            1002, "Missing access token", domain="OAuth",
            long_message="Access token is missing in the Authorization HTTP request header.",
        ))
    if reason == "insufficient_scope":
        return EbayApiError(403, problem(
            1100, "Access denied", domain="ACCESS",
            long_message="Insufficient permissions to fulfill the request.",
        ))
    return EbayApiError(401, problem(
        1001, "Invalid access token", domain="OAuth",
        long_message="Invalid access token. Check the value of the Authorization HTTP request "
        "header.",
    ))


@web.middleware
async def ebay_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except EbayApiError as exc:
        return exc.response()


# ── OAuth as eBay runs it ─────────────────────────────────────────────────────────────────────


class EbayOAuth(OAuthProvider):
    """eBay's token endpoint: "User/Application Access Token" types, no `scope` in responses,
    application tokens only for the public scope, refresh scopes within the grant."""

    INVALID_SCOPE = (
        "The requested scope is invalid, unknown, malformed, or exceeds the scope granted to the "
        "client"
    )

    def token_body(self, grant: Grant, *, include_refresh: bool = True) -> dict[str, Any]:
        body = super().token_body(grant, include_refresh=include_refresh)
        body.pop("scope", None)
        application = grant.account.account_id.startswith("app:")
        body["token_type"] = "Application Access Token" if application else "User Access Token"
        return body

    def _application_token(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        requested = set(form.get("scope", "").split())
        if not requested or not requested <= {SCOPE_APPLICATION}:
            raise TokenError(400, "invalid_scope", self.INVALID_SCOPE)
        return super()._application_token(client, form)

    def _refresh(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        grant = self._by_refresh.get(form.get("refresh_token", ""))
        requested = set(form.get("scope", "").split())
        if grant is not None and not requested <= set(grant.scopes):
            raise TokenError(400, "invalid_scope", self.INVALID_SCOPE)
        return super()._refresh(client, form)


# ── Category tree ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CategoryNode:
    category_id: str
    name: str
    parent_id: str | None
    keywords: tuple[str, ...] = ()


# A slice of eBay US's tree (ids as on ebay.com); leaves carry the words that suggest them.
CATEGORY_TREE: tuple[CategoryNode, ...] = (
    CategoryNode("293", "Consumer Electronics", None),
    CategoryNode("15052", "Portable Audio & Headphones", "293"),
    CategoryNode("112529", "Headphones", "15052",
                 ("headphone", "headphones", "earbuds", "earphones", "airpods", "headset")),
    CategoryNode("58058", "Computers/Tablets & Networking", None),
    CategoryNode("177", "PC Laptops & Netbooks", "58058",
                 ("laptop", "notebook", "chromebook", "thinkpad", "macbook")),
    CategoryNode("171485", "Tablets & eBook Readers", "58058",
                 ("tablet", "ipad", "kindle", "ereader")),
    CategoryNode("15032", "Cell Phones & Accessories", None),
    CategoryNode("9355", "Cell Phones & Smartphones", "15032",
                 ("phone", "smartphone", "iphone", "android", "pixel", "galaxy")),
    CategoryNode("1249", "Video Games & Consoles", None),
    CategoryNode("139971", "Video Game Consoles", "1249",
                 ("console", "playstation", "ps5", "ps4", "xbox", "nintendo", "switch")),
    CategoryNode("139973", "Video Games", "1249", ("game", "videogame")),
    CategoryNode("625", "Cameras & Photo", None),
    CategoryNode("31388", "Digital Cameras", "625",
                 ("camera", "dslr", "mirrorless", "canon", "nikon")),
    CategoryNode("11700", "Home & Garden", None),
    CategoryNode("20697", "Lamps, Lighting & Ceiling Fans", "11700"),
    CategoryNode("112581", "Lamps", "20697", ("lamp", "lighting", "table lamp", "floor lamp")),
    CategoryNode("220", "Toys & Hobbies", None),
    CategoryNode("183446", "LEGO & Building Toys", "220"),
    CategoryNode("19006", "LEGO Complete Sets & Packs", "183446", ("lego", "building set")),
    CategoryNode("888", "Sporting Goods", None),
    CategoryNode("7294", "Cycling", "888"),
    CategoryNode("177831", "Bikes", "7294", ("bike", "bicycle", "cycling")),
    CategoryNode("11450", "Clothing, Shoes & Accessories", None),
    CategoryNode("260010", "Men", "11450"),
    CategoryNode("93427", "Men's Shoes", "260010"),
    CategoryNode("15709", "Athletic Shoes", "93427",
                 ("sneaker", "sneakers", "shoe", "shoes", "trainers", "jordans")),
    CategoryNode("267", "Books & Magazines", None),
    CategoryNode("261186", "Books", "267", ("book", "novel", "paperback", "hardcover")),
)


class CategoryTree:
    """Leaf suggestions by keyword, with eBay's ancestor chain for each."""

    def __init__(self, nodes: Iterable[CategoryNode]) -> None:
        self.nodes = {node.category_id: node for node in nodes}
        parents = {node.parent_id for node in self.nodes.values()}
        self.leaves = [node for node in self.nodes.values() if node.category_id not in parents]

    def is_leaf(self, category_id: str) -> bool:
        return any(leaf.category_id == category_id for leaf in self.leaves)

    def suggest(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        words = set(re.findall(r"[a-z0-9]+", query.lower()))
        words |= {word[:-1] for word in words if word.endswith("s")}
        text = " ".join(re.findall(r"[a-z0-9]+", query.lower()))
        scored = []
        for order, leaf in enumerate(self.leaves):
            score = sum(
                1 for keyword in leaf.keywords
                if (keyword in text if " " in keyword else keyword in words)
            )
            if score:
                scored.append((-score, order, leaf))
        return [self._suggestion(leaf, -score) for score, _, leaf in sorted(scored)[:limit]]

    def _suggestion(self, leaf: CategoryNode, score: int) -> dict[str, Any]:
        ancestors, parent_id = [], leaf.parent_id
        while parent_id is not None:
            parent = self.nodes[parent_id]
            ancestors.append(parent)
            parent_id = parent.parent_id
        level = len(ancestors) + 1
        return {
            "category": {"categoryId": leaf.category_id, "categoryName": leaf.name},
            "categoryTreeNodeAncestors": [
                {
                    "categoryId": node.category_id,
                    "categoryName": node.name,
                    "categorySubtreeNodeHref": f"{TAXONOMY}/category_tree/{CATEGORY_TREE_ID}/"
                    f"get_category_subtree?category_id={node.category_id}",
                    "categoryTreeNodeLevel": level - 1 - index,
                }
                for index, node in enumerate(ancestors)
            ],
            "categoryTreeNodeLevel": level,
            "relevancy": str(score),
        }


# ── What the sandbox holds ────────────────────────────────────────────────────────────────────


@dataclass
class Offer:
    offer_id: str
    seller_id: str
    sku: str
    marketplace_id: str
    format: str
    details: dict[str, Any]
    status: str = "UNPUBLISHED"
    listing_id: str | None = None


@dataclass
class ListingRecord:
    listing_id: str
    offer_id: str
    seller_id: str
    sku: str
    status: str = "ACTIVE"  # ACTIVE, OUT_OF_STOCK or ENDED, eBay's listingStatus
    sold_quantity: int = 0


@dataclass
class Seller:
    account: MarketplaceAccount
    username: str
    user_id: str
    first_name: str
    last_name: str
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    offers: dict[str, Offer] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def policy_ids(self, resource: str, id_key: str) -> set[str]:
        return {str(policy[id_key]) for policy in self.policies.get(resource, [])}


@dataclass(frozen=True)
class EbayListing:
    """A listing as a test or the demo sees it."""

    listing_id: str
    offer_id: str
    seller_id: str
    sku: str
    title: str
    description: str
    price: str
    currency: str
    category_id: str
    status: str  # eBay's listingStatus: ACTIVE, OUT_OF_STOCK, ENDED
    sold_quantity: int
    images: tuple[str, ...]
    url: str

    @property
    def state(self) -> str:
        """live, sold or ended, in the words the cross-posting engine uses."""
        if self.status == "ACTIVE":
            return "live"
        return "sold" if self.sold_quantity else "ended"


def _policy(resource: str, policy_id: str, name: str, default: bool) -> dict[str, Any]:
    id_key = POLICY_IDS[resource]
    return {
        id_key: policy_id,
        "name": name,
        "marketplaceId": MARKETPLACE_ID,
        "categoryTypes": [{"name": "ALL_EXCLUDING_MOTORS_VEHICLES", "default": default}],
    }


def seeded_sellers() -> list[Seller]:
    ana = Seller(
        MarketplaceAccount(ANA, "Ana's Attic Finds"), "anas_attic_finds", "nY3kQb8xTz1",
        "Ana", "Moreno",
        policies={
            "fulfillment_policy": [
                _policy("fulfillment_policy", "6196932000", "Local pickup only", False),
                _policy("fulfillment_policy", "6196933000", "USPS Ground Advantage, 1 day", True),
            ],
            "payment_policy": [
                _policy("payment_policy", "6196934000", "eBay managed payments", True),
            ],
            "return_policy": [
                _policy("return_policy", "6196935000", "30 days, buyer pays return", True),
            ],
        },
    )
    marco = Seller(
        MarketplaceAccount(MARCO, "Marco's Garage Deals"), "marcos_garage_deals", "pR7mWc2vLd4",
        "Marco", "Bellini",
    )
    return [ana, marco]


# ── Shared state ──────────────────────────────────────────────────────────────────────────────


class EbayState:
    """Everything this eBay holds, shared by the API handlers and the test controls."""

    def __init__(self, base_url: Callable[[], str]) -> None:
        self.base_url = base_url
        self.sellers = {seller.account.account_id: seller for seller in seeded_sellers()}
        self.images = ImageStore()
        self.tree = CategoryTree(CATEGORY_TREE)
        self.listings: dict[str, ListingRecord] = {}
        self.requests: list[str] = []  # "METHOD /path" of every API call, for tests
        self._offer_ids = itertools.count(5_012_345_000)
        self._listing_ids = itertools.count(110_553_210_000)
        self._order_numbers = itertools.count(1)

    def new_offer_id(self) -> str:
        return str(next(self._offer_ids))

    def new_listing_id(self) -> str:
        return str(next(self._listing_ids))

    def image_url(self, image_id: str) -> str:
        return f"{self.base_url()}/images/g/{image_id}/s-l1600.jpg"

    def hosted(self, url: object) -> bool:
        """Whether `url` is a picture this eBay's Media API stored (an EPS URL)."""
        prefix = f"{self.base_url()}/images/g/"
        if not isinstance(url, str) or not url.startswith(prefix):
            return False
        return self.images.get(url[len(prefix):].split("/", 1)[0]) is not None

    def record(self, external_id: str) -> ListingRecord:
        """The newest listing of an offer id (what the adapter returns), or by listing id."""
        if external_id in self.listings:
            return self.listings[external_id]
        for record in reversed(self.listings.values()):
            if record.offer_id == external_id:
                return record
        raise KeyError(f"no eBay listing for {external_id}")

    def snapshot(self, record: ListingRecord) -> EbayListing:
        seller = self.sellers[record.seller_id]
        offer = seller.offers[record.offer_id]
        product = seller.items.get(record.sku, {}).get("product", {})
        price = offer.details.get("pricingSummary", {}).get("price", {})
        return EbayListing(
            listing_id=record.listing_id,
            offer_id=record.offer_id,
            seller_id=record.seller_id,
            sku=record.sku,
            title=str(product.get("title", "")),
            description=str(offer.details.get("listingDescription")
                            or product.get("description", "")),
            price=str(price.get("value", "")),
            currency=str(price.get("currency", "")),
            category_id=str(offer.details.get("categoryId", "")),
            status=record.status,
            sold_quantity=record.sold_quantity,
            images=tuple(product.get("imageUrls", [])),
            url=f"{self.base_url()}/itm/{record.listing_id}",
        )

    def offer_json(self, offer: Offer) -> dict[str, Any]:
        """getOffer's body: the listing container only while the offer is published."""
        body = {"offerId": offer.offer_id, "sku": offer.sku, "marketplaceId": offer.marketplace_id,
                "format": offer.format, **offer.details, "status": offer.status}
        if offer.status == "PUBLISHED" and offer.listing_id:
            record = self.listings[offer.listing_id]
            body["listing"] = {"listingId": record.listing_id, "listingStatus": record.status,
                               "soldQuantity": record.sold_quantity}
        return body

    def sell(self, record: ListingRecord, quantity: int, buyer: str) -> dict[str, Any]:
        """A purchase: the order, fewer units left, and a sold-out listing out of stock."""
        seller = self.sellers[record.seller_id]
        offer, item = seller.offers[record.offer_id], seller.items[record.sku]
        order = self._order(record, offer, item, quantity, buyer)
        seller.orders.append(order)
        record.sold_quantity += quantity
        remaining = max(0, int(offer.details.get("availableQuantity", 0)) - quantity)
        offer.details["availableQuantity"] = remaining
        availability = item.setdefault("availability", {})
        availability.setdefault("shipToLocationAvailability", {})["quantity"] = remaining
        if remaining == 0:
            record.status = "OUT_OF_STOCK"
        return order

    def _order(
        self, record: ListingRecord, offer: Offer, item: dict[str, Any], quantity: int, buyer: str
    ) -> dict[str, Any]:
        number = next(self._order_numbers)
        now = _iso(datetime.now(UTC))
        price = offer.details["pricingSummary"]["price"]
        total = {"value": f"{Decimal(price['value']) * quantity:.2f}",
                 "currency": price["currency"]}
        return {
            "orderId": f"{number:02d}-{11234 + number:05d}-{56789 + number:05d}",
            "creationDate": now,
            "lastModifiedDate": now,
            "orderFulfillmentStatus": "NOT_STARTED",
            "orderPaymentStatus": "PAID",
            "sellerId": self.sellers[record.seller_id].username,
            "buyer": {"username": buyer},
            "pricingSummary": {"total": total},
            "cancelStatus": {"cancelState": "NONE_REQUESTED", "cancelRequests": []},
            "lineItems": [{
                "lineItemId": str(10_000_000_000 + number),
                "legacyItemId": record.listing_id,
                "sku": record.sku,
                "title": item.get("product", {}).get("title", ""),
                "quantity": quantity,
                "lineItemCost": total,
                "lineItemFulfillmentStatus": "NOT_STARTED",
            }],
        }


# ── One handler class per eBay API ────────────────────────────────────────────────────────────


class EbayApi:
    """What every API shares: the bearer token check and eBay's request-format checks. Each
    subclass adds its routes with `routes(router)`."""

    def __init__(self, state: EbayState, oauth: OAuthProvider) -> None:
        self.state = state
        self.oauth = oauth

    def grant(self, request: web.Request, scope: str) -> Grant:
        self.state.requests.append(f"{request.method} {request.path}")
        try:
            return self.oauth.grant_for(OAuthProvider.bearer(request), scope=scope)
        except TokenRefused as exc:
            raise token_refused(exc.reason) from None

    def seller(self, request: web.Request, scope: str) -> Seller:
        return self.state.sellers[self.grant(request, scope).account.account_id]

    @staticmethod
    async def json_body(request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise invalid_request("The Content-Type header must be application/json.")
        try:
            body = json.loads(await request.text() or "null")
        except ValueError:
            raise invalid_request("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise invalid_request("The request body must be a JSON object.")
        return body

    @staticmethod
    def content_language(request: web.Request) -> str:
        """Inventory writes need the language of their texts, as eBay insists."""
        language = request.headers.get("Content-Language", "")
        if language not in LOCALES:
            raise inventory_error(400, 25709, "Invalid value for header Content-Language.")
        return language


class IdentityApi(EbayApi):
    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/commerce/identity/v1/user/", self.get_user)
        router.add_get("/commerce/identity/v1/user", self.get_user)

    async def get_user(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_IDENTITY)
        return web.json_response({
            "userId": seller.user_id,
            "username": seller.username,
            "accountType": "INDIVIDUAL",
            "registrationMarketplaceId": MARKETPLACE_ID,
            "individualAccount": {"firstName": seller.first_name, "lastName": seller.last_name},
        })


class TaxonomyApi(EbayApi):
    """Category suggestions; an application token (the public api_scope) is required."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{TAXONOMY}/get_default_category_tree_id", self.default_tree)
        router.add_get(f"{TAXONOMY}/category_tree/{{tree_id}}/get_category_suggestions",
                       self.suggestions)

    async def default_tree(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        if request.query.get("marketplace_id") != MARKETPLACE_ID:
            raise EbayApiError(400, problem(
                62004, "The specified marketplace ID was not found.", domain="API_TAXONOMY",
                parameters={"marketplace_id": request.query.get("marketplace_id", "")},
            ))
        return web.json_response(
            {"categoryTreeId": CATEGORY_TREE_ID, "categoryTreeVersion": CATEGORY_TREE_VERSION}
        )

    async def suggestions(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        if request.match_info["tree_id"] != CATEGORY_TREE_ID:
            raise EbayApiError(404, problem(
                62000, "The specified category tree ID was not found.", domain="API_TAXONOMY",
            ))
        query = request.query.get("q", "").strip()
        if not query:
            raise invalid_request("The q query parameter is required.")
        suggestions = self.state.tree.suggest(query)
        if not suggestions:
            return web.Response(status=204)
        return web.json_response({
            "categorySuggestions": suggestions,
            "categoryTreeId": CATEGORY_TREE_ID,
            "categoryTreeVersion": CATEGORY_TREE_VERSION,
        })


class MediaApi(EbayApi):
    """Picture uploads to EPS: multipart `image` in, 201 with Location and imageUrl out."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(f"{MEDIA}/image/create_image_from_file", self.create_image)
        router.add_get(f"{MEDIA}/image/{{image_id}}", self.get_image)
        router.add_get("/images/g/{image_id}/s-l1600.jpg", self.state.images.serve)

    async def create_image(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_INVENTORY)
        data = await self._image_part(request)
        image_id = self.state.images.put(data, _image_type(data))
        location = f"{self.state.base_url()}{MEDIA}/image/{image_id}"
        return web.json_response(self._body(image_id), status=201, headers={"Location": location})

    async def get_image(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_INVENTORY)
        image_id = request.match_info["image_id"]
        if self.state.images.get(image_id) is None:
            raise EbayApiError(404, problem(
                190001, "The image was not found.", domain="API_MEDIA",
                parameters={"image_id": image_id},
            ))
        return web.json_response(self._body(image_id))

    def _body(self, image_id: str) -> dict[str, str]:
        expires = datetime.now(UTC) + timedelta(days=30)
        return {"imageUrl": self.state.image_url(image_id), "expirationDate": _iso(expires)}

    @staticmethod
    async def _image_part(request: web.Request) -> bytes:
        if not request.content_type.startswith("multipart/form-data"):
            raise invalid_request("The Content-Type header must be multipart/form-data.")
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "image":
                data = bytes(await part.read())
                if len(data) > IMAGE_MAX_BYTES:
                    raise EbayApiError(400, problem(
                        190002, "The image file is larger than 12 MB.", domain="API_MEDIA"))
                return data
        raise invalid_request("The multipart body has no part named image.")


class AccountApi(EbayApi):
    """The seller's business policies, read-only."""

    def routes(self, router: web.UrlDispatcher) -> None:
        for resource in POLICY_LISTS:
            router.add_get(f"/sell/account/v1/{resource}", self._lister(resource))

    def _lister(self, resource: str) -> Handler:
        async def get_policies(request: web.Request) -> web.Response:
            seller = self.seller(request, SCOPE_ACCOUNT)
            marketplace = request.query.get("marketplace_id")
            if not marketplace:
                raise EbayApiError(400, problem(20401, "Missing field marketplace_id.",
                                                domain="API_ACCOUNT"))
            if marketplace != MARKETPLACE_ID:
                raise EbayApiError(400, problem(20403, "Invalid marketplace_id.",
                                                domain="API_ACCOUNT"))
            policies = seller.policies.get(resource, [])
            return web.json_response({
                "href": str(request.rel_url), "limit": 20, "offset": 0,
                "total": len(policies), POLICY_LISTS[resource]: policies,
            })

        return get_policies


class LocationApi(EbayApi):
    """Inventory locations: a warehouse needs a postal code and country (or city and state)."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(f"{INVENTORY}/location/{{key}}", self.create_location)
        router.add_get(f"{INVENTORY}/location/{{key}}", self.get_location)

    async def create_location(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        key = request.match_info["key"]
        if not LOCATION_KEY.match(key):
            raise inventory_error(400, 25800, "Invalid merchantLocationKey.")
        body = await self.json_body(request)
        address = (body.get("location") or {}).get("address") or {}
        self._check_address(address)
        types = body.get("locationTypes") or ["WAREHOUSE"]
        if not set(types) <= {"WAREHOUSE", "STORE"}:
            raise inventory_error(400, 25800, "Invalid locationTypes.")
        status = body.get("merchantLocationStatus") or "ENABLED"
        if status not in ("ENABLED", "DISABLED"):
            raise inventory_error(400, 25800, "Invalid merchantLocationStatus.")
        if key in seller.locations:
            raise inventory_error(409, 25803, "merchantLocationKey already exists.")
        seller.locations[key] = {
            "merchantLocationKey": key, "location": {"address": address},
            "locationTypes": types, "merchantLocationStatus": status,
            "name": body.get("name", key),
        }
        return web.Response(status=204)

    @staticmethod
    def _check_address(address: dict[str, Any]) -> None:
        country = address.get("country")
        by_postal = address.get("postalCode") and country
        by_city = address.get("city") and address.get("stateOrProvince") and country
        if not (by_postal or by_city):
            raise inventory_error(400, 25801, "Missing field location.address.postalCode.",
                                  long_message="A warehouse location needs a postal code and "
                                  "country, or a city, state and country.")
        if not re.fullmatch(r"[A-Z]{2}", str(country)):
            raise inventory_error(400, 25800, "Invalid location.address.country.")

    async def get_location(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        found = seller.locations.get(request.match_info["key"])
        if found is None:
            raise inventory_error(404, 25805, "merchantLocationKey Not Found.")
        return web.json_response(found)


class InventoryItemApi(EbayApi):
    """createOrReplaceInventoryItem and getInventoryItem."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_put(f"{INVENTORY}/inventory_item/{{sku}}", self.put_item)
        router.add_get(f"{INVENTORY}/inventory_item/{{sku}}", self.get_item)

    async def put_item(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        language = self.content_language(request)
        sku = request.match_info["sku"]
        if not SKU.match(sku):
            raise inventory_error(400, 25707, "Invalid sku. sku has to be alphanumeric with upto "
                                  "50 characters in length")
        body = await self.json_body(request)
        errors = self._problems(body)
        if errors:
            raise EbayApiError(400, *errors)
        seller.items[sku] = {
            "sku": sku, "locale": language.replace("-", "_"),
            **{k: body[k] for k in ("product", "condition", "availability") if k in body},
        }
        return web.Response(status=204)

    def _problems(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        product = body.get("product") or {}
        found = [*_text_problems(product), *self._picture_problems(product.get("imageUrls") or [])]
        if "condition" in body and body["condition"] not in CONDITIONS:
            found.append(problem(25021, "The eBay listing associated with the inventory item, or "
                                 "the unpublished offer has invalid item condition information."))
        quantity = ((body.get("availability") or {}).get("shipToLocationAvailability") or {}).get(
            "quantity", 0)
        if not _is_count(quantity):
            found.append(problem(25004, "The eBay listing associated with the inventory item, or "
                                 "the unpublished offer has an invalid quantity."))
        return found

    def _picture_problems(self, urls: list[Any]) -> list[dict[str, Any]]:
        found = []
        if len(urls) > PICTURES_MAX:
            found.append(problem(25014, "The eBay listing associated with the inventory item, "
                                 "or the unpublished offer has invalid pictures. At most "
                                 f"{PICTURES_MAX} pictures are allowed."))
        foreign = next((url for url in urls if not self.state.hosted(url)), None)
        if foreign is not None:
            found.append(problem(25015, "The eBay listing associated with the inventory item, "
                                 "or the unpublished offer has an invalid picture URL. Upload "
                                 "pictures with the Media API first.",
                                 parameters={"imageUrl": str(foreign)[:200]}))
        return found

    async def get_item(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        item = seller.items.get(request.match_info["sku"])
        if item is None:
            raise inventory_error(404, 25710, "We didn't find the resource/entity you are "
                                  "requesting. Please verify the request")
        return web.json_response(item)


class OfferApi(EbayApi):
    """Offers: create, read, replace, publish (idempotent while live) and withdraw."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{INVENTORY}/offer", self.get_offers)
        router.add_post(f"{INVENTORY}/offer", self.create_offer)
        router.add_get(f"{INVENTORY}/offer/{{offer_id}}", self.get_offer)
        router.add_put(f"{INVENTORY}/offer/{{offer_id}}", self.update_offer)
        router.add_post(f"{INVENTORY}/offer/{{offer_id}}/publish", self.publish_offer)
        router.add_post(f"{INVENTORY}/offer/{{offer_id}}/publish/", self.publish_offer)
        router.add_post(f"{INVENTORY}/offer/{{offer_id}}/withdraw", self.withdraw_offer)

    async def get_offers(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        sku = request.query.get("sku", "")
        if not SKU.match(sku) or sku not in seller.items:
            raise inventory_error(400, 25707, "This is an invalid value for a SKU. Only "
                                  "alphanumeric characters can be used for SKUs, and their "
                                  "length must not exceed 50 characters")
        marketplace = request.query.get("marketplace_id")
        offers = [o for o in seller.offers.values()
                  if o.sku == sku and marketplace in (None, o.marketplace_id)]
        if not offers:
            raise inventory_error(404, 25713, "This Offer is not available.")
        return web.json_response({
            "href": str(request.rel_url), "limit": 100, "size": len(offers),
            "total": len(offers), "offers": [self.state.offer_json(o) for o in offers],
        })

    async def create_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        self.content_language(request)
        body = await self.json_body(request)
        sku = body.get("sku")
        for name, valid in (
            ("sku", isinstance(sku, str) and SKU.match(sku)),
            ("marketplaceId", body.get("marketplaceId") == MARKETPLACE_ID),
            ("format", body.get("format") in ("FIXED_PRICE", "AUCTION")),
        ):
            if not valid:
                raise inventory_error(400, 25709, f"Invalid value for {name}.")
        if sku not in seller.items:
            raise inventory_error(400, 25702, f"{sku} could not be found or is not available in "
                                  "the system.")
        existing = next((o for o in seller.offers.values()
                         if o.sku == sku and o.format == body["format"]), None)
        if existing is not None:
            raise inventory_error(400, 25002, "A user error has occurred. Offer entity already "
                                  "exists.", parameters={"offerId": existing.offer_id})
        offer = Offer(self.state.new_offer_id(), seller.account.account_id, str(sku),
                      MARKETPLACE_ID, body["format"], _offer_details(body))
        seller.offers[offer.offer_id] = offer
        return web.json_response({"offerId": offer.offer_id}, status=201)

    async def get_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        return web.json_response(self.state.offer_json(self._offer(seller, request)))

    async def update_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        self.content_language(request)
        offer = self._offer(seller, request)
        details = _offer_details(await self.json_body(request))
        if offer.status == "PUBLISHED" and not details.get("listingDescription"):
            raise inventory_error(400, 25017, "listingDescription is missing. A published "
                                  "offer needs its listing description on every update.")
        offer.details = details
        return web.Response(status=204)

    @staticmethod
    def _offer(seller: Seller, request: web.Request) -> Offer:
        offer_id = request.match_info["offer_id"]
        offer = seller.offers.get(offer_id)
        if offer is None:
            raise inventory_error(404, 25713, f"This Offer is not available : {offer_id}.")
        return offer

    async def publish_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        offer = self._offer(seller, request)
        errors = self._publish_problems(seller, offer)
        if errors:
            raise EbayApiError(400, *errors)
        live = self.state.listings.get(offer.listing_id or "")
        if offer.status == "PUBLISHED" and live is not None and live.status == "ACTIVE":
            return web.json_response({"listingId": live.listing_id, "warnings": []})  # revised
        record = ListingRecord(self.state.new_listing_id(), offer.offer_id,
                               seller.account.account_id, offer.sku)
        self.state.listings[record.listing_id] = record
        offer.status, offer.listing_id = "PUBLISHED", record.listing_id
        return web.json_response({"listingId": record.listing_id, "warnings": []})

    def _publish_problems(self, seller: Seller, offer: Offer) -> list[dict[str, Any]]:
        item = seller.items.get(offer.sku)
        if item is None:
            return [problem(25702, f"{offer.sku} could not be found or is not available in the "
                            "system.")]
        return [*_item_publish_problems(offer, item),
                *_price_and_category_problems(offer, self.state.tree),
                *_policy_and_location_problems(seller, offer)]

    async def withdraw_offer(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_INVENTORY)
        offer = self._offer(seller, request)
        if offer.status != "PUBLISHED" or offer.listing_id is None:
            raise inventory_error(400, 25713, "This Offer is not available : the offer is not "
                                  "published.")
        record = self.state.listings[offer.listing_id]
        record.status = "ENDED"
        offer.status, offer.listing_id = "UNPUBLISHED", None
        return web.json_response({"listingId": record.listing_id, "warnings": []})


class FulfillmentApi(EbayApi):
    """getOrders with eBay's filter grammar, its 90-day reach and its paging."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/sell/fulfillment/v1/order", self.get_orders)

    async def get_orders(self, request: web.Request) -> web.Response:
        seller = self.seller(request, SCOPE_FULFILLMENT)
        limit = _bounded_int(request.query.get("limit", "50"), 1, 1000, 31100, "limit")
        offset = _bounded_int(request.query.get("offset", "0"), 0, 10**9, 31000, "offset")
        order_ids = request.query.get("orderIds")
        if order_ids:
            wanted = order_ids.split(",")
            if len(wanted) > 50:
                raise _fulfillment_error(30900, "Exceeded maximum number of order IDs (the "
                                         "current limit is 50)")
            orders = [o for o in seller.orders if o["orderId"] in wanted]
        else:
            keep = _order_filter(request.query.get("filter", ""))
            orders = [o for o in seller.orders if keep(o)]
        body: dict[str, Any] = {"href": str(request.rel_url), "total": len(orders),
                                "limit": limit, "offset": offset,
                                "orders": orders[offset:offset + limit]}
        if offset + limit < len(orders):
            body["next"] = str(request.rel_url.update_query(offset=str(offset + limit)))
        return web.json_response(body)


# ── The server ────────────────────────────────────────────────────────────────────────────────


class EbaySandbox(SandboxServer):
    """eBay, locally and strictly. Tests drive `sell`, `end` and read `listings`."""

    def __init__(
        self,
        *,
        redirect_uris: tuple[str, ...] = ("http://127.0.0.1/oauth/ebay/callback",),
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.state = EbayState(lambda: self.url)
        self.oauth = EbayOAuth(
            name="eBay",
            clients=[OAuthClient(client_id, client_secret, redirect_uris)],
            accounts=[seller.account for seller in self.state.sellers.values()],
            scopes={*USER_SCOPES, SCOPE_APPLICATION},
            access_ttl_seconds=ACCESS_TTL_SECONDS,
            refresh_ttl_seconds=REFRESH_TTL_SECONDS,
            pkce_required=False,
            rotate_refresh_tokens=False,
            client_auth=frozenset({"client_secret_basic"}),
        )
        self.faults = Faults()
        self.app.middlewares.append(self.faults.middleware(self._is_api, fault_response))
        self.app.middlewares.append(
            self.faults.middleware(lambda r: r.path == TOKEN_PATH, oauth_error_json)
        )
        self.app.middlewares.append(ebay_errors)
        router = self.app.router
        router.add_get(AUTHORIZE_PATH, self.oauth.authorize_page)
        router.add_post(AUTHORIZE_PATH, self.oauth.decide)
        router.add_post(TOKEN_PATH, self.oauth.token_endpoint)
        router.add_get("/itm/{listing_id}", self.public_page)
        for api in (IdentityApi, TaxonomyApi, MediaApi, AccountApi, LocationApi,
                    InventoryItemApi, OfferApi, FulfillmentApi):
            api(self.state, self.oauth).routes(router)

    @staticmethod
    def _is_api(request: web.Request) -> bool:
        return request.path.startswith(("/sell/", "/commerce/"))

    def adapter_config(self, redirect_uri: str) -> EbayConfig:
        """An adapter configuration with every eBay host pointing at this sandbox (registering
        the redirect URI, as an operator does when creating the RuName)."""
        self.oauth.register_redirect(self.client_id, redirect_uri)
        return EbayConfig(
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=redirect_uri,
            authorize_url=f"{self.url}{AUTHORIZE_PATH}",
            token_url=f"{self.url}{TOKEN_PATH}",
            api_base_url=self.url,
            identity_base_url=self.url,
            media_base_url=self.url,
            web_base_url=self.url,
        )

    # ── Test and demo controls ──

    @property
    def sellers(self) -> dict[str, Seller]:
        return self.state.sellers

    @property
    def requests(self) -> list[str]:
        """"METHOD /path" of every API call so far."""
        return self.state.requests

    @property
    def images(self) -> ImageStore:
        """Every picture uploaded through the Media API."""
        return self.state.images

    @property
    def listings(self) -> list[EbayListing]:
        return [self.state.snapshot(record) for record in self.state.listings.values()]

    def listing(self, external_id: str) -> EbayListing:
        """The listing for an offer id (what the adapter returns) or a listing id."""
        return self.state.snapshot(self.state.record(external_id))

    def sell(self, external_id: str, *, quantity: int = 1, buyer: str = "happy_buyer_42") -> str:
        """A buyer purchases the item: an order appears and the listing sells out. Returns
        the order id."""
        record = self.state.record(external_id)
        if record.status != "ACTIVE":
            raise ValueError(f"listing {record.listing_id} is not active")
        return str(self.state.sell(record, quantity, buyer)["orderId"])

    def end(self, external_id: str) -> None:
        """The seller ends the listing on ebay.com, outside our app."""
        self.state.record(external_id).status = "ENDED"

    async def public_page(self, request: web.Request) -> web.Response:
        record = self.state.listings.get(request.match_info["listing_id"])
        if record is None:
            raise web.HTTPNotFound(text="We looked everywhere. The listing is not on eBay.")
        shown = self.state.snapshot(record)
        words = {"live": "Available", "sold": "Sold", "ended": "This listing has ended"}
        return listing_page(
            marketplace="eBay", title=shown.title, price=f"US ${shown.price}",
            status=words[shown.state], description=shown.description, image_urls=shown.images,
        )


# ── Validation shared by the handlers ─────────────────────────────────────────────────────────


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text_problems(product: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    title = product.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > TITLE_MAX):
        found.append(problem(25016, "The product.title value is invalid. The title may not be "
                             f"longer than {TITLE_MAX} characters."))
    description = product.get("description")
    if description is not None and len(str(description)) > DESCRIPTION_MAX:
        found.append(problem(25016, "The product.description value is invalid. The description "
                             f"may not be longer than {DESCRIPTION_MAX} characters."))
    return found


def _offer_details(body: dict[str, Any]) -> dict[str, Any]:
    """The updatable offer fields, checked as createOffer and updateOffer check them."""
    keys = ("availableQuantity", "categoryId", "listingDescription", "listingPolicies",
            "merchantLocationKey", "pricingSummary")
    details = {k: body[k] for k in keys if body.get(k) is not None}
    if not _is_count(details.get("availableQuantity", 0)):
        raise inventory_error(400, 25709, "Invalid value for availableQuantity.")
    if "categoryId" in details and not str(details["categoryId"]).isdigit():
        raise inventory_error(400, 25709, "Invalid value for categoryId.")
    if len(str(details.get("listingDescription", ""))) > LISTING_DESCRIPTION_MAX:
        raise inventory_error(400, 25709, "Invalid value for listingDescription.")
    if "listingPolicies" in details and not isinstance(details["listingPolicies"], dict):
        raise inventory_error(400, 25709, "Invalid value for listingPolicies.")
    if "pricingSummary" in details:
        _check_price((details["pricingSummary"] or {}).get("price"))
    return details


def _check_price(price: object) -> None:
    value = price.get("value") if isinstance(price, dict) else None
    if not isinstance(value, str) or not PRICE.match(value):
        raise inventory_error(400, 25709, "Invalid value for pricingSummary.price.value. Give "
                              "the amount as a decimal string with two decimals, for example "
                              "25.00.")
    if isinstance(price, dict) and price.get("currency") != CURRENCY:
        raise inventory_error(400, 25709, "Invalid value for pricingSummary.price.currency.")


def _item_publish_problems(offer: Offer, item: dict[str, Any]) -> list[dict[str, Any]]:
    product = item.get("product") or {}
    found = []
    if not product.get("title"):
        found.append(problem(25017, "product.title is missing. A listing needs a title."))
    if not (offer.details.get("listingDescription") or product.get("description")):
        found.append(problem(25016, "The description value is invalid. A listing needs a "
                             "description."))
    if not product.get("imageUrls"):
        found.append(problem(25014, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has invalid pictures. A listing needs at least "
                             "one picture."))
    if not item.get("condition"):
        found.append(problem(25021, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has invalid item condition information. The "
                             "condition is missing."))
    if int(offer.details.get("availableQuantity", 0)) <= 0:
        found.append(problem(25004, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has an invalid quantity. The available quantity "
                             "must be at least 1."))
    return found


def _price_and_category_problems(offer: Offer, tree: CategoryTree) -> list[dict[str, Any]]:
    found = []
    price = (offer.details.get("pricingSummary") or {}).get("price") or {}
    if not price.get("value") or Decimal(price["value"]) < PRICE_MIN:
        found.append(problem(25003, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has an invalid price. The price must be at least "
                             f"{PRICE_MIN} {CURRENCY}."))
    category_id = str(offer.details.get("categoryId") or "")
    if not tree.is_leaf(category_id):
        found.append(problem(25005, "The eBay listing associated with the inventory item, or the "
                             "unpublished offer has an invalid category ID. Give the id of a "
                             "leaf category.", parameters={"categoryId": category_id}))
    return found


def _policy_and_location_problems(seller: Seller, offer: Offer) -> list[dict[str, Any]]:
    found = []
    policies = offer.details.get("listingPolicies") or {}
    for resource, error_id, kind in (
        ("fulfillment_policy", 25007, "Fulfillment"),
        ("payment_policy", 25008, "Payment"),
        ("return_policy", 25009, "Return"),
    ):
        id_key = POLICY_IDS[resource]
        if str(policies.get(id_key, "")) not in seller.policy_ids(resource, id_key):
            found.append(problem(error_id, "The eBay listing associated with the inventory item, "
                                 "or the unpublished offer has invalid data in the associated "
                                 f"{kind} policy. The {id_key} is missing or unknown."))
    location = seller.locations.get(str(offer.details.get("merchantLocationKey") or ""))
    if location is None or location["merchantLocationStatus"] != "ENABLED":
        found.append(problem(25012, "Invalid inventory location. The merchantLocationKey is "
                             "missing, unknown or disabled."))
    return found


# ── Small helpers ─────────────────────────────────────────────────────────────────────────────


def _iso(moment: datetime) -> str:
    """eBay's timestamps: UTC, milliseconds, a Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _image_type(data: bytes) -> str:
    """The picture's MIME type; refuses what EPS cannot read or what is too small to list."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            kind = Image.MIME.get(image.format or "", "")
    except (UnidentifiedImageError, OSError, ValueError):
        raise EbayApiError(400, problem(190002, "The image could not be read. Upload a JPG, "
                                        "GIF, PNG, BMP, TIFF, AVIF, HEIC or WEBP file.",
                                        domain="API_MEDIA")) from None
    if max(width, height) < IMAGE_MIN_LONG_SIDE:
        raise EbayApiError(400, problem(190002, f"The image must be at least "
                                        f"{IMAGE_MIN_LONG_SIDE} pixels on its longest side.",
                                        domain="API_MEDIA"))
    return kind or "image/jpeg"


def _fulfillment_error(error_id: int, message: str) -> EbayApiError:
    return EbayApiError(400, problem(error_id, message, domain="API_FULFILLMENT"))


def _bounded_int(text: str, low: int, high: int, error_id: int, name: str) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise _fulfillment_error(error_id, f"Invalid {name}: {text}")
    return int(text)


def _order_filter(text: str) -> Callable[[dict[str, Any]], bool]:
    """getOrders' `filter` as a predicate, refusing what eBay refuses."""
    checks = []
    for criterion in (c.strip() for c in text.split(",") if c.strip()):
        name, _, value = criterion.partition(":")
        if name in ("creationdate", "lastmodifieddate"):
            start, end = _date_range(name, value)
            key = "creationDate" if name == "creationdate" else "lastModifiedDate"
            checks.append(lambda o, s=start, e=end, k=key: s <= _parse_iso(o[k]) <= e)
        elif name == "orderfulfillmentstatus":
            allowed = {"{NOT_STARTED|IN_PROGRESS}": {"NOT_STARTED", "IN_PROGRESS"},
                       "{FULFILLED|IN_PROGRESS}": {"FULFILLED", "IN_PROGRESS"}}.get(value)
            if allowed is None:
                raise _fulfillment_error(30800, f"Invalid filter value {value} for filter {name}")
            checks.append(lambda o, a=allowed: o["orderFulfillmentStatus"] in a)
        else:
            raise _fulfillment_error(30700, f"Invalid filter name: {name}")
    return lambda order: all(check(order) for check in checks)


def _date_range(name: str, value: str) -> tuple[datetime, datetime]:
    match = re.fullmatch(r"\[(.*?)\.\.(.*)\]", value)
    if match is None:
        raise _fulfillment_error(30800, f"Invalid filter value {value} for filter {name}")
    now = datetime.now(UTC)
    try:
        start = _parse_iso(match.group(1)) if match.group(1) else None
        end = _parse_iso(match.group(2)) if match.group(2) else now
    except ValueError:
        raise _fulfillment_error(30810, "Invalid date format") from None
    if start is None:
        raise _fulfillment_error(30820, "Start date is missing")
    if start > now + timedelta(seconds=5) or end > now + timedelta(seconds=5):
        raise _fulfillment_error(30850, "Start and end dates can't be in the future")
    if start > end:
        raise _fulfillment_error(30840, "Start date should be before end date")
    if start < now - timedelta(days=ORDER_SEARCH_DAYS):
        raise _fulfillment_error(30830, "Start date must be within 90 days of end date and "
                                 "current date.")
    return start, end
