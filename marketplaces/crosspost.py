"""The cross-posting engine: every chosen marketplace at once, each result stored as it lands.

It knows nothing of Telegram: progress goes to the callback it is handed, and what went wrong
with a copy is stored as a `Problem` (with the field and the marketplace's own reason where
there is one) for the bot to put into words. Each cross-post is marked in_flight before its
publish and published/failed after, so a crash leaves a row the next start resumes; publishing
is idempotent on the listing's sku, so a resumed row never makes a second listing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from marketplaces.base import (
    Condition,
    Listing,
    ListingStatus,
    Location,
    Marketplace,
    MarketplaceError,
    NeedsReconnect,
    Package,
    Published,
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
    Tokens,
)
from marketplaces.capabilities import PriceUpdates
from marketplaces.connections import ConnectionService
from storage.assisted import AssistedRepository
from storage.listings import CrossPost, ListingRepository, StoredListing

log = logging.getLogger(__name__)

Progress = Callable[[list[CrossPost]], Awaitable[None]]

MAX_ATTEMPTS = 6  # tries per cross-post before the seller gets a Retry button


class Problem(StrEnum):
    """What went wrong with one copy, as stored with it (`CrossPost.error_kind`)."""

    REFUSED = "refused"  # the marketplace refused it: `error` is its reason, `error_fields` what
    RECONNECT = "reconnect"  # the connection is gone: the seller must connect again
    BUSY = "busy"  # a fault that may pass: tried again at `next_attempt_at`
    GAVE_UP = "gave_up"  # still failing after MAX_ATTEMPTS: the seller decides when to retry
    NOT_ENDED = "not_ended"  # a live copy that could not be ended yet
    PRICE_NOT_TAKEN = "price_not_taken"  # a live copy still at its old price
    CRASHED = "crashed"  # posting it stopped the bot twice: set aside until the seller retries
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


def as_listing(
    stored: StoredListing, photos: tuple[bytes, ...], fixes: Mapping[str, Any] | None = None
) -> Listing:
    """The listing as one marketplace gets it: the seller's values, with `fixes` (what the
    seller fixed for that marketplace alone, `CrossPost.fixes`) laid over them."""
    fixes = fixes or {}
    postal_code = fixes.get("postal_code", stored.postal_code)
    latitude, longitude = stored.latitude, stored.longitude
    if "postal_code" in fixes:  # a ZIP given for that marketplace replaces the shared place
        latitude = longitude = None
    location = None
    if postal_code or latitude is not None:
        location = Location(postal_code=postal_code, latitude=latitude, longitude=longitude)
    # New category words: the ids chosen for the old ones no longer apply, so that
    # marketplace finds its own category (and condition) for the words again.
    recategorised = "category" in fixes
    return Listing(
        sku=stored.sku,
        title=fixes.get("title", stored.title),
        description=fixes.get("description", stored.description),
        price_cents=fixes.get("price_cents", stored.price_cents),
        currency=stored.currency,
        condition=Condition(stored.condition),
        photos=photos,
        category=fixes.get("category", stored.category),
        category_ids={} if recategorised else stored.category_ids,
        location=location,
        condition_ids={} if recategorised else stored.condition_ids,
        condition_description=stored.condition_note,
        aspects={name: tuple(values)
                 for name, values in {**stored.aspects, **fixes.get("aspects", {})}.items()},
        package=Package(**stored.package) if stored.package else None,
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
        photos = await self._listings.photo_bytes(stored)
        report_lock = asyncio.Lock()

        async def one(row: CrossPost) -> None:
            listing = as_listing(stored, photos, row.fixes)
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
        # An attempt counts once it ends: one cut short by a crash is resumed, not charged to
        # the budget, which is for the marketplace's faults.
        attempts = row.attempts + 1
        await self._listings.mark(listing_id, marketplace, "in_flight")
        try:
            published = await self._connections.call(
                telegram_id, marketplace, lambda adapter, tokens: adapter.publish(tokens, listing)
            )
        except Rejected as exc:
            await self._listings.mark(listing_id, marketplace, "failed", attempted=True,
                                      error_kind=Problem.REFUSED, error=exc.message,
                                      error_fields=exc.fields)
        except NeedsReconnect:
            await self._listings.mark(listing_id, marketplace, "failed", attempted=True,
                                      error_kind=Problem.RECONNECT, error_fields=("account",))
        except (RateLimited, TemporarilyUnavailable) as exc:
            log.warning("listing %s on %s, try %d: %s", listing_id, marketplace, attempts, exc)
            await self._transient(listing_id, marketplace, attempts,
                                  getattr(exc, "retry_after", None))
        except MarketplaceError as exc:
            log.error("listing %s on %s, try %d: %s", listing_id, marketplace, attempts, exc)
            await self._transient(listing_id, marketplace, attempts, None)
        except Exception:  # a bug of ours: keep the row moving, within the budget, and say so
            log.exception("listing %s on %s, try %d failed unexpectedly", listing_id,
                          marketplace, attempts)
            await self._transient(listing_id, marketplace, attempts, None)
        else:
            await self._listings.mark(
                listing_id, marketplace, "published", attempted=True,
                external_id=published.external_id, url=published.url,
            )

    async def _transient(
        self, listing_id: int, marketplace: str, attempts: int, retry_after: float | None
    ) -> None:
        """A fault that may pass: try again later, within the budget; then let the seller."""
        if attempts >= MAX_ATTEMPTS:
            await self._listings.mark(listing_id, marketplace, "failed", retryable=False,
                                      attempted=True, error_kind=Problem.GAVE_UP)
            return
        delay = retry_delay(attempts, retry_after, base=self._retry_base)
        await self._listings.mark(
            listing_id, marketplace, "failed", retryable=True, attempted=True,
            error_kind=Problem.BUSY,
            next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
        )


# ── Keeping the copies in step ────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class StatusChange:
    """What the status check found: a copy sold or ended on its marketplace, and what we
    withdrew elsewhere because of it."""

    listing_id: int
    telegram_id: int
    title: str
    marketplace: str
    sold: bool
    withdrawn: tuple[str, ...]
    not_withdrawn: tuple[str, ...]

    @classmethod
    def of(
        cls, stored: StoredListing, marketplace: str, *, sold: bool, rows: list[CrossPost]
    ) -> StatusChange:
        """The change once the other copies were withdrawn (`rows`: the copies after)."""
        return cls(
            listing_id=stored.id,
            telegram_id=stored.telegram_id,
            title=stored.title,
            marketplace=marketplace,
            sold=sold,
            withdrawn=tuple(r.marketplace for r in rows if r.state == "withdrawn"),
            not_withdrawn=tuple(r.marketplace for r in rows if r.state == "published"),
        )


class ListingManager:
    """Withdraw, mark sold, change price, and the status check that ends the other copies
    when one sells: the guard against selling one item twice."""

    def __init__(
        self, connections: ConnectionService, listings: ListingRepository,
        assisted: AssistedRepository,
    ) -> None:
        self._connections = connections
        self._listings = listings
        self._assisted = assisted  # the copies the seller posted by hand get reminders

    async def _each_published(
        self,
        listing_id: int,
        action: Callable[[CrossPost], Awaitable[None]],
        on_progress: Progress | None,
        *,
        skip: str | None = None,
    ) -> list[CrossPost]:
        rows = [r for r in await self._listings.cross_posts(listing_id)
                if r.state == "published" and r.marketplace != skip]
        lock = asyncio.Lock()

        async def one(row: CrossPost) -> None:
            await action(row)
            if on_progress is not None:
                async with lock:
                    await on_progress(await self._listings.cross_posts(listing_id))

        await asyncio.gather(*(one(row) for row in rows))
        return await self._listings.cross_posts(listing_id)

    async def withdraw_all(
        self, listing_id: int, on_progress: Progress | None = None, *, skip: str | None = None,
        listing_state: str = "withdrawn", reason: str = "withdrawn",
    ) -> list[CrossPost]:
        """End every live copy (but `skip`'s); the listing becomes `listing_state`. Each copy
        the seller posted by hand gets a reminder to end it there (`reason`: why, with `skip`
        as where it sold or ended)."""
        stored = await self._listings.get(listing_id)
        if stored is None:
            return []

        async def withdraw(row: CrossPost) -> None:
            external_id = row.external_id or ""
            try:
                await self._connections.call(
                    stored.telegram_id, row.marketplace,
                    lambda adapter, tokens: adapter.withdraw(tokens, external_id),
                )
            except MarketplaceError as exc:
                log.warning("withdrawing listing %s on %s failed: %s", listing_id,
                            row.marketplace, exc)
                await self._listings.mark(listing_id, row.marketplace, "published",
                                          error_kind=Problem.NOT_ENDED)
            else:
                await self._listings.mark(listing_id, row.marketplace, "withdrawn")

        rows = await self._each_published(listing_id, withdraw, on_progress, skip=skip)
        await self._listings.set_state(listing_id, listing_state)
        await self._assisted.remind(listing_id, reason, sold_on=skip)
        return rows

    async def mark_sold(
        self, listing_id: int, sold_on: str | None = None, on_progress: Progress | None = None
    ) -> list[CrossPost]:
        """Sold (on `sold_on`, or elsewhere when None): every other copy is withdrawn."""
        if sold_on is not None:
            await self._listings.mark(listing_id, sold_on, "sold")
        return await self.withdraw_all(listing_id, on_progress, skip=sold_on, listing_state="sold",
                                       reason="sold")

    async def change_price(
        self, listing_id: int, price_cents: int, on_progress: Progress | None = None
    ) -> list[CrossPost]:
        """New price on every live copy: in place where the marketplace can (`PriceUpdates`),
        else by publishing again, an upsert on the sku."""
        await self._listings.set_price(listing_id, price_cents)
        stored = await self._listings.get(listing_id)
        if stored is None:
            return []
        await self._assisted.remind(listing_id, "price", price_cents=price_cents)
        photos = await self._listings.photo_bytes(stored)

        async def reprice(adapter: Marketplace, tokens: Tokens, row: CrossPost) -> Published:
            listing = as_listing(stored, photos, row.fixes)  # what that copy was fixed to stays
            if isinstance(adapter, PriceUpdates) and row.external_id and row.url:
                await adapter.update_price(tokens, row.external_id, listing)
                return Published(row.marketplace, row.external_id, row.url)
            return await adapter.publish(tokens, listing)

        async def update(row: CrossPost) -> None:
            try:
                published = await self._connections.call(
                    stored.telegram_id, row.marketplace,
                    lambda adapter, tokens: reprice(adapter, tokens, row),
                )
            except Rejected as exc:
                await self._listings.mark(listing_id, row.marketplace, "published",
                                          error_kind=Problem.REFUSED, error=exc.message,
                                          error_fields=exc.fields)
            except MarketplaceError:
                await self._listings.mark(listing_id, row.marketplace, "published",
                                          error_kind=Problem.PRICE_NOT_TAKEN)
            else:
                await self._listings.mark(listing_id, row.marketplace, "published",
                                          external_id=published.external_id, url=published.url)

        return await self._each_published(listing_id, update, on_progress)

    async def check(
        self, listing_id: int, *, skip: frozenset[str] = frozenset()
    ) -> StatusChange | None:
        """Ask each marketplace (but those in `skip`) about its live copy; the first that sold
        or ended ends the others. None when every copy is still live (or a marketplace could
        not say)."""
        stored = await self._listings.get(listing_id)
        if stored is None or stored.state != "active":
            return None
        for row in await self._listings.cross_posts(listing_id):
            if row.state != "published" or not row.external_id or row.marketplace in skip:
                continue
            external_id = row.external_id
            try:
                status = await self._connections.call(
                    stored.telegram_id, row.marketplace,
                    lambda adapter, tokens, ref=external_id: adapter.status(tokens, ref),
                )
            except MarketplaceError as exc:
                log.warning("status of listing %s on %s unknown: %s", listing_id,
                            row.marketplace, exc)
                continue
            if status is ListingStatus.LIVE:
                continue
            sold = status is ListingStatus.SOLD
            if sold:
                rows = await self.mark_sold(listing_id, row.marketplace)
            else:
                await self._listings.mark(listing_id, row.marketplace, "ended")
                rows = await self.withdraw_all(listing_id, skip=row.marketplace, reason="ended")
            return StatusChange.of(stored, row.marketplace, sold=sold, rows=rows)
        return None
