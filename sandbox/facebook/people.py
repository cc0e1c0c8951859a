"""Who the caller is and what they may manage: /me, removing the app (/me/permissions), the
businesses they work in and each business's catalogs."""

from __future__ import annotations

from aiohttp import web

from sandbox.facebook.errors import missing_object
from sandbox.facebook.graph import GraphApi


class PeopleApi(GraphApi):
    """/me, /me/permissions, /me/businesses and /{business}/owned_product_catalogs."""

    def routes(self, router: web.UrlDispatcher, prefix: str) -> None:
        router.add_get(f"{prefix}/me", self.me)
        router.add_delete(f"{prefix}/me/permissions", self.delete_permissions)
        router.add_get(f"{prefix}/me/businesses", self.my_businesses)
        router.add_get(f"{prefix}/{{node}}/owned_product_catalogs", self.owned_catalogs)

    async def me(self, request: web.Request) -> web.Response:
        grant = self.grant(request)
        wanted = self.fields(request, frozenset({"id", "name"}), "id,name", "User")
        person = {"id": grant.account.account_id, "name": grant.account.display_name}
        return web.json_response({name: person[name] for name in wanted})

    async def delete_permissions(self, request: web.Request) -> web.Response:
        """The person removes the app: every grant of theirs to this app dies (subcode 458)."""
        grant = self.grant(request)
        for other in self.oauth.grants(grant.account.account_id):
            if other.client_id == grant.client_id and not other.revoked:
                self.oauth.revoke(other)
        return web.json_response({"success": True})

    async def my_businesses(self, request: web.Request) -> web.Response:
        grant = self.grant(request, any_of=("business_management",))
        wanted = self.fields(request, frozenset({"id", "name"}), "id,name", "Business")
        mine = [b for b in self.store.businesses.values() if grant.account.account_id in b.members]
        rows = [{k: {"id": b.business_id, "name": b.name}[k] for k in wanted} for b in mine]
        return self.paged(request, rows)

    async def owned_catalogs(self, request: web.Request) -> web.Response:
        grant = self.grant(request, any_of=("business_management", "catalog_management"))
        business = self.store.businesses.get(request.match_info["node"])
        if business is None or grant.account.account_id not in business.members:
            raise missing_object(request.match_info["node"], "GET")
        allowed = frozenset({"id", "name", "vertical", "product_count"})
        wanted = self.fields(request, allowed, "id,name", "ProductCatalog")
        rows = []
        for catalog in self.store.catalogs.values():
            if catalog.business_id != business.business_id:
                continue
            count = sum(1 for p in self.store.products.values()
                        if p.catalog_id == catalog.catalog_id and not p.deleted)
            values = {"id": catalog.catalog_id, "name": catalog.name,
                      "vertical": catalog.vertical, "product_count": count}
            rows.append({name: values[name] for name in wanted})
        return self.paged(request, rows)
