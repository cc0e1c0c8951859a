"""eBay's categories for the seller's words, from the Taxonomy API.

Suggestions need no seller: they are asked with an application token (client credentials),
kept until shortly before it expires, and the marketplace's default category tree id is
looked up once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

from marketplaces import oauth_client
from marketplaces.base import Listing, OAuthSettings, Rejected, TokenExpired
from marketplaces.ebay.config import NAME, SCOPE_APPLICATION, TAXONOMY
from marketplaces.http import ApiClient, json_object, required

APP_TOKEN_MARGIN_SECONDS: Final = 120
QUERY_MAX: Final = 350


class Taxonomy:
    """Category suggestions for one eBay marketplace (e.g. EBAY_US)."""

    def __init__(self, api: ApiClient, oauth: OAuthSettings, marketplace_id: str) -> None:
        self._api = api
        self._oauth = oauth
        self._marketplace_id = marketplace_id
        self._app_token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._app_token_lock = asyncio.Lock()
        self._tree_id: str | None = None

    async def suggest(self, query: str) -> list[tuple[str, str]]:
        """eBay's leaf categories for the seller's words, best first, as (id, name)."""
        if not query.strip():
            return []
        try:
            return await self._suggest(query.strip()[:QUERY_MAX])
        except TokenExpired:
            self._app_token = None  # eBay dropped the application token early: one more try
            return await self._suggest(query.strip()[:QUERY_MAX])

    async def category_for(self, listing: Listing) -> str:
        """eBay's first suggestion for the seller's category words, else for the title."""
        for query in (listing.category, listing.title):
            if query and query.strip():
                suggestions = await self.suggest(query)
                if suggestions:
                    return suggestions[0][0]
        words = listing.category or listing.title
        raise Rejected(
            NAME,
            f"eBay couldn't find a category for “{words[:60]}”. Choose an eBay category for this "
            "item and try again.",
            field="category",
        )

    async def _suggest(self, query: str) -> list[tuple[str, str]]:
        token = await self._application_token()
        tree_id = await self._default_tree_id(token)
        response = await self._api.call(
            "GET", f"{TAXONOMY}/category_tree/{tree_id}/get_category_suggestions", token=token,
            ok=(200, 204), params={"q": query},
        )
        return [] if response.status_code == 204 else _suggestions(json_object(NAME, response))

    async def _default_tree_id(self, token: str) -> str:
        if self._tree_id is None:
            body = await self._api.json(
                "GET", f"{TAXONOMY}/get_default_category_tree_id", token=token,
                params={"marketplace_id": self._marketplace_id},
            )
            self._tree_id = required(NAME, body, "categoryTreeId")
        return self._tree_id

    async def _application_token(self) -> str:
        """An application token (client credentials), kept until shortly before it expires."""
        async with self._app_token_lock:
            if self._app_token and self._app_token[1] > time.monotonic():
                return self._app_token[0]
            payload = await oauth_client.client_credentials(
                NAME, self._oauth, (SCOPE_APPLICATION,)
            )
            lifetime = float(payload.get("expires_in") or 0) - APP_TOKEN_MARGIN_SECONDS
            token = str(payload["access_token"])
            self._app_token = (token, time.monotonic() + max(0.0, lifetime))
            return token


def _suggestions(body: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for suggestion in body.get("categorySuggestions") or []:
        category = suggestion.get("category") or {}
        if category.get("categoryId"):
            found.append((str(category["categoryId"]), str(category.get("categoryName", ""))))
    return found
