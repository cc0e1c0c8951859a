"""/connect (and the deep link /start connect): pick a marketplace, get its consent link.

The redirect lands on our web server (bot/oauth_web.py), which finishes the connection and
reports back in this chat.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LoginUrl, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.context import BotContext
from bot.handlers.start import add_deep_link

CHOOSE = "cn"  # cn:<marketplace> | cn:back


async def _menu(context: BotContext, telegram_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    services = context.services
    if not services.marketplaces:
        return texts.NO_MARKETPLACES, None
    connected = {a.marketplace: a for a in await services.accounts.for_seller(telegram_id)}
    lines, buttons = [], []
    for name, adapter in services.marketplaces.items():
        account = connected.get(name)
        lines.append(texts.connection_line(adapter.display_name, account))
        label = f"{adapter.display_name} ✅" if account else f"Connect {adapter.display_name}"
        buttons.append([InlineKeyboardButton(label, callback_data=f"{CHOOSE}:{name}")])
    return texts.connect_menu(lines), InlineKeyboardMarkup(buttons)


async def connect(update: Update, context: BotContext) -> None:
    text, markup = await _menu(context, update.effective_user.id)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def choose(update: Update, context: BotContext) -> None:
    query = update.callback_query
    name = query.data.split(":", 1)[1]
    if name == "back":
        await query.answer()
        text, markup = await _menu(context, update.effective_user.id)
        await query.edit_message_text(text, reply_markup=markup)
        return
    adapter = context.services.marketplaces.get(name)
    if adapter is None:
        await query.answer(texts.MARKETPLACE_UNAVAILABLE, show_alert=True)
        return
    await query.answer()
    link = await context.services.broker.begin(update.effective_user.id, name)
    await query.edit_message_text(
        texts.consent_link(adapter.display_name),
        reply_markup=InlineKeyboardMarkup(
            [
                # A Login URL button: Telegram tells our site who tapped it, signed.
                [InlineKeyboardButton(f"🔗 Open {adapter.display_name}", login_url=LoginUrl(link))],
                [InlineKeyboardButton("« Back", callback_data=f"{CHOOSE}:back")],
            ]
        ),
    )


def register(application: Application) -> None:
    add_deep_link("connect", connect)
    application.add_handler(CommandHandler("connect", connect))
    application.add_handler(CallbackQueryHandler(choose, pattern=rf"^{CHOOSE}:[a-z]+$"))
