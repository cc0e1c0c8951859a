"""The Taxonomy API: the default category tree and category suggestions, for an application
token."""

from __future__ import annotations

from aiohttp import web

from sandbox.ebay.api import EbayApi
from sandbox.ebay.categories import CATEGORY_TREE_ID, CATEGORY_TREE_VERSION, TAXONOMY
from sandbox.ebay.errors import EbayApiError, invalid_request, problem
from sandbox.ebay.marketplace import MARKETPLACE_ID
from sandbox.ebay.oauth import SCOPE_APPLICATION


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
