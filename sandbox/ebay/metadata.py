"""The Metadata API's getItemConditionPolicies: which item conditions each leaf category allows.

As sell_metadata_v1_oas3.json documents it: `filter=categoryIds:{id1|id2}` (up to 50 ids; a
parent id stands for every leaf below it), an application or a seller token (api_scope or
sell.inventory), 400 + 46001 for an unknown marketplace, and, inside a 200, warnings 46002 (the
filter is malformed), 46003 (a category id is unknown) and 46004 (more than 50 ids: the first 50
count). With no filter the whole tree's policies come back.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from sandbox.ebay.api import EbayApi
from sandbox.ebay.categories import CATEGORY_TREE_ID, ROOT_ID
from sandbox.ebay.conditions import policy_json
from sandbox.ebay.errors import EbayApiError, problem
from sandbox.ebay.marketplace import MARKETPLACE_ID
from sandbox.ebay.oauth import SCOPE_APPLICATION, SCOPE_INVENTORY

METADATA = "/sell/metadata/v1"
FILTER = re.compile(r"categoryIds:\{([^{}]*)\}")
CATEGORY_IDS_MAX = 50


def _warning(error_id: int, message: str, **parameters: str) -> dict[str, Any]:
    return problem(error_id, message, domain="API_METADATA", parameters=parameters or None)


class MetadataApi(EbayApi):
    """getItemConditionPolicies, for an application token or a seller's."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{METADATA}/marketplace/{{marketplace_id}}/get_item_condition_policies",
                       self.item_condition_policies)

    async def item_condition_policies(self, request: web.Request) -> web.Response:
        self.grant_any(request, (SCOPE_APPLICATION, SCOPE_INVENTORY))
        marketplace = request.match_info["marketplace_id"]
        if marketplace != MARKETPLACE_ID:
            raise EbayApiError(400, problem(46001, "The specified marketplace ID was not found.",
                                            domain="API_METADATA",
                                            parameters={"marketplace_id": marketplace}))
        warnings: list[dict[str, Any]] = []
        wanted = self._wanted(request.query.get("filter"), warnings)
        leaves: list[str] = []
        for category_id in wanted:
            if category_id != ROOT_ID and category_id not in self.state.tree.nodes:
                warnings.append(_warning(46003, "The specified categoryId was not found for the "
                                         "marketplace.", categoryId=category_id))
                continue
            leaves += [leaf for leaf in self.state.tree.leaves_under(category_id)
                       if leaf not in leaves]
        body: dict[str, Any] = {
            "itemConditionPolicies": [policy_json(leaf, CATEGORY_TREE_ID) for leaf in leaves],
        }
        if warnings:
            body["warnings"] = warnings
        return web.json_response(body)

    @staticmethod
    def _wanted(text: str | None, warnings: list[dict[str, Any]]) -> list[str]:
        if text is None:
            return [ROOT_ID]
        match = FILTER.fullmatch(text.strip())
        ids = [i.strip() for i in match.group(1).split("|") if i.strip()] if match else []
        if not ids:
            warnings.append(_warning(46002, "The filter value is invalid. Sample supported "
                                     "values: filter=categoryIds:{catId1|catId2|catId3}."))
            return [ROOT_ID]
        if len(ids) > CATEGORY_IDS_MAX:
            warnings.append(_warning(46004, "Only 50 Category IDs specified in the filter are "
                                     "considered."))
        return ids[:CATEGORY_IDS_MAX]
