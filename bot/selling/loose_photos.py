"""Photos sent when no /post is going on. A seller often starts with the photo, so the bot
offers to start a listing with it (or add it to the draft in hand) instead of not
understanding. The photos wait in the seller's user_data until a button is pressed."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.buttons import StartWithPhotos, button, pressed
from bot.context import BotContext
from bot.selling import texts
from bot.selling.photos import IncomingPhoto, NotAPhoto, PhotoNotKept, incoming, keep_photo
from bot.selling.prompts import ask
from bot.selling.steps import EDITING, Step

LOOSE = "loose_photos"  # user_data: {"group": media group or None, "photos": [[…], …]}
MAX_HELD = 10  # an album's worth


async def photo_outside_flow(update: Update, context: BotContext) -> None:
    message = update.effective_message
    try:
        found = incoming(message)
    except NotAPhoto:
        await message.reply_text(texts.NOT_A_PHOTO_FILE)
        return
    if found is None:
        return
    held = context.user_data.get(LOOSE)
    same_album = bool(held and message.media_group_id
                      and held["group"] == message.media_group_id)
    if not held:
        held = context.user_data[LOOSE] = {"group": None, "photos": []}
    held["group"] = message.media_group_id
    if len(held["photos"]) < MAX_HELD:
        held["photos"].append([found.file_id, found.file_unique_id, found.file_size,
                               found.as_photo])
    if same_album:
        return  # the album's first photo was answered
    draft = await context.services.drafts.get(update.effective_user.id)
    in_hand = draft is not None and bool(draft.photos or draft.title)
    rows = [[button("📦 Start a listing", StartWithPhotos(add=False))]]
    if in_hand:
        rows.append([button("➕ Add to my draft", StartWithPhotos(add=True))])
    several = bool(message.media_group_id) or len(held["photos"]) > 1  # an album: more coming
    title = (draft.title or "untitled item") if in_hand else None
    await message.reply_text(texts.loose_photos(several, title),
                             reply_markup=InlineKeyboardMarkup(rows))


async def start_with_photos(update: Update, context: BotContext) -> Step | None:
    """📦 Start a listing / ➕ Add to my draft: the held photos go into the draft, then the
    photo step, where more can follow."""
    query = update.callback_query
    choice = pressed(update, StartWithPhotos)
    held = context.user_data.pop(LOOSE, None)
    if not held or not held["photos"]:
        await query.answer(texts.LOOSE_PHOTOS_GONE, show_alert=True)
        return None
    await query.answer()
    await query.edit_message_reply_markup(None)
    telegram_id = update.effective_user.id
    drafts = context.services.drafts
    draft = await drafts.get(telegram_id) if choice.add else None
    if draft is None:
        draft = await drafts.start(telegram_id)
    context.user_data.pop(EDITING, None)
    for file_id, unique, size, as_photo in held["photos"]:
        try:
            await keep_photo(context, draft, IncomingPhoto(file_id, unique, size, as_photo))
        except PhotoNotKept as refused:
            await context.bot.send_message(update.effective_chat.id, refused.message)
        draft = await drafts.get(telegram_id) or draft
    return await ask(update, context, Step.PHOTOS)
