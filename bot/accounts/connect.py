"""/connect (and the deep link /start connect): pick a marketplace, get its consent link.

The redirect lands on our web server (bot/web/oauth_pages.py), which finishes the connection and
reports back in this chat.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton as LinkButton
from telegram import InlineKeyboardMarkup, LoginUrl, Update

from bot import texts
from bot.buttons import Connect, ConnectMenu, button, pressed
from bot.context import BotContext


async def _menu(context: BotContext, telegram_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    services = context.services
    if not services.marketplaces:
        return texts.NO_MARKETPLACES, None
    connected = {a.marketplace: a for a in await services.accounts.for_seller(telegram_id)}
    lines, rows = [], []
    for name, adapter in services.marketplaces.items():
        account = connected.get(name)
        lines.append(texts.connection_line(adapter.display_name, account))
        label = f"{adapter.display_name} ✅" if account else f"Connect {adapter.display_name}"
        rows.append([button(label, Connect(name))])
    kits = [kit.display_name for kit in services.kits.values()]
    return texts.connect_menu(lines, kits), InlineKeyboardMarkup(rows)


async def connect_command(update: Update, context: BotContext) -> None:
    text, markup = await _menu(context, update.effective_user.id)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def show_menu(update: Update, context: BotContext) -> None:
    """ConnectMenu: the menu in place of the message the button was on."""
    query = update.callback_query
    await query.answer()
    text, markup = await _menu(context, update.effective_user.id)
    await query.edit_message_text(text, reply_markup=markup)


async def consent_link(update: Update, context: BotContext) -> None:
    """Connect: a fresh one-time consent link for that marketplace, in place of the menu."""
    query = update.callback_query
    chosen = pressed(update, Connect)
    adapter = context.services.marketplaces.get(chosen.marketplace)
    if adapter is None:
        await query.answer(texts.MARKETPLACE_UNAVAILABLE, show_alert=True)
        return
    await query.answer()
    link = await context.services.broker.begin(update.effective_user.id, chosen.marketplace)
    await query.edit_message_text(
        texts.consent_link(adapter.display_name),
        reply_markup=InlineKeyboardMarkup([
            # A Login URL button: Telegram tells our site who tapped it, signed.
            [LinkButton(f"🔗 Open {adapter.display_name}", login_url=LoginUrl(link))],
            [button("« Back", ConnectMenu())],
        ]),
    )
