"""What /post asks at each step: the prompt, its buttons, and the preview card.

Every button carries the draft's version (bot/buttons.py), so one pressed after the seller has
moved to another draft changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import (
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest

from bot.buttons import (
    Back,
    CancelDraft,
    CoverPhoto,
    EditField,
    MarketplacesChosen,
    PhotosDone,
    PostDraft,
    RemovePhoto,
    SkipDescription,
    ToggleMarketplace,
    button,
)
from bot.buttons import ConnectMenu as ConnectFirst
from bot.context import BotContext
from bot.parsing import format_price
from bot.selling import marketplace_prompts, requirements, texts
from bot.selling.steps import (
    DEFAULT_DESCRIPTION_MAX,
    DEFAULT_TITLE_MAX,
    EDITING,
    MAX_PHOTOS,
    ON_SCREEN,
    PHOTOS_SHOWN,
    Step,
    combined_rules,
    current_draft,
    offered,
    rules_for,
    strictest,
)
from storage.drafts import Draft

log = logging.getLogger(__name__)

BACK_LABEL = "« Back"
EDITABLE = ("Photos", "Title", "Price", "Condition", "Description", "Category", "Location",
            "Marketplaces")  # the preview's ✏️ buttons, three to a row


# The steps whose prompt depends on what the marketplaces in play ask (marketplace_prompts.py)
MARKETPLACE_PROMPTS: dict[Step, Callable[[Update, BotContext, Draft], Awaitable[None]]] = {
    Step.CATEGORY: marketplace_prompts.ask_category,
    Step.CONDITION: marketplace_prompts.ask_condition,
    Step.CONDITION_NOTE: marketplace_prompts.ask_condition_note,
    Step.ASPECTS: marketplace_prompts.ask_aspects,
    Step.PRICE: marketplace_prompts.ask_price,
    Step.PACKAGE: marketplace_prompts.ask_package,
}


def done_button(draft: Draft) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button("Done ✅", PhotosDone(draft.version))]])


def photo_manager(draft: Draft) -> InlineKeyboardMarkup:
    """🗑 N and ⭐ N for each photo, four to a row, then Done."""
    def rows(buttons: list) -> list[list]:
        return [buttons[i:i + 4] for i in range(0, len(buttons), 4)]

    ids = [photo.file_unique_id[-PHOTO_ID_CHARS:] for photo in draft.photos]
    remove = [button(f"🗑 {n}", RemovePhoto(draft.version, i)) for n, i in enumerate(ids, 1)]
    cover = [button(f"⭐ {n}", CoverPhoto(draft.version, i)) for n, i in enumerate(ids, 1)][1:]
    return InlineKeyboardMarkup([*rows(remove), *rows(cover),
                                 [button("Done ✅", PhotosDone(draft.version))]])


PHOTO_ID_CHARS = 16  # of a file_unique_id, in a photo's buttons (64 bytes of callback data)


def _back_only(draft: Draft) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(BACK_LABEL, Back(draft.version))]])


async def ask(update: Update, context: BotContext, step: Step) -> Step:
    """Send the prompt of `step` and return it as the conversation's new state."""
    telegram_id = update.effective_user.id
    chat_id = update.effective_chat.id
    context.user_data[ON_SCREEN] = int(step)  # what « Back steps back from
    draft = await current_draft(context, telegram_id)
    rules = await rules_for(context, telegram_id, draft.marketplaces)
    send = context.bot.send_message
    back = button(BACK_LABEL, Back(draft.version))
    if step is Step.PHOTOS:
        limit = combined_rules(rules).photo_max if rules else MAX_PHOTOS
        if context.user_data.get(EDITING) and draft.photos:  # ✏️ Photos: one at a time
            await send(chat_id, texts.manage_photos(len(draft.photos), limit),
                       reply_markup=photo_manager(draft))
        else:
            await send(chat_id, texts.ask_photos(len(draft.photos), limit),
                       reply_markup=done_button(draft) if draft.photos else None)
    elif step is Step.TITLE:
        limit, reason = strictest(rules, "title_max", DEFAULT_TITLE_MAX)
        await send(chat_id, texts.ask_title(limit, reason), reply_markup=_back_only(draft))
    elif step is Step.DESCRIPTION:
        limit, _ = strictest(rules, "description_max", DEFAULT_DESCRIPTION_MAX)
        await send(chat_id, texts.ask_description(limit), reply_markup=InlineKeyboardMarkup(
            [[button("Skip", SkipDescription(draft.version))], [back]]))
    elif step is Step.LOCATION:
        saved = await context.services.drafts.saved_location(telegram_id)
        remembered = saved.postal_code if saved else None
        zip_for = requirements.postal_code_owner(rules)
        keyboard = [] if zip_for else [
            [KeyboardButton("📍 Share my location", request_location=True)]]
        if remembered:
            keyboard.append([KeyboardButton(remembered)])
        keyboard.append([KeyboardButton(BACK_LABEL)])  # a reply keyboard: Back is typed
        await send(chat_id, texts.ask_location(remembered, zip_for=zip_for),
                   reply_markup=ReplyKeyboardMarkup(keyboard, one_time_keyboard=True,
                                                    resize_keyboard=True))
    elif step is Step.MARKETPLACES:
        await _ask_marketplaces(update, context, draft)
    elif step is Step.PREVIEW:
        await _send_preview(update, context, draft)
    else:
        await MARKETPLACE_PROMPTS[step](update, context, draft)
    return step


