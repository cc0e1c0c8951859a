"""/post's photo step: photos or image files come in, are checked, cleaned and kept with the
draft, and an album is answered once.

Every photo is checked against the strictest rules of the seller's marketplaces as it arrives,
so a photo that no marketplace could use is refused at once, with a reason, and the rest stay.
What is kept on disk is already cleaned (upright, no metadata, no GPS), scaled to the largest
size any marketplace wants; each adapter scales it further to its own rules when publishing.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

from telegram import Message, Update
from telegram.error import TelegramError

from bot.buttons import CoverPhoto, PhotosDone, RemovePhoto
from bot.context import BotContext
from bot.selling import texts
from bot.selling.prompts import advance, done_button, photo_manager
from bot.selling.steps import Step, combined_rules, current_draft, draft_pressed, rules_for
from marketplaces.base import Rules
from marketplaces.photos import PhotoRejected, check, prepare_async
from storage.drafts import Draft, PhotoAdded

log = logging.getLogger(__name__)

ALBUM_SETTLE_SECONDS = 1.0
ALBUM_RECHECK_SECONDS = 0.25  # while photos of the album that arrived are still being handled
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024
IMAGE_MIME_TYPES = frozenset({
    "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/avif",
    "image/gif",
})
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".avif", ".gif")


@dataclass(frozen=True)
class IncomingPhoto:
    file_id: str
    file_unique_id: str
    file_size: int | None
    as_photo: bool  # sent as a photo (its file id can be shown again), not as a file


class NotAPhoto(Exception):
    """A document that is not an image; the seller is told what to send instead."""


def incoming(message: Message) -> IncomingPhoto | None:
    """The photo in a message: the largest size of a photo, or an image sent as a file."""
    if message.photo:
        largest = message.photo[-1]
        return IncomingPhoto(largest.file_id, largest.file_unique_id, largest.file_size, True)
    document = message.document
    if document is None:
        return None
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    if mime not in IMAGE_MIME_TYPES and not name.endswith(IMAGE_SUFFIXES):
        raise NotAPhoto(document.file_name or "file")
    return IncomingPhoto(document.file_id, document.file_unique_id, document.file_size, False)


async def clean(data: bytes, each: list[Rules]) -> tuple[bytes, int, int]:
    """Check and clean one photo for every marketplace in play; PhotoRejected carries the
    sentence for the seller, naming the marketplace whose rule the photo breaks."""
    for own in each:  # each refusal names the marketplace whose rule it is
        check(data, own)
    cleaned = await prepare_async(data, combined_rules(each))
    info = None
    for own in each:
        info = check(cleaned, own)
    if info is None:  # no marketplace in play: the photo must still be one
        info = check(cleaned, combined_rules(each))
    return cleaned, info.width, info.height


class PhotoNotKept(Exception):
    """A photo that was not added; `message` tells the seller why, and what works."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def keep_photo(
    context: BotContext, draft: Draft, found: IncomingPhoto
) -> tuple[PhotoAdded, int]:
    """Download, check and clean one photo and add it to `draft`; PhotoNotKept says why not.
    Also returns how many photos the marketplaces in play take."""
    telegram_id = draft.telegram_id
    each = await rules_for(context, telegram_id, draft.marketplaces)
    rules = combined_rules(each)
    if len(draft.photos) >= rules.photo_max:
        raise PhotoNotKept(texts.photo_limit_reached(rules.photo_max))
    if found.file_size and found.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        raise PhotoNotKept(texts.FILE_TOO_BIG)
    try:
        file = await context.bot.get_file(found.file_id)
        data = bytes(await file.download_as_bytearray())
        cleaned, width, height = await clean(data, each)
    except PhotoRejected as refused:
        raise PhotoNotKept(texts.photo_refused(refused.message)) from None
    except TelegramError as exc:
        log.warning("download of a photo for user %s failed: %s", telegram_id, exc)
        raise PhotoNotKept(texts.FILE_TOO_BIG if "too big" in str(exc) else
                           texts.photo_refused("Telegram couldn't give it to me.")) from None
    added = await context.services.drafts.add_photo(
        telegram_id, found.file_unique_id, found.file_id, cleaned, width, height,
        photo_file_id=found.file_id if found.as_photo else None,
    )
    return added, rules.photo_max


async def photo_received(update: Update, context: BotContext) -> Step:
    message = update.effective_message
    try:
        return await _photo_received(update, context)
    finally:
        if message.media_group_id:  # kept or refused, this album photo has been handled
            ALBUMS.settle(context, update.effective_chat.id, update.effective_user.id,
                          message.media_group_id, update.update_id)


async def _photo_received(update: Update, context: BotContext) -> Step:
    message = update.effective_message
    telegram_id = update.effective_user.id
    try:
        found = incoming(message)
    except NotAPhoto:
        await message.reply_text(texts.NOT_A_PHOTO_FILE)
        return Step.PHOTOS
    if found is None:
        return Step.PHOTOS
    draft = await current_draft(context, telegram_id)
    try:
        added, limit = await keep_photo(context, draft, found)
    except PhotoNotKept as refused:
        await message.reply_text(refused.message)
        return Step.PHOTOS
    if message.media_group_id:
        return Step.PHOTOS  # the album is answered once, when all of it is in (AlbumAnswers)
    if added is PhotoAdded.SAME_PICTURE:
        await message.reply_text(
            texts.photo_already_there(len(draft.photos), limit), reply_markup=done_button(draft),
        )
    elif added is PhotoAdded.ADDED:
        await message.reply_text(
            texts.photos_added(len(draft.photos) + 1, limit, 1), reply_markup=done_button(draft),
        )
    return Step.PHOTOS


