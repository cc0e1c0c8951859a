"""Publishing as the seller sees it: a listing goes to every chosen marketplace at once, and its
card (bot/cards.py) is edited as each result lands — across retries and restarts, because the
card's message (its chat and id) is stored with the listing.

The engine (marketplaces/crosspost.py) does the work and knows nothing of Telegram; this module
runs it for the bot (first try, scheduled retries, Retry presses, restarts) and reports.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, cast

from telegram.ext import CallbackContext, JobQueue

from bot.cards import Cards
from bot.selling.card import finished
from marketplaces.crosspost import CrossPoster
from storage.listings import CrossPost, ListingRepository

log = logging.getLogger(__name__)


class Publishing:
    """Runs publishes for the bot; each listing's card shows how they go."""

    def __init__(
        self,
        crossposter: CrossPoster,
        listings: ListingRepository,
        cards: Cards,
        job_queue: JobQueue[Any] | None,
    ) -> None:
        self._crossposter = crossposter
        self._listings = listings
        self._cards = cards
        self._job_queue = job_queue

    async def run(self, listing_id: int) -> list[CrossPost]:
        rows = await self._crossposter.publish(listing_id, lambda r: self.report(listing_id, r))
        await self.report(listing_id, rows)
        self.schedule_retry(listing_id, rows)
        return rows

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

    async def resume(self) -> None:
        """At start: finish what a crash interrupted, and re-arm the retries that were due."""
        queue = self._queue()  # runs them once the application has started
        # A copy whose posting killed the process twice is not resumed a third time.
        parked = await self._listings.park_crash_loops()
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

    def _queue(self) -> JobQueue[Any]:
        if self._job_queue is None:
            raise RuntimeError("publishing retries need PTB's job queue (the job-queue extra)")
        return self._job_queue
