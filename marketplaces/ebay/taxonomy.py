"""eBay's categories and what each asks of a listing, from the Taxonomy and Metadata APIs.

None of this needs a seller: it is asked with the application token. What a category takes
(its item specifics, its conditions) changes rarely and is asked for every listing in it, so
each answer is kept for a day, per category.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, Generic, TypeVar

from marketplaces.base import Listing, Rejected, TokenExpired
from marketplaces.capabilities import AspectSpec, CategoryChoice, ConditionChoice
from marketplaces.ebay.app_token import ApplicationToken
from marketplaces.ebay.config import METADATA, NAME, TAXONOMY
from marketplaces.ebay.listing import ASPECT_VALUE_MAX, condition_choice
from marketplaces.http import ApiClient, json_object, required

QUERY_MAX: Final = 350
CACHE_SECONDS: Final = 24 * 3600  # "refreshed daily"
T = TypeVar("T")


class DailyCache(Generic[T]):
    """Answers by key, each kept for a day; one fetch per key at a time."""

    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self._seconds = seconds
        self._answers: dict[str, tuple[float, T]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str, fetch: Callable[[], Awaitable[T]]) -> T:
        async with self._locks.setdefault(key, asyncio.Lock()):
            kept = self._answers.get(key)
            if kept is not None and kept[0] > time.monotonic():
                return kept[1]
            answer = await fetch()
            self._answers[key] = (time.monotonic() + self._seconds, answer)
            return answer


class Taxonomy:
    """Categories, their item specifics and their conditions, for one eBay marketplace."""

    def __init__(self, api: ApiClient, app_token: ApplicationToken, marketplace_id: str) -> None:
        self._api = api
        self._app_token = app_token
        self._marketplace_id = marketplace_id
        self._tree_id: str | None = None
        self._aspects: DailyCache[list[AspectSpec]] = DailyCache()
        self._conditions: DailyCache[list[ConditionChoice]] = DailyCache()

    async def suggest(self, query: str) -> list[CategoryChoice]:
        """eBay's leaf categories for the seller's words, best first, with their paths."""
        if not query.strip():
            return []
        body = await self._app_call(lambda token: self._suggestions(token, query))
        return _suggestions(body)

    async def category_for(self, listing: Listing) -> str:
        """eBay's first suggestion for the seller's category words, else for the title."""
        for query in (listing.category, listing.title):
            if query and query.strip():
                suggestions = await self.suggest(query)
                if suggestions:
                    return suggestions[0].category_id
        words = listing.category or listing.title
        raise Rejected(
            NAME,
            f"eBay couldn't find a category for “{words[:60]}”. Choose an eBay category for this "
            "item and try again.",
            field="category",
        )

    async def aspects(self, category_id: str) -> list[AspectSpec]:
        """The category's item specifics worth asking: required ones first, then the ones eBay
        recommends (its optional ones, often dozens, are left out)."""

        async def fetch() -> list[AspectSpec]:
            body = await self._app_call(lambda token: self._aspects_call(token, category_id))
            return _aspect_specs(body)

        return await self._aspects.get(category_id, fetch)

    async def conditions(self, category_id: str) -> list[ConditionChoice]:
        """The conditions eBay allows in the category, in eBay's words and order."""

        async def fetch() -> list[ConditionChoice]:
            body = await self._app_call(lambda token: self._api.json(
                "GET", f"{METADATA}/marketplace/{self._marketplace_id}/get_item_condition_policies",
                token=token, params={"filter": f"categoryIds:{{{category_id}}}"},
            ))
            return _conditions(body, category_id)

        return await self._conditions.get(category_id, fetch)

    async def _suggestions(self, token: str, query: str) -> dict[str, Any]:
        tree_id = await self._default_tree_id(token)
        response = await self._api.call(
            "GET", f"{TAXONOMY}/category_tree/{tree_id}/get_category_suggestions", token=token,
            ok=(200, 204), params={"q": query.strip()[:QUERY_MAX]},
        )
        return {} if response.status_code == 204 else json_object(NAME, response)

    async def _aspects_call(self, token: str, category_id: str) -> dict[str, Any]:
        tree_id = await self._default_tree_id(token)
        return await self._api.json(
            "GET", f"{TAXONOMY}/category_tree/{tree_id}/get_item_aspects_for_category",
            token=token, params={"category_id": category_id},
        )

    async def _default_tree_id(self, token: str) -> str:
        if self._tree_id is None:
            body = await self._api.json(
                "GET", f"{TAXONOMY}/get_default_category_tree_id", token=token,
                params={"marketplace_id": self._marketplace_id},
            )
            self._tree_id = required(NAME, body, "categoryTreeId")
        return self._tree_id

    async def _app_call(self, call: Callable[[str], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """A call with the application token; one more try if eBay dropped it early."""
        try:
            return await call(await self._app_token.get())
        except TokenExpired:
            self._app_token.forget()
            return await call(await self._app_token.get())


def _suggestions(body: dict[str, Any]) -> list[CategoryChoice]:
    found = []
    for suggestion in body.get("categorySuggestions") or []:
        category = suggestion.get("category") or {}
        if not category.get("categoryId"):
            continue
        ancestors = sorted(  # the root (level 0) is no part of a path a seller reads
            (a for a in suggestion.get("categoryTreeNodeAncestors") or []
             if isinstance(a, dict) and int(a.get("categoryTreeNodeLevel") or 0) > 0),
            key=lambda a: int(a.get("categoryTreeNodeLevel") or 0),
        )
        name = str(category.get("categoryName", ""))
        path = (*(str(a.get("categoryName", "")) for a in ancestors), name)
        found.append(CategoryChoice(str(category["categoryId"]), name, path))
    return found


def _aspect_specs(body: dict[str, Any]) -> list[AspectSpec]:
    specs = []
    for aspect in body.get("aspects") or []:
        constraint = aspect.get("aspectConstraint") or {}
        name = str(aspect.get("localizedAspectName") or "")
        required = bool(constraint.get("aspectRequired"))
        if not name or not (required or constraint.get("aspectUsage") == "RECOMMENDED"):
            continue
        values = tuple(
            str(value["localizedValue"]) for value in aspect.get("aspectValues") or []
            if isinstance(value, dict) and value.get("localizedValue")
        )
        specs.append(AspectSpec(
            name=name,
            required=required,
            free_text=constraint.get("aspectMode", "FREE_TEXT") != "SELECTION_ONLY",
            multiple=constraint.get("itemToAspectCardinality") == "MULTI",
            values=values,
            max_length=int(constraint.get("aspectMaxLength") or ASPECT_VALUE_MAX),
        ))
    recommended = [s for s in specs if not s.required]
    return [s for s in specs if s.required] + recommended


def _conditions(body: dict[str, Any], category_id: str) -> list[ConditionChoice]:
    for policy in body.get("itemConditionPolicies") or []:
        if str(policy.get("categoryId")) != category_id:
            continue
        choices = [
            condition_choice(str(c.get("conditionId")), str(c.get("conditionDescription", "")))
            for c in policy.get("itemConditions") or [] if isinstance(c, dict)
            and c.get("usage") != "RESTRICTED"  # refurbished grades need eBay's approval
        ]
        return [choice for choice in choices if choice is not None]
    return []
