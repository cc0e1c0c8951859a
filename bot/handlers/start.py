"""/start and its deep links (t.me/<bot>?start=<payload>), and /help."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.context import BotContext

DeepLink = Callable[[Update, BotContext], Awaitable[None]]


async def help_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(texts.help_text())


# `/start <payload>` → the flow the link was made for. Flows add theirs with add_deep_link.
DEEP_LINKS: dict[str, DeepLink] = {"help": help_command}


def add_deep_link(payload: str, handler: DeepLink) -> None:
    DEEP_LINKS[payload] = handler


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    await context.services.sellers.touch(
        user.id, user.first_name, user.username, user.language_code
    )
    payload = context.args[0].lower() if context.args else ""
    route = DEEP_LINKS.get(payload)
    if route is not None:
        await route(update, context)
        return
    await update.effective_message.reply_text(texts.welcome(user.first_name))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
