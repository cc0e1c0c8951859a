"""The Identity API: who the signed-in seller is."""

from __future__ import annotations

from aiohttp import web

from sandbox.ebay.api import EbayApi
from sandbox.ebay.marketplace import MARKETPLACE_ID
from sandbox.ebay.oauth import SCOPE_IDENTITY


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
