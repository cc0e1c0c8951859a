"""A button that asks one question and waits for the typed answer (/cancel leaves things be).
Change price and fixing a refused field are this shape; persistent, so a restart keeps asking."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.buttons import Button
from bot.context import BotContext

ANSWER = 1  # the one state: waiting for the answer
Step = Callable[[Update, BotContext], Awaitable[int]]


def one_question(
    name: str, asked_by: type[Button], ask: Step, answer: Step, cancel: Step
) -> ConversationHandler[BotContext]:
    """The conversation a press of an `asked_by` button starts: `ask`, then `answer`."""
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(ask, pattern=asked_by)],
        states={ANSWER: [MessageHandler(filters.TEXT & ~filters.COMMAND, answer)]},
        fallbacks=[CommandHandler("cancel", cancel)],
        name=name,
        persistent=True,
    )