class AlbumAnswers:
    """One answer per album. Telegram sends an album as N updates with no count, and under load
    its photos may be handled seconds apart. The answer waits until every photo of the album
    that has arrived (the inbox counts them) has been handled and none has come for a moment,
    however slow the photos are; a photo that still comes later edits that answer instead of
    adding one. In memory on purpose: after a restart a late photo gets a fresh answer."""

    def __init__(self) -> None:
        self.last_photo: dict[str, float] = {}
        self.handled: dict[str, set[int]] = {}  # group → update ids handled
        self.answer: dict[str, int] = {}  # group → the answer's message id
        self.answering: set[str] = set()  # groups whose answer is being sent right now

    def settle(self, context: BotContext, chat_id: int, telegram_id: int, group: str,
               update_id: int) -> None:
        self.last_photo[group] = time.monotonic()
        self.handled.setdefault(group, set()).add(update_id)
        name = f"album:{chat_id}:{group}"
        if not context.job_queue.get_jobs_by_name(name):
            context.job_queue.run_once(
                self._settled, ALBUM_SETTLE_SECONDS, chat_id=chat_id, user_id=telegram_id,
                name=name, data=group,
            )

    async def _settled(self, context: BotContext) -> None:
        job = context.job
        group = str(job.data)
        arrived, last_arrival = context.application.inbox.albums.arrived(group)
        waiting = arrived - self.handled.get(group, set())
        quiet_for = time.monotonic() - max(self.last_photo.get(group, 0.0), last_arrival)
        # More of it to come, or its answer still on its way (a photo handled meanwhile
        # scheduled this check; under load a send takes seconds): wait, then edit that answer.
        if waiting or quiet_for < ALBUM_SETTLE_SECONDS or group in self.answering:
            context.job_queue.run_once(
                self._settled, max(ALBUM_SETTLE_SECONDS - quiet_for, ALBUM_RECHECK_SECONDS),
                chat_id=job.chat_id, user_id=job.user_id, name=job.name, data=group,
            )
            return
        self.answering.add(group)
        try:
            await self._answer(context, group)
        finally:
            self.answering.discard(group)

    async def _answer(self, context: BotContext, group: str) -> None:
        """Send the album's answer, or edit the one sent for it before."""
        job = context.job
        draft = await context.services.drafts.get(job.user_id)
        if draft is None:
            return
        rules = combined_rules(await rules_for(context, job.user_id, draft.marketplaces))
        text = texts.ask_photos(len(draft.photos), rules.photo_max)
        markup = done_button(draft)
        if group in self.answer:
            with contextlib.suppress(TelegramError):  # "not modified" when nothing changed
                await context.bot.edit_message_text(
                    text, chat_id=job.chat_id, message_id=self.answer[group], reply_markup=markup
                )
            return
        message = await context.bot.send_message(job.chat_id, text, reply_markup=markup)
        self.answer[group] = message.message_id
        if len(self.answer) > 10_000:  # forget the oldest albums
            for stale in list(self.answer)[:5_000]:
                self.answer.pop(stale, None)
                self.last_photo.pop(stale, None)
                self.handled.pop(stale, None)


ALBUMS = AlbumAnswers()


async def photos_done(update: Update, context: BotContext) -> Step:
    found = await draft_pressed(update, context, PhotosDone)
    if found is None:
        return Step.PHOTOS
    _, draft = found
    if not draft.photos:
        await update.callback_query.answer(texts.NEED_A_PHOTO, show_alert=True)
        return Step.PHOTOS
    await update.callback_query.answer()
    return await advance(update, context)


async def photo_removed(update: Update, context: BotContext) -> Step:
    """🗑 N on ✏️ Photos: that photo leaves the draft; the same message shows what is left."""
    return await _change_photo(update, context, RemovePhoto)


async def photo_to_front(update: Update, context: BotContext) -> Step:
    """⭐ N on ✏️ Photos: that photo becomes the cover; the same message shows the new order."""
    return await _change_photo(update, context, CoverPhoto)


async def _change_photo(
    update: Update, context: BotContext, kind: type[RemovePhoto] | type[CoverPhoto]
) -> Step:
    found = await draft_pressed(update, context, kind)
    if found is None:
        return Step.PHOTOS
    pressed, draft = found
    query = update.callback_query
    telegram_id = update.effective_user.id
    numbered = [(n, photo) for n, photo in enumerate(draft.photos, 1)
                if photo.file_unique_id.endswith(pressed.photo)]
    if not numbered:
        await query.answer(texts.PHOTO_GONE)
        return Step.PHOTOS
    number, photo = numbered[0]
    drafts = context.services.drafts
    if isinstance(pressed, RemovePhoto):
        await drafts.remove_photo(telegram_id, photo.file_unique_id)
        done = texts.photo_removed(number)
    else:
        await drafts.move_to_front(telegram_id, photo.file_unique_id)
        done = texts.photo_made_cover(number)
    await query.answer()
    draft = await drafts.get(telegram_id) or draft
    limit = combined_rules(await rules_for(context, telegram_id, draft.marketplaces)).photo_max
    await query.edit_message_text(texts.manage_photos(len(draft.photos), limit, done),
                                  reply_markup=photo_manager(draft) if draft.photos else None)
    return Step.PHOTOS
