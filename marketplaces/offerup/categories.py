"""OfferUp's leaf categories by name, so the seller's category words find OfferUp's id.

The category tree changes rarely (the contract sends Cache-Control max-age of a day), so it is
fetched once per `ttl_seconds` and shared by every seller; a name that matches no leaf falls
back to "Other", which the contract guarantees.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

OTHER_CATEGORY_ID: Final = "999"  # the contract guarantees this leaf ("Other") exists


class Categories:
    """Leaf category names → ids, fetched once a day (they change rarely)."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl_seconds = ttl_seconds
        self._leaves: dict[str, str] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    @staticmethod
    def key(name: str) -> str:
        return " ".join(name.casefold().split())

    def fresh(self) -> bool:
        if self._fetched_at is None:
            return False
        return time.monotonic() - self._fetched_at < self._ttl_seconds

    async def lookup(self, name: str, fetch: Callable[[], Awaitable[dict[str, Any]]]) -> str | None:
        async with self._lock:
            if not self.fresh():
                body = await fetch()
                self._leaves = {
                    self.key(str(item["name"])): str(item["id"])
                    for item in body.get("categories", ())
                    if isinstance(item, dict) and item.get("leaf") and "id" in item
                }
                self._fetched_at = time.monotonic()
        return self._leaves.get(self.key(name))
