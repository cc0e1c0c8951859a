"""/start and its deep links (t.me/<bot>?start=<payload>), and /help."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CommandHandler, TypeHandler

from bot import texts
from bot.context import BotContext

DeepLink = Callable[[Update, BotContext], Awaitable[None]]


async def help_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(texts.help_text())


# `/start <payload>` → the flow the link was made for. Flows add theirs with add_deep_link.
DEEP_LINKS: dict[str, DeepLink] = {"help": help_command}


def add_deep_link(payload: str, handler: DeepLink) -> None:
    DEEP_LINKS[payload] = handler


async def remember_seller(update: Update, context: BotContext) -> None:
    """Record every seller the first time this process sees them (connections and listings
    point at the sellers table), without a write on every update."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    await context.services.sellers.touch_once(
        user.id, user.first_name, user.username, user.language_code
    )


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    payload = context.args[0].lower() if context.args else ""
    route = DEEP_LINKS.get(payload)
    if route is not None:
        await route(update, context)
        return
    await update.effective_message.reply_text(texts.welcome(user.first_name))


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, remember_seller), group=-100)
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
