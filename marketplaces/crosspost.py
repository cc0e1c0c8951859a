"""The cross-posting engine: every chosen marketplace at once, each result stored as it lands.

It knows nothing of Telegram: progress goes to the callback it is handed. Each cross-post is
marked in_flight before its publish and published/failed after, so a crash leaves a row the
next start resumes; publishing is idempotent on the listing's sku, so a resumed row never makes
a second listing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

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

MAX_ATTEMPTS = 6  # tries per cross-post before the seller gets a Retry button
RETRY_BASE_SECONDS = 30.0  # 30 s, 1, 2, 4, 8 min (±20%): six tries in about 16 minutes
RETRY_CAP_SECONDS = 600.0


def retry_delay(
    attempts: int, retry_after: float | None = None, *, base: float = RETRY_BASE_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with jitter, never sooner than the marketplace asked."""
    jitter = (rng or random).uniform(0.8, 1.2)
    backoff = min(RETRY_CAP_SECONDS, base * 2 ** max(0, attempts - 1)) * jitter
    return max(backoff, retry_after or 0.0)


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


def _due(row: CrossPost, now: datetime) -> bool:
    if row.state in ("pending", "in_flight"):
        return True
    return (
        row.state == "failed" and row.retryable
        and (row.next_attempt_at is None or row.next_attempt_at <= now)
    )


class CrossPoster:
    def __init__(
        self,
        connections: ConnectionService,
        listings: ListingRepository,
        *,
        retry_base_seconds: float = RETRY_BASE_SECONDS,
    ) -> None:
        self._connections = connections
        self._listings = listings
        self._retry_base = retry_base_seconds
        self._running: set[int] = set()

    async def publish(
        self, listing_id: int, on_progress: Progress | None = None
    ) -> list[CrossPost]:
        """Publish every unfinished cross-post of the listing concurrently; report each result
        as it lands; return the final state of all of them."""
        if listing_id in self._running:  # a retry job and a resume may meet: one run at a time
            return await self._listings.cross_posts(listing_id)
        self._running.add(listing_id)
        try:
            return await self._publish(listing_id, on_progress)
        finally:
            self._running.discard(listing_id)

    async def _publish(self, listing_id: int, on_progress: Progress | None) -> list[CrossPost]:
        stored = await self._listings.get(listing_id)
        if stored is None:
            return []
        now = datetime.now(UTC)
        rows = await self._listings.cross_posts(listing_id)
        todo = [row for row in rows if _due(row, now)]
        if not todo:
            return rows
        listing = as_listing(stored, await self._listings.photo_bytes(stored))
        report_lock = asyncio.Lock()

        async def one(row: CrossPost) -> None:
            await self._publish_one(stored.telegram_id, listing_id, row, listing)
            if on_progress is not None:
                async with report_lock:  # progress reports never interleave
                    await on_progress(await self._listings.cross_posts(listing_id))

        await asyncio.gather(*(one(name) for name in todo))
        return await self._listings.cross_posts(listing_id)

    async def _publish_one(
        self, telegram_id: int, listing_id: int, row: CrossPost, listing: Listing
    ) -> None:
        marketplace = row.marketplace
        attempts = row.attempts + 1
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
            log.warning("listing %s on %s, try %d: %s", listing_id, marketplace, attempts, exc)
            await self._transient(listing_id, marketplace, attempts,
                                  getattr(exc, "retry_after", None))
        except MarketplaceError as exc:
            log.error("listing %s on %s, try %d: %s", listing_id, marketplace, attempts, exc)
            await self._transient(listing_id, marketplace, attempts, None)
        else:
            await self._listings.mark(
                listing_id, marketplace, "published",
                external_id=published.external_id, url=published.url,
            )

    async def _transient(
        self, listing_id: int, marketplace: str, attempts: int, retry_after: float | None
    ) -> None:
        """A fault that may pass: try again later, within the budget; then let the seller."""
        name = self._display(marketplace)
        if attempts >= MAX_ATTEMPTS:
            await self._listings.mark(
                listing_id, marketplace, "failed", retryable=False,
                error=f"{name} isn't answering — I tried {attempts} times. Tap Retry later.",
            )
            return
        delay = retry_delay(attempts, retry_after, base=self._retry_base)
        await self._listings.mark(
            listing_id, marketplace, "failed", retryable=True,
            error=f"{name} is busy; I'll try again in {_human(delay)}.",
            next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
        )

    def _display(self, marketplace: str) -> str:
        adapter = self._connections.marketplaces.get(marketplace)
        return adapter.display_name if adapter else marketplace


def _human(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"