async def advance(update: Update, context: BotContext) -> Step:
    """After a step is saved: the next thing the draft lacks (the preview once it lacks
    nothing, which is where an edit from the preview returns)."""
    context.user_data.pop(EDITING, None)
    query = update.callback_query
    if query is not None and query.message is not None and query.message.reply_markup:
        # The prompt whose button was pressed is answered: its buttons go.
        with contextlib.suppress(BadRequest):  # already edited by the handler
            await query.edit_message_reply_markup(None)
    return await ask(
        update, context, await requirements.first_missing(context, update.effective_user.id)
    )


async def _ask_marketplaces(update: Update, context: BotContext, draft: Draft) -> None:
    telegram_id = update.effective_user.id
    available, usual = await offered(context, telegram_id)
    chosen = draft.marketplaces if draft.marketplaces is not None else usual
    if draft.marketplaces is None:
        await context.services.drafts.update(telegram_id, marketplaces=chosen)
    services = context.services
    to_connect = [] if any(name in services.marketplaces for name in available) else [
        adapter.display_name for adapter in services.marketplaces.values()]
    await context.bot.send_message(
        update.effective_chat.id,
        texts.ask_marketplaces(has_kits=bool(services.kits), to_connect=to_connect),
        reply_markup=marketplace_keyboard(context, draft, available, chosen),
    )


def marketplace_keyboard(
    context: BotContext, draft: Draft, available: list[str], chosen: list[str]
) -> InlineKeyboardMarkup:
    """A toggle per marketplace (a kit's says so), Continue, and Connect when the seller has
    connected none of those posted by API."""
    services = context.services
    names = services.display_names()
    rows = [
        [button(f"{'✅' if name in chosen else '⬜'} {names[name]}"
                + (" · kit" if name in services.kits else ""),
                ToggleMarketplace(draft.version, name))]
        for name in available
    ]
    if not any(name in services.marketplaces for name in available):
        rows.append([button("Connect a marketplace", ConnectFirst())])
    rows.append([button("Continue »", MarketplacesChosen(draft.version))])
    rows.append([button(BACK_LABEL, Back(draft.version))])
    return InlineKeyboardMarkup(rows)


async def show_photos(context: BotContext, chat_id: int, draft: Draft) -> None:
    """The draft's photos above its preview, unless these very photos were the last shown.
    A photo that came as a file has a document's file id, which Telegram refuses as a photo:
    its cleaned JPEG is uploaded once and the photo file id Telegram returns is kept."""
    photos = draft.photos[:10]
    shown = [draft.version, [p.file_unique_id for p in photos]]
    if not photos or context.user_data.get(PHOTOS_SHOWN) == shown:
        return
    media = [p.photo_file_id or await asyncio.to_thread(p.path.read_bytes) for p in photos]
    if len(photos) >= 2:
        sent = await context.bot.send_media_group(
            chat_id, [InputMediaPhoto(m, filename=f"photo{n}.jpg") for n, m in enumerate(media, 1)]
        )
    else:
        sent = (await context.bot.send_photo(chat_id, media[0], filename="photo1.jpg"),)
    uploaded = {p.file_unique_id: message.photo[-1].file_id
                for p, message in zip(photos, sent, strict=True)
                if p.photo_file_id is None and message.photo}
    if uploaded:
        await context.services.drafts.remember_photo_file_ids(draft.telegram_id, uploaded)
    context.user_data[PHOTOS_SHOWN] = shown


async def _send_preview(update: Update, context: BotContext, draft: Draft) -> None:
    chat_id = update.effective_chat.id
    await show_photos(context, chat_id, draft)
    known = context.services.display_names()
    names = [known[m] + (" (kit)" if m in context.services.kits else "")
             for m in (draft.marketplaces or []) if m in known]
    price = format_price(draft.price_cents) if draft.price_cents else "—"
    editable = list(EDITABLE)
    if await requirements.applies(context, draft, Step.ASPECTS):
        editable.append("Item specifics")
    if await requirements.applies(context, draft, Step.PACKAGE):
        editable.append("Package")
    edits = [button(f"✏️ {label}", EditField(draft.version, label.lower())) for label in editable]
    keyboard = [edits[i:i + 3] for i in range(0, len(edits), 3)]
    keyboard.append([button("✅ Post", PostDraft(draft.version)),
                     button("✖️ Cancel", CancelDraft(draft.version))])
    await context.bot.send_message(
        chat_id,
        texts.preview(draft, price, names, location_text(draft),
                      await requirements.condition_name(context, draft)),
        reply_markup=InlineKeyboardMarkup(keyboard),
    )


def location_text(draft: Draft) -> str | None:
    if draft.postal_code:
        return draft.postal_code
    if draft.latitude is not None and draft.longitude is not None:
        return f"{draft.latitude:.3f}, {draft.longitude:.3f}"
    return None
