"""Products: a catalog's product list (with `filter`), the product node (read, delete) and the
public shop page a buyer opens."""

from __future__ import annotations

import json
from typing import Any, Final

from aiohttp import web

from sandbox.facebook.catalog import Product, listing_status
from sandbox.facebook.errors import GraphError, missing_object
from sandbox.facebook.graph import GraphApi
from sandbox.facebook.items import price_text
from sandbox.kit import Grant, listing_page

PRODUCT_FIELDS: Final = frozenset(
    {"id", "retailer_id", "name", "description", "price", "currency", "availability", "condition",
     "url", "image_url", "additional_image_urls", "brand", "inventory", "product_type",
     "product_catalog", "visibility", "review_status", "image_fetch_status"}
)


class ProductsApi(GraphApi):
    """/{catalog}/products, GET and DELETE /{product}, and /commerce/products/{id}/."""

    def routes(self, router: web.UrlDispatcher, prefix: str) -> None:
        router.add_get(f"{prefix}/{{node}}/products", self.catalog_products)
        router.add_get(f"{prefix}/{{node}}", self.get_product)
        router.add_delete(f"{prefix}/{{node}}", self.delete_product)
        router.add_get("/commerce/products/{product_id}/", self.product_page)

    def values(self, product: Product) -> dict[str, Any]:
        """Every field a product node has, as Graph reads it back."""
        fields = product.fields
        price = fields.get("price", "0.00 USD")
        images = [f"{self.base_url()}/images/{image_id}" for image_id in product.image_ids]
        catalog = self.store.catalogs[product.catalog_id]
        return {
            "id": product.product_id,
            "retailer_id": product.retailer_id,
            "name": fields.get("title", ""),
            "description": fields.get("description", ""),
            "price": price_text(price),
            "currency": price.split(" ")[-1],
            "availability": fields.get("availability", ""),
            "condition": fields.get("condition", ""),
            "url": fields.get("link", ""),
            "image_url": images[0] if images else "",
            "additional_image_urls": images[1:],
            "brand": fields.get("brand", ""),
            "inventory": fields.get("inventory", 0),
            "product_type": fields.get("product_type", ""),
            "product_catalog": {"id": catalog.catalog_id, "name": catalog.name},
            "visibility": "published",
            "review_status": "approved",
            "image_fetch_status": "FETCHED",
        }

    async def catalog_products(self, request: web.Request) -> web.Response:
        grant = self.grant(request, any_of=("catalog_management",))
        catalog = self.catalog(grant, request.match_info["node"], "GET")
        wanted = self.fields(request, PRODUCT_FIELDS, "id", "ProductItem")
        keep = self._product_filter(request.query.get("filter"))
        rows = []
        for product in self.store.products.values():
            if product.catalog_id == catalog.catalog_id and not product.deleted:
                values = self.values(product)
                if keep(values):
                    rows.append({name: values[name] for name in wanted})
        return self.paged(request, rows)

    @staticmethod
    def _product_filter(raw: str | None) -> Any:
        """The `filter` param: {"retailer_id"|"availability": {"eq": v} or {"is_any": [...]}}."""
        if raw is None:
            return lambda values: True
        invalid = GraphError(400, 100, "(#100) Param filter must be a valid JSON filter")
        try:
            rule = json.loads(raw)
        except ValueError:
            raise invalid from None
        if not isinstance(rule, dict) or len(rule) != 1:
            raise invalid
        (name, condition), = rule.items()
        if name not in ("retailer_id", "availability") or not isinstance(condition, dict):
            raise invalid
        if set(condition) == {"eq"}:
            return lambda values: values[name] == condition["eq"]
        if set(condition) == {"is_any"} and isinstance(condition["is_any"], list):
            return lambda values: values[name] in condition["is_any"]
        raise invalid

    def _visible_product(self, grant: Grant, product_id: str, method: str) -> Product:
        product = self.store.visible_product(grant.account.account_id, product_id)
        if product is None:
            raise missing_object(product_id, method)
        return product

    async def get_product(self, request: web.Request) -> web.Response:
        grant = self.grant(request, any_of=("catalog_management",))
        product = self._visible_product(grant, request.match_info["node"], "GET")
        wanted = self.fields(request, PRODUCT_FIELDS, "id", "ProductItem")
        values = self.values(product)
        return web.json_response({name: values[name] for name in wanted})

    async def delete_product(self, request: web.Request) -> web.Response:
        grant = self.grant(request, any_of=("catalog_management",))
        self.store.delete(self._visible_product(grant, request.match_info["node"], "DELETE"))
        return web.json_response({"success": True})

    async def product_page(self, request: web.Request) -> web.Response:
        """The shop page a buyer opens at the URL the adapter returns."""
        product = self.store.products.get(request.match_info["product_id"])
        if product is None or product.deleted:
            return web.Response(text="This content isn't available right now", status=404)
        values = self.values(product)
        shown = {"live": "In stock", "sold": "Sold"}.get(listing_status(product), "Out of stock")
        return listing_page(
            marketplace="Facebook",
            title=values["name"],
            price=values["price"],
            status=shown,
            description=values["description"],
            image_urls=[values["image_url"], *values["additional_image_urls"]],
        )
