"""The Account API: the seller's business policies (fulfillment, payment, return), read-only."""

from __future__ import annotations

from aiohttp import web

from sandbox.ebay.accounts import POLICY_LISTS
from sandbox.ebay.api import EbayApi
from sandbox.ebay.errors import EbayApiError, problem
from sandbox.ebay.marketplace import MARKETPLACE_ID
from sandbox.ebay.oauth import SCOPE_ACCOUNT
from sandbox.kit import Handler


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
