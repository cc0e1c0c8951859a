"""Scheduled work on the JobQueue: token refresh, expiry warnings, and clean-up."""

from __future__ import annotations

import logging
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
            await _tell(
                context, outcome.telegram_id, texts.needs_reconnect_notice(name),
                outcome.marketplace,
            )


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
        context.application.user_data[telegram_id][DRAFT_EXPIRED] = title
        context.application.mark_data_for_update_persistence(user_ids=[telegram_id])
    if removed:
        log.info("removed %d abandoned drafts", len(removed))


async def purge_update_ledger(context: BotContext) -> None:
    """Telegram never redelivers an update after a day; older ledger rows are dead weight."""
    await context.services.updates.purge_older_than(LEDGER_RETENTION)


def schedule(application: Application) -> None:
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("scheduled work needs PTB's job queue (the job-queue extra)")
    queue.run_repeating(purge_update_ledger, interval=timedelta(hours=6), first=60)
    queue.run_repeating(purge_expired_states, interval=timedelta(minutes=15), first=60)
    queue.run_repeating(purge_abandoned_drafts, interval=timedelta(hours=6), first=120)
    queue.run_repeating(refresh_tokens, interval=REFRESH_EVERY, first=5)
    queue.run_repeating(warn_expiring_connections, interval=timedelta(hours=1), first=10)
    queue.run_repeating(check_listings, interval=STATUS_EVERY, first=30, data={})
    queue.run_repeating(reminders.reminders_job, interval=reminders.EVERY, first=5)
