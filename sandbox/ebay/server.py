"""The eBay sandbox's server: every eBay host (auth, api, apiz, apim, www) on one loopback
origin, wiring OAuth, each API's routes and the public /itm/{listingId} page, with the controls
tests and the demo drive."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from marketplaces.ebay import EbayConfig
from sandbox.ebay.account import AccountApi
from sandbox.ebay.accounts import ANA, Seller
from sandbox.ebay.browse import BrowseApi
from sandbox.ebay.comps import Comp
from sandbox.ebay.conformance import Conformance
from sandbox.ebay.errors import fault_response
from sandbox.ebay.fulfillment import FulfillmentApi
from sandbox.ebay.identity import IdentityApi
from sandbox.ebay.inventory import InventoryItemApi, LocationApi
from sandbox.ebay.marketplace import iso
from sandbox.ebay.media import MediaApi
from sandbox.ebay.metadata import MetadataApi
from sandbox.ebay.notifications import NotificationApi
from sandbox.ebay.oauth import (
    ACCESS_TTL_SECONDS,
    AUTHORIZE_PATH,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TTL_SECONDS,
    SCOPE_APPLICATION,
    TOKEN_PATH,
    USER_SCOPES,
    EbayOAuth,
)
from sandbox.ebay.offers import OfferApi
from sandbox.ebay.prices import PriceQuantityApi
from sandbox.ebay.push import Pushed
from sandbox.ebay.state import EbayListing, EbayState
from sandbox.ebay.taxonomy import TaxonomyApi
from sandbox.ebay.topics import (
    AUTHORIZATION_REVOCATION,
    MARKETPLACE_ACCOUNT_DELETION,
    ORDER_CONFIRMATION,
    account_data,
    order_confirmation_data,
)
from sandbox.kit import (
    Faults,
    ImageStore,
    OAuthClient,
    SandboxServer,
    listing_page,
    oauth_error_json,
    refusals,
)

# The address the operator gives the Notification API's config (eBay writes to it when our
# endpoint stops answering); in the sandbox, nobody reads it.
OPERATOR_EMAIL = "operator@dealscout.example"


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
        self.conformance = Conformance()
        self.app.middlewares.append(self.conformance.middleware())
        self.app.middlewares.append(refusals)
        router = self.app.router
        router.add_get(AUTHORIZE_PATH, self.oauth.authorize_page)
        router.add_post(AUTHORIZE_PATH, self.oauth.decide)
        router.add_post(TOKEN_PATH, self.oauth.token_endpoint)
        router.add_get("/itm/{listing_id}", self.public_page)
        for api in (IdentityApi, TaxonomyApi, MetadataApi, MediaApi, AccountApi, LocationApi,
                    InventoryItemApi, OfferApi, PriceQuantityApi, FulfillmentApi, BrowseApi,
                    NotificationApi):
            api(self.state, self.oauth).routes(router)

    @staticmethod
    def _is_api(request: web.Request) -> bool:
        return request.path.startswith(("/sell/", "/commerce/", "/buy/"))

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
            alert_email=OPERATOR_EMAIL,
        )

    # ── Test and demo controls ──

    @property
    def contract_violations(self) -> list[str]:
        """Every request and response that strayed from eBay's OpenAPI documents."""
        return self.conformance.all

    @property
    def response_violations(self) -> list[str]:
        """Only this sandbox's own answers that strayed from eBay's documents."""
        return self.conformance.responses

    @property
    def sellers(self) -> dict[str, Seller]:
        return self.state.sellers

    @property
    def requests(self) -> list[str]:
        """"METHOD /path" of every API call so far."""
        return self.state.requests

    @property
    def comps(self) -> list[Comp]:
        """Other sellers' listings the Browse API searches; `comps.clear()` makes every search
        come back empty."""
        return self.state.comps

    @property
    def browse_delay_seconds(self) -> float:
        """Every Browse search waits this long before answering (a slow eBay)."""
        return self.state.browse_delay_seconds

    @browse_delay_seconds.setter
    def browse_delay_seconds(self, seconds: float) -> None:
        self.state.browse_delay_seconds = seconds

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

    # ── Events eBay pushes (Notification API) ──

    @property
    def notifications(self) -> list[Pushed]:
        """Every notification pushed so far: topic, destination, endpoint, the receiver's
        HTTP status (None when it did not answer), the body and the signature header."""
        return self.state.notifications.pushed

    async def checkout(self, external_id: str, *, buyer: str = "happy_buyer_42") -> str:
        """A buyer completes checkout for every unit left: the order appears (getOrders), the
        listing sells out, and an ORDER_CONFIRMATION per line item goes to the destination of
        each of the seller's ENABLED subscriptions. Returns the order id."""
        record = self.state.record(external_id)
        if record.status != "ACTIVE":
            raise ValueError(f"listing {record.listing_id} is not active")
        seller = self.state.sellers[record.seller_id]
        left = int(seller.offers[record.offer_id].details.get("availableQuantity") or 1)
        order = self.state.sell(record, max(1, left), buyer)
        for line_item in order["lineItems"]:
            data = order_confirmation_data(seller.user_id, seller.username, order, line_item)
            await self.state.notifications.publish(ORDER_CONFIRMATION, record.seller_id, data)
        return str(order["orderId"])

    async def revoke_authorization(self, account_id: str) -> None:
        """The seller removes our app under eBay's Account > Permissions: every grant stops
        working and AUTHORIZATION_REVOCATION goes to the app's subscriptions."""
        seller = self.state.sellers[account_id]
        self.oauth.revoke_account(account_id)
        data = {**account_data(seller.user_id, seller.username, seller.eias_token),
                "revokeReason": "REVOKED_BY_USER", "revocationDate": iso(datetime.now(UTC))}
        await self.state.notifications.publish(AUTHORIZATION_REVOCATION, "app", data)

    async def delete_account(self, account_id: str) -> None:
        """The seller closes their eBay account: the grants end and
        MARKETPLACE_ACCOUNT_DELETION goes to the app's subscriptions."""
        seller = self.state.sellers[account_id]
        self.oauth.revoke_account(account_id)
        data = account_data(seller.user_id, seller.username, seller.eias_token)
        await self.state.notifications.publish(MARKETPLACE_ACCOUNT_DELETION, "app", data)

    async def push_unverifiable(
        self, topic: str, *, account_id: str = ANA, signing: str = "forged"
    ) -> list[Pushed]:
        """Push `topic` about `account_id` to its subscribers the way an impostor would:
        signing "forged" (another key, eBay's kid), "tampered" (eBay's signature of other
        bytes) or "missing" (no X-EBAY-SIGNATURE)."""
        seller = self.state.sellers[account_id]
        if topic == ORDER_CONFIRMATION:
            order = {"orderId": "99-99999-99999"}
            line = {"lineItemId": "10099999999999", "legacyItemId": "110553299999", "quantity": 1}
            data = order_confirmation_data(seller.user_id, seller.username, order, line)
            owner = account_id
        else:
            data = account_data(seller.user_id, seller.username, seller.eias_token)
            owner = "app"
        return await self.state.notifications.publish(topic, owner, data, signing=signing)

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
