"""The error handler: log once for the operator, one sentence for the seller."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot import texts
from bot.context import BotContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    if isinstance(update, Update):
        user_id = update.effective_user.id if update.effective_user else None
        log.error(
            "update %s from user %s failed",
            update.update_id,
            user_id,
            exc_info=context.error,
        )
        if update.effective_chat is not None:
            try:
                await context.bot.send_message(update.effective_chat.id, texts.SOMETHING_WENT_WRONG)
            except TelegramError as exc:
                log.warning("could not tell user %s about the failure: %s", user_id, exc)
    else:
        log.error("background task failed", exc_info=context.error)


def register(application: Application) -> None:
    application.add_error_handler(on_error)
