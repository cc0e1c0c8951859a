"""The gate every update from a group, supergroup or channel stops at, before any flow sees it.

The flows (/post step by step, /connect's consent links, /listings' cards) would show a
seller's draft, links, accounts and listings to the whole group, and with Telegram's default
privacy mode a group never even sends the bot the typed answers they wait for. So outside a
private chat: the commands that start something get one short message with a "Continue in
private chat" button (t.me/<bot>?start=<what>, which opens that flow in private); a button
press changes nothing (someone else's gets an alert naming whose it is, one's own opens the
private chat); anything else is left alone, without a word.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, CommandHandler, filters

from bot.buttons import (
    AccountAction,
    ChooseCatalog,
    Connect,
    ConnectMenu,
    DraftButton,
    ListingButton,
    ListingsPage,
    NewPost,
    ReminderDone,
)
from bot.commands import deep_link_url
from bot.context import BotContext
from bot.groups import texts

# The commands that start something, and the deep link that starts it in the private chat.
START_IN_PRIVATE = {
    "post": "post", "connect": "connect", "listings": "listings", "accounts": "accounts",
    "help": "help", "start": "welcome",
}


def commands_outside_private() -> CommandHandler:
    """Those commands, new (not edited) and in any chat but a private one."""
    new = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    return CommandHandler(list(START_IN_PRIVATE), continue_in_private,
                          filters=new & ~filters.ChatType.PRIVATE)


async def continue_in_private(update: Update, context: BotContext) -> None:
    """One short message, a reply to the command, with the button to the private chat."""
    message = update.effective_message
    command = message.text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower()
    await message.reply_text(
        texts.continue_in_private(command), do_quote=True,
        reply_markup=_continue_button(context, START_IN_PRIVATE[command]),
    )
    raise ApplicationHandlerStop


class _OutsidePrivate(BaseHandler[Update, BotContext, None]):
    """Any update from a chat that is not private (a private one is not even looked at)."""

    def check_update(self, update: object) -> bool:
        chat = update.effective_chat if isinstance(update, Update) else None
        return chat is not None and chat.type != ChatType.PRIVATE


def anything_else_outside_private() -> BaseHandler:
    """Every other update from a group, supergroup or channel: edits, replies, photos, presses,
    the bot being added…"""
    return _OutsidePrivate(everything_else)


async def everything_else(update: Update, context: BotContext) -> None:
    """Whatever else comes from a chat that is not private: a press is refused, the rest is
    ignored; either way no handler after this one sees it."""
    if update.callback_query is not None:
        await _refuse_press(update, context)
    raise ApplicationHandlerStop


async def _refuse_press(update: Update, context: BotContext) -> None:
    """A button on a group message (left by an older version of the bot: this one sends none
    there). Its owner is the member whose message it answers; someone else gets an alert, the
    owner (or anyone, when the owner is unknown) the private chat, where it belongs."""
    query = update.callback_query
    owner = _owner(query.message)
    if owner is not None and owner.id != query.from_user.id:
        await query.answer(texts.button_is_for(owner.first_name), show_alert=True)
        return
    await query.answer(url=deep_link_url(context.bot.username, _start_for(query.data)))


def _owner(message: object) -> User | None:
    """The person a bot message in a group was made for: the author of what it replies to."""
    if not isinstance(message, Message) or message.reply_to_message is None:
        return None
    author = message.reply_to_message.from_user
    return author if author is not None and not author.is_bot else None


def _start_for(button: object) -> str:
    """Where in the private chat a button's business continues."""
    if isinstance(button, DraftButton | NewPost):
        return START_IN_PRIVATE["post"]
    if isinstance(button, ListingButton | ListingsPage | ReminderDone):
        return START_IN_PRIVATE["listings"]
    if isinstance(button, Connect | ConnectMenu | ChooseCatalog):
        return START_IN_PRIVATE["connect"]
    if isinstance(button, AccountAction):
        return START_IN_PRIVATE["accounts"]
    return START_IN_PRIVATE["start"]


def _continue_button(context: BotContext, payload: str) -> InlineKeyboardMarkup:
    url = deep_link_url(context.bot.username, payload)
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.CONTINUE_IN_PRIVATE, url=url)]])
