"""Scheduled work on the JobQueue: token refresh, expiry warnings, and clean-up."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import Application

from bot import texts
from bot.assisted import reminders
from bot.buttons import Connect, button
from bot.context import BotContext
from bot.selling.steps import DRAFT_EXPIRED
from marketplaces.capabilities import PushNotifications

log = logging.getLogger(__name__)

REFRESH_EVERY = timedelta(minutes=5)
REFRESH_AHEAD = timedelta(minutes=20)  # refresh access tokens this long before they lapse
WARN_AHEAD = timedelta(days=texts.EXPIRY_WARNING_DAYS)  # non-refreshable (Facebook) tokens
LEDGER_RETENTION = timedelta(days=2)
DRAFT_RETENTION = timedelta(days=7)


def reconnect_button(marketplace: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("Reconnect", Connect(marketplace))]])


async def _tell(context: BotContext, telegram_id: int, text: str, marketplace: str) -> None:
    try:
        await context.bot.send_message(
            telegram_id, text, reply_markup=reconnect_button(marketplace)
        )
    except TelegramError as exc:
        log.warning("could not reach user %s about %s: %s", telegram_id, marketplace, exc)


async def refresh_tokens(context: BotContext) -> None:
    """Refresh access tokens before they lapse; tell a seller once when a refresh is refused."""
    services = context.services
    ahead = services.clock.now() + REFRESH_AHEAD
    for outcome in await services.connections.refresh_expiring(ahead):
        if outcome.newly_needs_reconnect:
            name = services.marketplaces[outcome.marketplace].display_name
            notice = (texts.unreadable_connection_notice(name) if outcome.ours
                      else texts.needs_reconnect_notice(name))
            await _tell(context, outcome.telegram_id, notice, outcome.marketplace)


async def warn_expiring_connections(context: BotContext) -> None:
    """Tokens no refresh can renew (Facebook's): warn a few days ahead, once per grant."""
    services = context.services
    unrenewable = [
        name for name, adapter in services.marketplaces.items() if not adapter.oauth.refreshable
    ]
    now = services.clock.now()
    horizon = now + WARN_AHEAD
    for account in await services.accounts.expiring_before(horizon, unrenewable):
        if not await services.accounts.mark_expiry_warned(account.telegram_id, account.marketplace):
            continue
        days = max(0, (account.expires_at - now).days) if account.expires_at else 0
        name = services.marketplaces[account.marketplace].display_name
        await _tell(context, account.telegram_id, texts.expiry_warning(name, days),
                    account.marketplace)


STATUS_EVERY = timedelta(minutes=5)
# Marketplaces that push their sales (eBay) are asked this rarely: the check is only the
# backstop for a push that never came. The others are asked every time.
PUSHED_EVERY = timedelta(minutes=30)


async def check_listings(context: BotContext) -> None:
    """Keep the copies in step: when one sells or ends on its marketplace, end the others and
    tell the seller. This is the guard against selling one item twice."""
    services = context.services
    names = services.display_names()
    now = services.clock.now()
    job = context.job
    data = job.data if job is not None and isinstance(job.data, dict) else {}
    last_full = data.get("last_full")
    skip: frozenset[str] = frozenset()
    if last_full is not None and now - last_full < PUSHED_EVERY:
        skip = frozenset(name for name, adapter in services.marketplaces.items()
                         if isinstance(adapter, PushNotifications) and adapter.pushes_enabled)
    else:
        data["last_full"] = now
    for listing_id in await services.listings.live_listing_ids():
        change = await services.manager.check(listing_id, skip=skip)
        if change is None:
            continue
        try:
            await context.bot.send_message(
                change.telegram_id,
                texts.sold_elsewhere(change, names) if change.sold
                else texts.ended_elsewhere(change, names),
            )
        except TelegramError as exc:
            log.warning("could not tell user %s about listing %s: %s", change.telegram_id,
                        listing_id, exc)
        await context.application.cards.show(listing_id, news=texts.change_news(change, names))
        reminders.deliver_soon(context.application)  # what to do on the copies by hand


async def purge_expired_states(context: BotContext) -> None:
    removed = await context.services.states.purge_expired()
    if removed:
        log.info("purged %d expired OAuth states", removed)


async def purge_abandoned_drafts(context: BotContext) -> None:
    """Drafts untouched for a week go, with their photos. Each seller's conversation learns
    it, so their next message hears the draft expired instead of being taken for an answer
    to a draft that is no longer there (bot/selling/conversation.py)."""
    removed = await context.services.drafts.purge_older_than(DRAFT_RETENTION)
    for telegram_id, title in removed.items():
        await _note_expired(context, telegram_id, title)
    if removed:
        log.info("removed %d abandoned drafts", len(removed))


async def _note_expired(context: BotContext, telegram_id: int, title: str) -> None:
    """Leave the note in the seller's data, in the seller's turn. With several replicas the
    copy in this replica's memory may be old (or never read), so the row is read back and
    written at once: the note joins what other replicas keep instead of replacing it."""
    application = context.application
    persistence = application.persistence
    data = application.user_data[telegram_id]
    shared = persistence is not None and context.services.coordination.shared
    async with context.services.coordination.seller_turn(telegram_id):
        if shared:
            await persistence.refresh_user_data(telegram_id, data)
        data[DRAFT_EXPIRED] = title
        if shared:
            await persistence.update_user_data(telegram_id, data)
    application.mark_data_for_update_persistence(user_ids=[telegram_id])


async def purge_update_ledger(context: BotContext) -> None:
    """Telegram never redelivers an update after a day; older ledger rows are dead weight."""
    await context.services.updates.purge_older_than(LEDGER_RETENTION)


Job = Callable[[BotContext], Awaitable[None]]
# With several replicas, a periodic job runs on the one replica that leases it for most of its
# interval; the lease is kept, not released, so the others skip that round. A replica killed
# mid-job lets the lease run out, and the next round runs wherever it comes due first.
LEASE_SHARE_OF_INTERVAL = 0.8
# Replicas only: how often each looks for inbox updates nobody took on, and for publishes
# whose replica died; how long an update may wait for the replica it reached.
INBOX_PICK_UP_EVERY = timedelta(seconds=1)
INBOX_GRACE = timedelta(seconds=2)
PUBLISH_SWEEP_EVERY = timedelta(seconds=5)


def once_among_replicas(job: Job, every: timedelta) -> Job:
    """`job`, run by one replica per interval (alone on SQLite, always this process)."""
    async def leased(context: BotContext) -> None:
        coordination = context.services.coordination
        if await coordination.claim(f"job:{job.__name__}", every * LEASE_SHARE_OF_INTERVAL):
            await job(context)

    leased.__name__ = job.__name__
    leased.__doc__ = job.__doc__
    return leased


async def pick_up_inbox(context: BotContext) -> None:
    """Updates stuck in the shared inbox (their replica died after recording them) go on."""
    app = context.application
    await app.inbox.pick_up(app.update_queue, app.bot, INBOX_GRACE)


def schedule(application: Application) -> None:
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("scheduled work needs PTB's job queue (the job-queue extra)")

    def every(job: Job, interval: timedelta, first: float, **kwargs: object) -> None:
        queue.run_repeating(once_among_replicas(job, interval), interval=interval, first=first,
                            name=job.__name__, **kwargs)

    every(purge_update_ledger, timedelta(hours=6), 60)
    every(purge_expired_states, timedelta(minutes=15), 60)
    every(purge_abandoned_drafts, timedelta(hours=6), 120)
    every(refresh_tokens, REFRESH_EVERY, 5)
    every(warn_expiring_connections, timedelta(hours=1), 10)
    every(check_listings, STATUS_EVERY, 30, data={})
    every(reminders.reminders_job, reminders.EVERY, 5)
    if getattr(application, "services", None) and application.services.coordination.shared:
        queue.run_repeating(pick_up_inbox, interval=INBOX_PICK_UP_EVERY, first=1)
        queue.run_repeating(application.publishing.sweep, interval=PUBLISH_SWEEP_EVERY,
                            first=PUBLISH_SWEEP_EVERY.total_seconds())
