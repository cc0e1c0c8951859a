"""An edit to an earlier /post answer changes the field it answered, and says so.

Telegram sends an edited message as an update of its own. Taken as the answer to the step on
screen it did damage (an edited title read as the price), so every edit comes here first: an
edit to a message that answered a field of the current draft changes that field, checked by
the same rules as the answer was; an edit to anything else is ignored.
"""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.parsing import InputRejected, format_price, parse_postal_code
from bot.selling import answers, texts
from bot.selling.answer_log import answered, carry_on
from bot.selling.marketplace_answers import read_condition_note
from storage.drafts import Draft


async def answer_edited(update: Update, context: BotContext) -> None:
    message = update.edited_message
    if message is None or message.text is None or message.chat.type != "private":
        return
    found = answered(context, message.message_id)
    if found is None:
        return
    version, field = found
    telegram_id = update.effective_user.id
    draft = await context.services.drafts.get(telegram_id)
    if draft is None or draft.version != version:
        return  # an answer to a draft that was posted or dropped
    try:
        value, shown = await _read(context, draft, field, message.text)
    except InputRejected as refused:
        if field == "price":
            await answers.price_refused(update, context, refused, draft)
        else:
            await message.reply_text(texts.edit_refused(field, refused.message,
                                                        _current(draft, field)))
        return
    await context.services.drafts.update(telegram_id, **value)
    if field == "postal_code":
        await context.services.drafts.remember_location(telegram_id, value[field], None, None)
    await message.reply_text(
        texts.price_updated(shown) if field == "price" else texts.field_updated(field, shown)
    )
    await carry_on(update, context)


async def _read(
    context: BotContext, draft: Draft, field: str, text: str
) -> tuple[dict[str, object], str | None]:
    """The draft fields to set, and the value as the seller should read it back."""
    if field == "title":
        title = await answers.read_title(context, draft, text)
        return {"title": title}, title
    if field == "price":
        cents = await answers.read_price(context, draft, text)
        return {"price_cents": cents}, format_price(cents)
    if field == "description":
        description = await answers.read_description(context, draft, text)
        return {"description": description, "description_set": 1}, None
    if field == "condition_note":
        note = read_condition_note(text)
        return {"condition_note": note, "condition_note_set": 1}, None
    code = parse_postal_code(text)
    return {"postal_code": code, "latitude": None, "longitude": None}, code


def _current(draft: Draft, field: str) -> str | None:
    if field == "title":
        return draft.title
    if field == "postal_code":
        return draft.postal_code
    return None
