"""Publishing as the seller sees it: a listing goes to every chosen marketplace at once, and its
card (bot/cards.py) is edited as each result lands — across retries and restarts, because the
card's message (its chat and id) is stored with the listing.

The engine (marketplaces/crosspost.py) does the work and knows nothing of Telegram; this module
runs it for the bot (first try, scheduled retries, Retry presses, restarts) and reports. With
several replicas a publish is one replica's while it holds the listing's lease.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from telegram.ext import CallbackContext, JobQueue

from bot.cards import Cards
from bot.selling.card import finished
from marketplaces.crosspost import CrossPoster
from storage.coordination import Coordination
from storage.listings import CrossPost, ListingRepository

log = logging.getLogger(__name__)

# A publish is one replica's while it renews this lease; a replica killed mid-publish stops
# renewing, and after PUBLISH_LEASE another replica's sweep finishes the listing.
PUBLISH_LEASE = timedelta(seconds=15)
LEASE_RENEW_SECONDS = 5.0


class Publishing:
    """Runs publishes for the bot; each listing's card shows how they go."""

    def __init__(
        self,
        crossposter: CrossPoster,
        listings: ListingRepository,
        cards: Cards,
        job_queue: JobQueue[Any] | None,
        coordination: Coordination | None = None,
    ) -> None:
        self._crossposter = crossposter
        self._listings = listings
        self._cards = cards
        self._job_queue = job_queue
        self._coordination = coordination or Coordination()
        self._running: set[int] = set()

    async def run(self, listing_id: int) -> list[CrossPost]:
        """Publish what is due and report it, unless this process or another replica is
        already at it (that one reports)."""
        lease = f"publish:{listing_id}"
        if listing_id in self._running or not await self._coordination.claim(
            lease, PUBLISH_LEASE
        ):
            return await self._listings.cross_posts(listing_id)
        self._running.add(listing_id)
        renewing = asyncio.create_task(self._renew(lease), name=f"lease:{lease}")
        try:
            rows = await self._crossposter.publish(
                listing_id, lambda r: self.report(listing_id, r)
            )
            await self.report(listing_id, rows)
            self.schedule_retry(listing_id, rows)
            return rows
        finally:
            renewing.cancel()
            self._running.discard(listing_id)
            await self._coordination.release(lease)

    async def _renew(self, lease: str) -> None:
        """Keep the lease while the publish runs (photos to three marketplaces take a while)."""
        while True:
            await asyncio.sleep(LEASE_RENEW_SECONDS)
            try:
                await self._coordination.claim(lease, PUBLISH_LEASE)
            except Exception:
                log.warning("renewing %s failed; another replica may take it over", lease)

    async def report(self, listing_id: int, rows: list[CrossPost]) -> None:
        """The card, drawn with the copies as they are now. Once nothing more will happen by
        itself, the seller counts as told (shown or not: Telegram down or the bot blocked
        must not make every restart try again)."""
        await self._cards.refresh(listing_id, rows)
        if finished(rows):
            await self._listings.mark_told(listing_id)

    def schedule_retry(self, listing_id: int, rows: list[CrossPost]) -> None:
        due = [r.next_attempt_at for r in rows
               if r.state == "failed" and r.retryable and r.next_attempt_at is not None]
        if due:
            self._schedule(listing_id, min(due))

    def _schedule(self, listing_id: int, when: datetime) -> None:
        queue = self._queue()
        name = f"retry:{listing_id}"
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
        delay = max(0.0, (when - datetime.now(UTC)).total_seconds())
        queue.run_once(self._retry_job, delay, data=listing_id, name=name)

    async def _retry_job(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        if context.job is not None:
            await self.run(cast(int, context.job.data))

    async def sweep(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        """With several replicas: take over publishes whose replica died (their lease ran
        out), and retries that came due on whichever replica was first to look."""
        now = datetime.now(UTC)
        orphaned = {lid for lid, _ in await self._listings.unfinished()}
        orphaned |= set(await self._listings.untold())
        orphaned |= {lid for lid, due in await self._listings.retry_due() if due <= now}
        for listing_id in sorted(orphaned):
            if listing_id not in self._running:
                await self.run(listing_id)

    async def resume(self) -> None:
        """At start: finish what a crash interrupted, and re-arm the retries that were due."""
        queue = self._queue()  # runs them once the application has started
        # A copy whose posting killed the process twice is not resumed a third time.
        parked = await self._listings.park_crash_loops(only=await self._orphaned_in_flight())
        for listing_id, marketplace in parked:
            log.error("posting listing %s to %s was interrupted by a crash twice; set aside "
                      "until the seller taps Retry", listing_id, marketplace)
        interrupted = {lid for lid, _ in await self._listings.unfinished()}
        interrupted |= {lid for lid, _ in parked}  # their card says so, with Retry
        untold = set(await self._listings.untold())  # died before saying how it ended
        for listing_id in sorted(interrupted | untold):
            queue.run_once(self._retry_job, 0, data=listing_id, name=f"resume:{listing_id}")
        for listing_id, due in await self._listings.retry_due():
            self._schedule(listing_id, due)

    async def _orphaned_in_flight(self) -> set[int] | None:
        """Listings with a copy in flight that no process is posting: all of them for one
        process; with several replicas, only those whose publish lease is free (another
        replica may be posting the rest right now, which is no crash)."""
        if not self._coordination.shared:
            return None
        orphaned = set()
        for listing_id in {lid for lid, _ in await self._listings.unfinished()}:
            lease = f"publish:{listing_id}"
            if await self._coordination.claim(lease, PUBLISH_LEASE):
                orphaned.add(listing_id)
                await self._coordination.release(lease)
        return orphaned

    def _queue(self) -> JobQueue[Any]:
        if self._job_queue is None:
            raise RuntimeError("publishing retries need PTB's job queue (the job-queue extra)")
        return self._job_queue
