"""Reminders for copies posted by hand: when the item sells, ends, is withdrawn or changes price
anywhere, the seller is told what to do on each marketplace the bot cannot reach, with a button
that opens that listing and Done ✅. Unanswered, a reminder comes again after 15 minutes, 2
hours, then every 12 hours; after Done, never again.

Reminders live in the database, so a restart loses none; a job delivers the due ones, and the
code that makes one asks for a delivery at once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.assisted import texts
from bot.assisted.kits import KitSender, copy_button, price_text
from bot.buttons import ReminderDone, button, pressed
from bot.context import BotContext, DealScoutApplication
from bot.parsing import format_price
from bot.selling.texts import NOT_YOURS
from storage.assisted import KIT_SENT, Reminder

log = logging.getLogger(__name__)

EVERY = timedelta(seconds=30)
_delivering = asyncio.Lock()  # the job and an immediate delivery must not send one twice


def reminder_keyboard(reminder: Reminder, site: str, name: str) -> InlineKeyboardMarkup:
    link = reminder.url or site
    label = f"Open the {name} listing ↗" if reminder.url else f"Open {name} ↗"
    rows = [[InlineKeyboardButton(label, url=link)]]
    if reminder.reason == "price" and reminder.price_cents is not None:
        rows.append([copy_button(f"📋 {format_price(reminder.price_cents)}",
                                 price_text(reminder.price_cents))])
    rows.append([button("Done ✅", ReminderDone(reminder.id))])
    return InlineKeyboardMarkup(rows)


async def deliver_due(application: DealScoutApplication) -> int:
    """Send every reminder that is due; each comes again later unless answered."""
    services = application.services
    names = services.display_names()
    sent = 0
    async with _delivering:
        for reminder in await services.assisted.due():
            kit = services.kits.get(reminder.marketplace)
            if kit is None:  # a marketplace this bot no longer offers: nothing to open
                await services.assisted.done(reminder.id)
                continue
            try:
                if reminder.reason == "kit":
                    await _kit_again(application, reminder)
                else:
                    await application.bot.send_message(
                        reminder.telegram_id,
                        texts.reminder(
                            reminder.reason, kit.display_name, reminder.title,
                            elsewhere=names.get(reminder.sold_on or "", reminder.sold_on),
                            price=format_price(reminder.price_cents)
                            if reminder.price_cents is not None else None,
                            linked=reminder.url is not None,
                        ),
                        reply_markup=reminder_keyboard(reminder, _site(kit.listing_url_example),
                                                       kit.display_name),
                    )
            except TelegramError as exc:  # blocked, or Telegram down: it comes again later
                log.warning("reminder %s for user %s not sent: %s", reminder.id,
                            reminder.telegram_id, exc)
            await services.assisted.sent(reminder)
            sent += 1
    return sent


async def _kit_again(application: DealScoutApplication, reminder: Reminder) -> None:
    """Remind me later, come due: the kit's card again, if it still waits for a link."""
    services = application.services
    copy = await services.assisted.copy(reminder.listing_id, reminder.marketplace)
    listing = await services.listings.get(reminder.listing_id)
    kit = services.kits.get(reminder.marketplace)
    if copy is None or copy.state != KIT_SENT or listing is None or kit is None:
        await services.assisted.done(reminder.id)
        return
    card = await KitSender(application).resend_card(listing, kit)
    await services.assisted.mark(listing.id, kit.name, KIT_SENT, card_message_id=card.message_id)
    await services.assisted.done(reminder.id)  # a kit comes back once; Skip or a link ends it


def deliver_soon(application: Application) -> None:
    """Deliver what just came due without waiting for the job (a sale must not wait). While
    the bot starts or stops, the rows wait for the reminders job, which runs at every start."""
    assert isinstance(application, DealScoutApplication)
    if application.running:
        application.create_task(deliver_due(application), name="reminders")


async def reminders_job(context: BotContext) -> None:
    await deliver_due(context.application)


async def reminder_done(update: Update, context: BotContext) -> None:
    query = update.callback_query
    services = context.services
    reminder = await services.assisted.get(pressed(update, ReminderDone).reminder)
    if reminder is None or reminder.telegram_id != update.effective_user.id:
        await query.answer(NOT_YOURS, show_alert=True)
        return
    if not await services.assisted.done(reminder.id):
        await query.answer(texts.ALREADY_DONE)
        return
    name = services.display_names().get(reminder.marketplace, reminder.marketplace)
    await query.answer()
    text = f"{query.message.text_html if query.message else ''}\n\n" \
           f"{texts.reminder_done(reminder.reason, name)}"
    try:
        await query.edit_message_text(text.strip(), reply_markup=None)
    except TelegramError as exc:  # the message is gone: Done is recorded regardless
        log.info("reminder %s answered, message not edited: %s", reminder.id, exc)


def _site(example: str) -> str:
    """The marketplace's front page, for a copy whose own link the seller never pasted."""
    parts = urlsplit(example)
    return f"{parts.scheme}://{parts.netloc}/"
