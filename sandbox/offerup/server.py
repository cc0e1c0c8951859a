"""The OfferUp partner sandbox's server: OAuth, the /v1 API, images and public listing pages on
one origin, with the controls tests and the demo drive."""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Final

from aiohttp import web

from marketplaces.offerup import OfferUpConfig
from sandbox.kit import (
    Faults,
    Handler,
    ImageStore,
    MarketplaceAccount,
    OAuthClient,
    OAuthProvider,
    SandboxServer,
    listing_page,
    refusals,
)
from sandbox.offerup.accounts import (
    ACCESS_TTL_SECONDS,
    DEMO_ACCOUNTS,
    REFRESH_REUSE_INTERVAL_SECONDS,
    REFRESH_TTL_SECONDS,
    SCOPES,
    ProfileApi,
)
from sandbox.offerup.api import is_api
from sandbox.offerup.categories import CategoriesApi
from sandbox.offerup.listings import ListingsApi
from sandbox.offerup.photos import PhotosApi
from sandbox.offerup.problems import fault_problem, problem_response

_STATUS_LABELS: Final = {"active": "Available", "sold": "Sold", "archived": "No longer available"}


class OfferUpSandbox(SandboxServer):
    """The partner endpoint: OAuth, /v1 API, images and public listing pages on one origin."""

    def __init__(
        self,
        *,
        redirect_uris: tuple[str, ...] = ("http://127.0.0.1/oauth/offerup/callback",),
        client_id: str = "dealscout-offerup-sandbox",
        client_secret: str | None = None,
        access_ttl_seconds: int = ACCESS_TTL_SECONDS,
        refresh_ttl_seconds: int = REFRESH_TTL_SECONDS,
        accounts: tuple[MarketplaceAccount, ...] = DEMO_ACCOUNTS,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.oauth = OAuthProvider(
            name="OfferUp",
            clients=[OAuthClient(client_id, self.client_secret, redirect_uris)],
            accounts=accounts,
            scopes=SCOPES,
            access_ttl_seconds=access_ttl_seconds,
            refresh_ttl_seconds=refresh_ttl_seconds,
            pkce_required=True,
            rotate_refresh_tokens=True,
            detect_refresh_reuse=True,
            refresh_reuse_interval_seconds=REFRESH_REUSE_INTERVAL_SECONDS,
            client_auth=frozenset({"client_secret_basic"}),
        )
        self.faults = Faults()
        self.images = ImageStore()
        self._photos = PhotosApi(self.oauth, self._base_url, self.images)
        self._listings = ListingsApi(self.oauth, self._base_url, self._photos)
        # For tests and demos: the handlers' own dictionaries, not copies.
        self.listings, self.photos = self._listings.listings, self._photos.photos
        self.api_calls: Counter[str] = Counter()  # "POST /v1/listings" → count, for tests
        self.app.middlewares.extend([
            self._count,
            self.faults.middleware(is_api, fault_problem),
            refusals,
            self._http_problems,
        ])
        self._routes()

    def _base_url(self) -> str:
        return self.url

    def _routes(self) -> None:
        router = self.app.router
        router.add_get("/oauth/authorize", self.oauth.authorize_page)
        router.add_post("/oauth/authorize", self.oauth.decide)
        router.add_post("/oauth/token", self.oauth.token_endpoint)
        router.add_post("/oauth/revoke", self.oauth.revoke_endpoint)
        ProfileApi(self.oauth, self._base_url).routes(router)
        CategoriesApi(self.oauth, self._base_url).routes(router)
        self._photos.routes(router)
        self._listings.routes(router)
        router.add_get("/images/{image_id}", self.images.serve)
        router.add_get("/item/detail/{listing_id}", self.public_page)

    # ── for tests, the demo and the engine's tests ──

    def adapter_config(self, redirect_uri: str) -> OfferUpConfig:
        """A config pointing every URL here. The redirect URI is registered for the client if
        it is not yet, as an operator would in the partner's developer console."""
        self.oauth.register_redirect(self.client_id, redirect_uri)
        return OfferUpConfig.for_partner(
            self.url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=redirect_uri,
        )

    def sell(self, external_id: str) -> None:
        """A buyer bought the item on OfferUp."""
        self._listings.set_status(external_id, "sold")

    def end(self, external_id: str) -> None:
        """The seller archived the listing in the OfferUp app."""
        self._listings.set_status(external_id, "archived")

    def restrict(self, account_id: str, reason: str | None) -> None:
        """Block (phone_unverified, suspended) or, with None, allow posting for an account."""
        self.oauth.accounts[account_id].details["posting_blocked"] = reason

    # ── middlewares ──

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_api(request):
            route = request.match_info.route.resource
            path = route.canonical if route is not None else request.path
            self.api_calls[f"{request.method} {path}"] += 1
        return await handler(request)

    @web.middleware
    async def _http_problems(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp's own /v1 errors (404, 405 ...) as problem documents too."""
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if not is_api(request) or exc.status < 400:
                raise
            return problem_response(exc.status, detail=exc.reason)

    # ── the buyer's page ──

    async def public_page(self, request: web.Request) -> web.Response:
        listing = self.listings.get(request.match_info["listing_id"])
        if listing is None:
            raise web.HTTPNotFound(text="This item does not exist.")
        return listing_page(
            marketplace="OfferUp",
            title=listing.title,
            price=f"${listing.price}",
            status=_STATUS_LABELS[listing.status],
            description=listing.description,
            image_urls=listing.image_urls,
        )
