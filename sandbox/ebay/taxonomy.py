"""The Taxonomy API: the default category tree, category suggestions and each leaf's item
aspects, for an application token (client credentials, the public api_scope).

eBay publishes no OpenAPI document of this API in contracts/; it is modelled from its reference
pages (developer.ebay.com/api-docs/commerce/taxonomy/resources/category_tree/methods/...), whose
error tables give the ids used here: 62002 "Missing marketplace ID.", 62003 "The specified
marketplace ID was not found.", 62004 "The specified category tree ID was not found.", 62005 "The
specified category ID does not belong to specified category tree.", 62006 "Missing category
ID.", 62007 "Missing keyword 'q'. …", 62008 "The specified category ID is the root for the
category tree.", 62009 "The specified category ID must be a leaf category." (all 400,
domain API_TAXONOMY). getCategorySuggestions answers 204 No Content when nothing matches.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.ebay.api import EbayApi
from sandbox.ebay.aspects import aspects_for
from sandbox.ebay.categories import CATEGORY_TREE_ID, CATEGORY_TREE_VERSION, ROOT_ID, TAXONOMY
from sandbox.ebay.errors import EbayApiError, problem
from sandbox.ebay.marketplace import MARKETPLACE_ID
from sandbox.ebay.oauth import SCOPE_APPLICATION


def taxonomy_error(error_id: int, message: str, **parameters: str) -> EbayApiError:
    return EbayApiError(400, problem(error_id, message, domain="API_TAXONOMY",
                                     parameters=parameters or None))


class TaxonomyApi(EbayApi):
    """The default tree, suggestions and aspects; an application token is required."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{TAXONOMY}/get_default_category_tree_id", self.default_tree)
        router.add_get(f"{TAXONOMY}/category_tree/{{tree_id}}/get_category_suggestions",
                       self.suggestions)
        router.add_get(f"{TAXONOMY}/category_tree/{{tree_id}}/get_item_aspects_for_category",
                       self.item_aspects)

    async def default_tree(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        marketplace = request.query.get("marketplace_id", "")
        if not marketplace:
            raise taxonomy_error(62002, "Missing marketplace ID.")
        if marketplace != MARKETPLACE_ID:
            raise taxonomy_error(62003, "The specified marketplace ID was not found.",
                                 marketplace_id=marketplace)
        return web.json_response(
            {"categoryTreeId": CATEGORY_TREE_ID, "categoryTreeVersion": CATEGORY_TREE_VERSION}
        )

    def _tree(self, request: web.Request) -> None:
        if request.match_info["tree_id"] != CATEGORY_TREE_ID:
            raise taxonomy_error(62004, "The specified category tree ID was not found.",
                                 category_tree_id=request.match_info["tree_id"])

    async def suggestions(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        self._tree(request)
        query = request.query.get("q", "").strip()
        if not query:
            raise taxonomy_error(62007, "Missing keyword 'q'. Please specify a valid set of "
                                 "keywords that best describes your item.")
        suggestions = self.state.tree.suggest(query)
        if not suggestions:
            return web.Response(status=204)
        return web.json_response({
            "categorySuggestions": suggestions,
            "categoryTreeId": CATEGORY_TREE_ID,
            "categoryTreeVersion": CATEGORY_TREE_VERSION,
        })

    async def item_aspects(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        self._tree(request)
        category_id = request.query.get("category_id", "").strip()
        if not category_id:
            raise taxonomy_error(62006, "Missing category ID.")
        if category_id == ROOT_ID:
            raise taxonomy_error(62008, "The specified category ID is the root for the category "
                                 "tree.", category_id=category_id)
        if category_id not in self.state.tree.nodes:
            raise taxonomy_error(62005, "The specified category ID does not belong to specified "
                                 "category tree.", category_id=category_id)
        if not self.state.tree.is_leaf(category_id):
            raise taxonomy_error(62009, "The specified category ID must be a leaf category.",
                                 category_id=category_id)
        return web.json_response({"aspects": [a.json() for a in aspects_for(category_id)]})
