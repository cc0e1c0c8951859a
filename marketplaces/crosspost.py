"""The cross-posting engine: every chosen marketplace at once, each result stored as it lands.

It knows nothing of Telegram: progress goes to the callback it is handed. Each cross-post is
marked in_flight before its publish and published/failed after, so a crash leaves a row the
next start resumes; publishing is idempotent on the listing's sku, so a resumed row never makes
a second listing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from marketplaces.base import (
    Condition,
    Listing,
    Location,
    MarketplaceError,
    NeedsReconnect,
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
)
from marketplaces.connections import ConnectionService
from storage.listings import CrossPost, ListingRepository, StoredListing

log = logging.getLogger(__name__)

Progress = Callable[[list[CrossPost]], Awaitable[None]]


def as_listing(stored: StoredListing, photos: tuple[bytes, ...]) -> Listing:
    location = None
    if stored.postal_code or stored.latitude is not None:
        location = Location(
            postal_code=stored.postal_code, latitude=stored.latitude, longitude=stored.longitude
        )
    return Listing(
        sku=stored.sku,
        title=stored.title,
        description=stored.description,
        price_cents=stored.price_cents,
        currency=stored.currency,
        condition=Condition(stored.condition),
        photos=photos,
        category=stored.category,
        category_ids=stored.category_ids,
        location=location,
    )


class CrossPoster:
    def __init__(self, connections: ConnectionService, listings: ListingRepository) -> None:
        self._connections = connections
        self._listings = listings

    async def publish(
        self, listing_id: int, on_progress: Progress | None = None
    ) -> list[CrossPost]:
        """Publish every unfinished cross-post of the listing concurrently; report each result
        as it lands; return the final state of all of them."""
        stored = await self._listings.get(listing_id)
        if stored is None:
            return []
        listing = as_listing(stored, await self._listings.photo_bytes(stored))
        rows = await self._listings.cross_posts(listing_id)
        todo = [row.marketplace for row in rows if row.state in ("pending", "in_flight", "failed")]
        report_lock = asyncio.Lock()

        async def one(marketplace: str) -> None:
            await self._publish_one(stored.telegram_id, listing_id, marketplace, listing)
            if on_progress is not None:
                async with report_lock:  # progress reports never interleave
                    await on_progress(await self._listings.cross_posts(listing_id))

        await asyncio.gather(*(one(name) for name in todo))
        return await self._listings.cross_posts(listing_id)

    async def _publish_one(
        self, telegram_id: int, listing_id: int, marketplace: str, listing: Listing
    ) -> None:
        await self._listings.mark(listing_id, marketplace, "in_flight", attempted=True)
        try:
            published = await self._connections.call(
                telegram_id, marketplace, lambda adapter, tokens: adapter.publish(tokens, listing)
            )
        except Rejected as exc:
            await self._listings.mark(listing_id, marketplace, "failed", error=exc.message,
                                      error_field=exc.field)
        except NeedsReconnect:
            name = self._display(marketplace)
            await self._listings.mark(
                listing_id, marketplace, "failed", error_field="account",
                error=f"{name} needs to be connected again (/connect).",
            )
        except (RateLimited, TemporarilyUnavailable) as exc:
            log.warning("listing %s on %s: %s", listing_id, marketplace, exc)
            await self._listings.mark(
                listing_id, marketplace, "failed", retryable=True,
                error=f"{self._display(marketplace)} is busy right now; try again in a moment.",
            )
        except MarketplaceError as exc:
            log.error("listing %s on %s failed: %s", listing_id, marketplace, exc)
            await self._listings.mark(
                listing_id, marketplace, "failed", retryable=True,
                error=f"{self._display(marketplace)} didn't take the listing; try again.",
            )
        else:
            await self._listings.mark(
                listing_id, marketplace, "published",
                external_id=published.external_id, url=published.url,
            )

    def _display(self, marketplace: str) -> str:
        adapter = self._connections.marketplaces.get(marketplace)
        return adapter.display_name if adapter else marketplace
