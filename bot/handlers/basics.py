"""/cancel outside any flow, and the replies to input that matches nothing else."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.context import BotContext

STALE_BUTTON = "That button belongs to something that has already finished."


async def cancel(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(texts.NOTHING_TO_CANCEL)


async def unknown_command(update: Update, context: BotContext) -> None:
    command = update.effective_message.text.split(maxsplit=1)[0].split("@", 1)[0]
    await update.effective_message.reply_text(texts.unknown_command(command))


async def not_understood(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(texts.not_understood())


async def stale_button(update: Update, context: BotContext) -> None:
    """A button whose flow is over: say so instead of leaving the spinner running."""
    await update.callback_query.answer(STALE_BUTTON)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("cancel", cancel))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, not_understood)
    )
    application.add_handler(CallbackQueryHandler(stale_button))
