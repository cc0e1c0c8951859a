"""Builds the python-telegram-bot Application the way its maintainers do."""

from __future__ import annotations

from datetime import UTC

from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)

from bot import handlers, jobs
from bot.client import build_bot
from bot.commands import bot_commands
from bot.config import Settings
from bot.context import BotContext, DealScoutApplication
from bot.inbox import Inbox
from bot.processor import PerSellerUpdateProcessor
from bot.services import build_services
from storage.db import Database
from storage.persistence import SQLitePersistence


async def post_init(application: Application) -> None:
    """Register the command menu (what the seller sees when they type /), then finish what a
    crash interrupted: updates received but not handled, and publishing."""
    await application.bot.set_my_commands(bot_commands())
    # Before polling starts, so a seller's older messages are handled before their newer ones.
    inbox: Inbox = application.inbox  # type: ignore[attr-defined]
    await inbox.requeue(application.update_queue, application.bot)
    await application.publishing.resume()  # type: ignore[attr-defined]


async def post_shutdown(application: Application) -> None:
    """Close each marketplace adapter's HTTP client."""
    for adapter in application.services.marketplaces.values():  # type: ignore[attr-defined]
        await adapter.aclose()


def build_application(settings: Settings, db: Database) -> DealScoutApplication:
    services = build_services(settings, db)
    processor = PerSellerUpdateProcessor()
    inbox = Inbox(services.updates)
    bot = build_bot(
        token=settings.telegram_bot_token,
        base_url=settings.telegram_api_base,
        base_file_url=settings.telegram_file_base,
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC),
        # Stay under Telegram's flood limit, and wait out a 429 instead of losing the message.
        rate_limiter=AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=3),
        inbox=inbox,
    )
    application = (
        ApplicationBuilder()
        .application_class(DealScoutApplication)
        .bot(bot)
        .context_types(ContextTypes(context=BotContext))
        .persistence(SQLitePersistence(db))
        .concurrent_updates(processor)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    # A retry or an album's answer that comes due while the loop is busy must still run, late:
    # APScheduler's default drops a job more than 1 s late ("was missed by").
    queue = application.job_queue
    queue.scheduler.configure(  # configure() resets everything: keep PTB's settings too
        job_defaults={"misfire_grace_time": None, "coalesce": True},
        **queue.scheduler_configuration,
    )
    application.services = services
    processor.bind(claim=services.updates.claim, after_update=application.update_persistence)
    application.inbox = inbox
    handlers.register(application)
    jobs.schedule(application)
    return application
