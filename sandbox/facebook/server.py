"""The Facebook sandbox's server: Graph API v24.0 (configurable) on loopback, wiring Login, the
people and business nodes, the Catalog Batch API, products and public product pages, with the
controls tests and the demo drive."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from marketplaces.facebook import FacebookConfig
from sandbox.facebook.accounts import people, seed
from sandbox.facebook.batches import BatchApi
from sandbox.facebook.catalog import Business, Catalog, CatalogBackend, Product, listing_status
from sandbox.facebook.errors import graph_error_response
from sandbox.facebook.graph import API_VERSION
from sandbox.facebook.login import (
    APP_ID,
    APP_SECRET,
    SCOPES,
    SHORT_LIVED_SECONDS,
    FacebookOAuth,
    LoginApi,
)
from sandbox.facebook.people import PeopleApi
from sandbox.facebook.products import ProductsApi
from sandbox.kit import Faults, ImageStore, OAuthClient, SandboxServer, refusals


@dataclass(frozen=True)
class SandboxListing:
    """A product as a test sees it: what a buyer would, plus where it lives."""

    product_id: str
    retailer_id: str
    catalog_id: str
    title: str
    price: str  # as sent, e.g. "25.00 USD"
    status: str  # live, sold or ended
    availability: str
    condition: str
    description: str
    images: tuple[str, ...]  # URLs this sandbox serves
    url: str


class FacebookSandbox(SandboxServer):
    """Graph API v24.0 (configurable) on loopback: Login, debug_token, businesses, catalogs,
    items_batch, check_batch_request_status, products, product nodes and public product pages."""

    def __init__(
        self,
        *,
        redirect_uris: tuple[str, ...] = ("http://127.0.0.1/oauth/facebook/callback",),
        app_id: str = APP_ID,
        app_secret: str = APP_SECRET,
        api_version: str = API_VERSION,
        processing_delay: float = 0.0,
        image_fetch_timeout: float = 5.0,
    ) -> None:
        super().__init__()
        self.app_id, self.app_secret, self.version = app_id, app_secret, api_version
        self.faults = Faults()
        self.oauth = FacebookOAuth(
            name="Facebook",
            clients=[OAuthClient(app_id, app_secret, tuple(redirect_uris))],
            accounts=people(),
            scopes=SCOPES,
            access_ttl_seconds=SHORT_LIVED_SECONDS,
            refresh_ttl_seconds=None,  # Facebook issues no refresh tokens
            client_auth=frozenset({"client_secret_post"}),
            error=graph_error_response,
        )
        self.images = ImageStore()
        self.store = CatalogBackend(
            self.images, processing_delay=processing_delay, image_fetch_timeout=image_fetch_timeout
        )
        # Shortcuts for tests and demos: the store's own dictionaries, not copies.
        self.businesses, self.catalogs = self.store.businesses, self.store.catalogs
        self.products, self.batches = self.store.products, self.store.batches
        self.image_fetches = self.store.image_fetches
        seed(self.store)
        self.app.middlewares.append(self.faults.middleware(self._is_api, graph_error_response))
        self.app.middlewares.append(refusals)
        self._batches = BatchApi(self.oauth, self.store, app_id=app_id, base_url=self._base_url)
        prefix, router = f"/{self.version}", self.app.router
        LoginApi(self.oauth, self.store, app_id=app_id, app_secret=app_secret,
                 base_url=self._base_url).routes(router, prefix)
        PeopleApi(self.oauth, self.store, app_id=app_id,
                  base_url=self._base_url).routes(router, prefix)
        self._batches.routes(router, prefix)
        # Last: its GET and DELETE /{node} would otherwise answer for /me and /debug_token.
        ProductsApi(self.oauth, self.store, app_id=app_id,
                    base_url=self._base_url).routes(router, prefix)
        router.add_get("/images/{image_id}", self.images.serve)

    def _base_url(self) -> str:
        return self.url

    def add_business(self, business_id: str, name: str, members: set[str]) -> Business:
        return self.store.add_business(business_id, name, members)

    def add_catalog(
        self, catalog_id: str, name: str, business_id: str, vertical: str = "commerce"
    ) -> Catalog:
        return self.store.add_catalog(catalog_id, name, business_id, vertical)

    def _is_api(self, request: web.Request) -> bool:
        path = request.path
        return path.startswith(f"/{self.version}/") and not path.endswith("/dialog/oauth")

    async def stop(self) -> None:
        await self.store.aclose()
        await super().stop()

    # ── adapter wiring and test controls ──

    def adapter_config(self, redirect_uri: str) -> FacebookConfig:
        """A config pointing every Facebook URL at this running sandbox (registering the
        redirect URI for the app, as an operator does in the App Dashboard)."""
        self.oauth.register_redirect(self.app_id, redirect_uri)
        parts = urlsplit(redirect_uri)
        v = self.version
        return FacebookConfig(
            app_id=self.app_id,
            app_secret=self.app_secret,
            redirect_uri=redirect_uri,
            item_link_base=f"{parts.scheme}://{parts.netloc}/items",
            api_version=v,
            authorize_url=f"{self.url}/{v}/dialog/oauth",
            token_url=f"{self.url}/{v}/oauth/access_token",
            graph_url=f"{self.url}/{v}",
            web_base=self.url,
            batch_poll_interval=0.02,
            batch_poll_timeout=10.0,
        )

    def product_url(self, product_id: str) -> str:
        return f"{self.url}/commerce/products/{product_id}/"

    def _listing(self, product: Product) -> SandboxListing:
        return SandboxListing(
            product_id=product.product_id,
            retailer_id=product.retailer_id,
            catalog_id=product.catalog_id,
            title=product.fields.get("title", ""),
            price=product.fields.get("price", ""),
            status=listing_status(product),
            availability=product.fields.get("availability", ""),
            condition=product.fields.get("condition", ""),
            description=product.fields.get("description", ""),
            images=tuple(f"{self.url}/images/{image_id}" for image_id in product.image_ids),
            url=self.product_url(product.product_id),
        )

    @property
    def listings(self) -> list[SandboxListing]:
        """Every product ever created here, deleted ones with status "ended"."""
        return [self._listing(product) for product in self.products.values()]

    def listing(self, external_id: str) -> SandboxListing:
        return self._listing(self.products[external_id])

    def sell(self, external_id: str) -> None:
        """The item sold through the shop: out of stock, with a sold marker for inspection
        (catalogs have no "sold" availability)."""
        product = self.products[external_id]
        product.fields["availability"] = "out of stock"
        product.sold = True

    def end(self, external_id: str) -> None:
        """The seller deleted the product in Commerce Manager."""
        self.store.delete(self.products[external_id])

    def throttle_catalog_batches(self, minutes: int, *, times: int = 1) -> None:
        """The next `times` items_batch calls hit the catalog batch rate limit (code 80014)."""
        self._batches.throttles.extend([minutes] * times)
