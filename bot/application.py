"""Builds the python-telegram-bot Application the way its maintainers do."""

from __future__ import annotations

from datetime import UTC, timedelta

from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot import handlers
from bot.commands import bot_commands
from bot.config import Settings
from bot.context import BotContext, DealScoutApplication, Services
from bot.processor import PerSellerUpdateProcessor
from storage.db import Database
from storage.persistence import SQLitePersistence
from storage.sellers import SellerRepository
from storage.updates import UpdateLedger

LEDGER_RETENTION = timedelta(days=2)


async def post_init(application: Application) -> None:
    """Register the command menu: what the seller sees when they type /."""
    await application.bot.set_my_commands(bot_commands())


async def purge_update_ledger(context: BotContext) -> None:
    """Telegram never redelivers an update after a day; older ledger rows are dead weight."""
    await context.services.updates.purge_older_than(LEDGER_RETENTION)


def build_application(settings: Settings, db: Database) -> DealScoutApplication:
    services = Services(
        settings=settings, db=db, sellers=SellerRepository(db), updates=UpdateLedger(db)
    )
    processor = PerSellerUpdateProcessor()
    application = (
        ApplicationBuilder()
        .application_class(DealScoutApplication)
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base)
        .base_file_url(settings.telegram_file_base)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC))
        .context_types(ContextTypes(context=BotContext))
        .persistence(SQLitePersistence(db))
        .concurrent_updates(processor)
        .post_init(post_init)
        .build()
    )
    application.services = services
    processor.bind(claim=services.updates.claim, after_update=application.update_persistence)
    handlers.register(application)
    application.job_queue.run_repeating(
        purge_update_ledger, interval=timedelta(hours=6), first=timedelta(minutes=1)
    )
    return application
