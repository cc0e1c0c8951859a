"""/post: from photos to a confirmed listing, one step at a time, saved at every step.

Each step asks, takes the answer, saves it to the draft and moves on; after an edit from the
preview it returns to the preview. The conversation state is persisted by PTB (SQLite), the draft
by us, so a restart resumes exactly where the seller was.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from enum import IntEnum

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.context import BotContext
from bot.parsing import (
    InputRejected,
    format_price,
    normalize_text,
    parse_postal_code,
    parse_price,
)
from bot.post import photos, texts
from bot.post.photos import NotAPhoto, PhotoRejected
from marketplaces.base import Rules
from storage.drafts import Draft, PhotoAdded

log = logging.getLogger(__name__)

ALBUM_SETTLE_SECONDS = 1.0
DEFAULT_TITLE_MAX = 80
DEFAULT_DESCRIPTION_MAX = 4000


class Step(IntEnum):
    RESUME = 0
    PHOTOS = 1
    TITLE = 2
    PRICE = 3
    CONDITION = 4
    DESCRIPTION = 5
    CATEGORY = 6
    LOCATION = 7
    MARKETPLACES = 8
    PREVIEW = 9


ORDER = [Step.PHOTOS, Step.TITLE, Step.PRICE, Step.CONDITION, Step.DESCRIPTION, Step.CATEGORY,
         Step.LOCATION, Step.MARKETPLACES, Step.PREVIEW]
WAITING_FOR = {
    Step.RESUME: "you to choose: continue the draft or start fresh",
    Step.PHOTOS: "photos of the item (or tap Done)",
    Step.TITLE: "the item's title, as text",
    Step.PRICE: "the price, like 25 or $1,200",
    Step.DESCRIPTION: "a description, as text (or tap Skip)",
    Step.CATEGORY: "a category: tap one or type your own",
    Step.CONDITION: "you to pick the condition with a button",
    Step.LOCATION: "a ZIP code or your location",
    Step.MARKETPLACES: "you to choose marketplaces with the buttons",
    Step.PREVIEW: "you to tap Post, or a field to change it",
}
EDITING = "post_editing"  # user_data flag: after this step, go back to the preview
SUGGESTIONS = "post_categories"  # user_data: the category names offered as buttons
ON_SCREEN = "post_step"  # user_data: the step whose prompt was sent last
COMMON_CATEGORIES = ("Clothing", "Shoes", "Electronics", "Furniture", "Home & Garden",
                     "Toys & Games", "Collectibles", "Sports", "Tools", "Other")


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"p:{data}")


BACK_LABEL = "« Back"
BACK = _button(BACK_LABEL, "back")


# ── Reading the seller's setup ────────────────────────────────────────────────────────────────


async def _connected(context: BotContext, telegram_id: int) -> list[str]:
    services = context.services
    accounts = await services.accounts.for_seller(telegram_id)
    return [
        a.marketplace for a in accounts
        if a.marketplace in services.marketplaces and a.status == "connected"
    ]


async def _rules(
    context: BotContext, telegram_id: int, chosen: list[str] | None = None
) -> list[Rules]:
    """Rules of the marketplaces that matter: those chosen, else those connected, else all."""
    adapters = context.services.marketplaces
    names = chosen or await _connected(context, telegram_id) or list(adapters)
    return [adapters[name].rules for name in names if name in adapters]


def _strictest(rules: list[Rules], attribute: str, default: int) -> tuple[int, str | None]:
    if not rules:
        return default, None
    tightest = min(rules, key=lambda r: getattr(r, attribute))
    names = {r.marketplace for r in rules}
    reason = None
    if len(names) > 1 or getattr(tightest, attribute) < default:
        reason = _display(tightest.marketplace)
    return getattr(tightest, attribute), reason


def _display(marketplace: str) -> str:
    return {"ebay": "eBay", "facebook": "Facebook", "offerup": "OfferUp"}.get(
        marketplace, marketplace
    )


async def _draft(context: BotContext, telegram_id: int) -> Draft:
    draft = await context.services.drafts.get(telegram_id)
    return draft if draft is not None else await context.services.drafts.start(telegram_id)


def _location_text(draft: Draft) -> str | None:
    if draft.postal_code:
        return draft.postal_code
    if draft.latitude is not None and draft.longitude is not None:
        return f"{draft.latitude:.3f}, {draft.longitude:.3f}"
    return None


# ── Asking ────────────────────────────────────────────────────────────────────────────────────


async def ask(update: Update, context: BotContext, step: Step) -> Step:
    """Send the prompt of `step` and return it as the conversation's new state."""
    telegram_id = update.effective_user.id
    chat = update.effective_chat
    context.user_data[ON_SCREEN] = int(step)  # what « Back steps back from
    draft = await _draft(context, telegram_id)
    rules = await _rules(context, telegram_id, draft.marketplaces)
    send = context.bot.send_message
    if step is Step.PHOTOS:
        limit = photos.combined_rules(rules).photo_max if rules else photos.MAX_PHOTOS
        buttons = [[_button("Done ✅", "done")]] if draft.photos else []
        await send(chat.id, texts.ask_photos(len(draft.photos), limit),
                   reply_markup=InlineKeyboardMarkup(buttons) if buttons else None)
    elif step is Step.TITLE:
        limit, reason = _strictest(rules, "title_max", DEFAULT_TITLE_MAX)
        await send(chat.id, texts.ask_title(limit, reason), reply_markup=_back_only())
    elif step is Step.PRICE:
        await send(chat.id, texts.ask_price(), reply_markup=_back_only())
    elif step is Step.CONDITION:
        accepted = set.intersection(*(set(r.conditions) for r in rules)) if rules else None
        row = [
            _button(label, f"c:{key}") for key, label in texts.CONDITIONS.items()
            if accepted is None or key in {c.value for c in accepted}
        ]
        await send(chat.id, texts.ask_condition(),
                   reply_markup=InlineKeyboardMarkup([row[:3], row[3:], [BACK]]))
    elif step is Step.DESCRIPTION:
        limit, _ = _strictest(rules, "description_max", DEFAULT_DESCRIPTION_MAX)
        await send(chat.id, texts.ask_description(limit),
                   reply_markup=InlineKeyboardMarkup([[_button("Skip", "skip")], [BACK]]))
    elif step is Step.CATEGORY:
        await _ask_category(update, context, draft)
    elif step is Step.LOCATION:
        saved = await context.services.drafts.saved_location(telegram_id)
        remembered = saved.postal_code if saved else None
        keyboard = [[KeyboardButton("📍 Share my location", request_location=True)]]
        if remembered:
            keyboard.append([KeyboardButton(remembered)])
        keyboard.append([KeyboardButton(BACK_LABEL)])  # a reply keyboard: Back is typed
        await send(chat.id, texts.ask_location(remembered),
                   reply_markup=ReplyKeyboardMarkup(keyboard, one_time_keyboard=True,
                                                    resize_keyboard=True))
    elif step is Step.MARKETPLACES:
        await _ask_marketplaces(update, context, draft)
    elif step is Step.PREVIEW:
        await _send_preview(update, context, draft)
    return step


def _back_only() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[BACK]])


async def _ask_category(update: Update, context: BotContext, draft: Draft) -> None:
    suggestions: list[tuple[str, str | None]] = []  # (name, ebay id)
    ebay = context.services.marketplaces.get("ebay")
    wanted = draft.marketplaces or await _connected(context, update.effective_user.id)
    if ebay is not None and draft.title and "ebay" in wanted:
        try:
            found = await ebay.suggest_categories(draft.title)  # type: ignore[attr-defined]
            suggestions = [(name, category_id) for category_id, name in found[:4]]
        except Exception as exc:  # suggestions are a convenience; typing one always works
            log.warning("category suggestions failed: %s", type(exc).__name__)
    names = [name for name, _ in suggestions]
    for common in _common_for(draft.title or ""):
        if common not in names and len(names) < 6:
            names.append(common)
            suggestions.append((common, None))
    context.user_data[SUGGESTIONS] = [[name, category_id] for name, category_id in suggestions]
    rows = [[_button(name, f"cat:{i}")] for i, (name, _) in enumerate(suggestions)]
    await context.bot.send_message(
        update.effective_chat.id,
        texts.ask_category(suggestions[0][0] if suggestions else None),
        reply_markup=InlineKeyboardMarkup([*rows, [BACK]]),
    )


def _common_for(title: str) -> list[str]:
    words = title.lower()
    hints = {
        "Shoes": ("shoe", "sneaker", "boot", "heel"),
        "Clothing": ("shirt", "jacket", "dress", "jeans", "coat", "sweater"),
        "Electronics": ("phone", "laptop", "camera", "tv", "speaker", "console"),
        "Furniture": ("chair", "table", "desk", "sofa", "dresser", "shelf"),
        "Home & Garden": ("lamp", "vase", "rug", "mirror", "planter"),
        "Toys & Games": ("lego", "toy", "game", "puzzle"),
        "Tools": ("drill", "saw", "wrench", "tool"),
        "Sports": ("bike", "ball", "golf", "racket", "skate"),
    }
    ranked = [name for name, keys in hints.items() if any(k in words for k in keys)]
    return ranked + [c for c in COMMON_CATEGORIES if c not in ranked]


async def _ask_marketplaces(update: Update, context: BotContext, draft: Draft) -> None:
    telegram_id = update.effective_user.id
    connected = await _connected(context, telegram_id)
    if not connected:
        await context.bot.send_message(
            update.effective_chat.id, texts.NO_MARKETPLACES,
            reply_markup=InlineKeyboardMarkup([
                [InlineKeyboardButton("Connect a marketplace", callback_data="cn:back")],
                [BACK],
            ]),
        )
        return
    chosen = draft.marketplaces if draft.marketplaces is not None else connected
    if draft.marketplaces is None:
        await context.services.drafts.update(telegram_id, marketplaces=chosen)
    await context.bot.send_message(
        update.effective_chat.id, texts.ask_marketplaces(connected),
        reply_markup=_marketplace_keyboard(context, connected, chosen),
    )


def _marketplace_keyboard(
    context: BotContext, connected: list[str], chosen: list[str]
) -> InlineKeyboardMarkup:
    adapters = context.services.marketplaces
    rows = [
        [_button(f"{'✅' if name in chosen else '⬜'} {adapters[name].display_name}", f"mp:{name}")]
        for name in connected
    ]
    rows.append([_button("Continue »", "mpok")])
    rows.append([BACK])
    return InlineKeyboardMarkup(rows)


async def _send_preview(update: Update, context: BotContext, draft: Draft) -> None:
    chat_id = update.effective_chat.id
    adapters = context.services.marketplaces
    if len(draft.photos) >= 2:
        await context.bot.send_media_group(
            chat_id, [InputMediaPhoto(p.file_id) for p in draft.photos[:10]]
        )
    elif draft.photos:
        await context.bot.send_photo(chat_id, draft.photos[0].file_id)
    names = [adapters[m].display_name for m in (draft.marketplaces or []) if m in adapters]
    price = format_price(draft.price_cents) if draft.price_cents else "—"
    edit = [
        [_button("✏️ Photos", "e:photos"), _button("✏️ Title", "e:title"),
         _button("✏️ Price", "e:price")],
        [_button("✏️ Condition", "e:condition"), _button("✏️ Description", "e:description"),
         _button("✏️ Category", "e:category")],
        [_button("✏️ Location", "e:location"), _button("✏️ Marketplaces", "e:marketplaces")],
        [_button("✅ Post", "post"), _button("✖️ Cancel", "stop")],
    ]
    await context.bot.send_message(
        chat_id, texts.preview(draft, price, names, _location_text(draft)),
        reply_markup=InlineKeyboardMarkup(edit),
    )


# ── Moving on ─────────────────────────────────────────────────────────────────────────────────


async def _needs_location(context: BotContext, draft: Draft, telegram_id: int) -> bool:
    rules = await _rules(context, telegram_id, draft.marketplaces)
    return any(r.location_required for r in rules) and not draft.has_location


async def first_missing(context: BotContext, telegram_id: int) -> Step:
    """The step a draft resumes at: the first thing it lacks, else the preview."""
    draft = await _draft(context, telegram_id)
    if not draft.photos:
        return Step.PHOTOS
    if not draft.title:
        return Step.TITLE
    if not draft.price_cents:
        return Step.PRICE
    if not draft.condition:
        return Step.CONDITION
    if not draft.description_set:
        return Step.DESCRIPTION
    if not draft.category:
        return Step.CATEGORY
    if await _needs_location(context, draft, telegram_id):
        return Step.LOCATION
    if not draft.marketplaces:
        return Step.MARKETPLACES
    return Step.PREVIEW


async def advance(update: Update, context: BotContext) -> Step:
    """After a step is saved: back to the preview when editing, else the next missing step."""
    telegram_id = update.effective_user.id
    if context.user_data.pop(EDITING, False):
        missing = await first_missing(context, telegram_id)
        return await ask(update, context, missing)
    return await ask(update, context, await first_missing(context, telegram_id))


# ── Entry, resume, cancel ─────────────────────────────────────────────────────────────────────


async def start_post(update: Update, context: BotContext) -> Step:
    telegram_id = update.effective_user.id
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data.pop(EDITING, None)
    draft = await context.services.drafts.get(telegram_id)
    if draft is not None and (draft.photos or draft.title):
        # The offer is on screen now, not the step before it: a crash after Continue must
        # leave a later prompt's buttons "ahead" of what is saved, never "moved on".
        context.user_data[ON_SCREEN] = int(Step.RESUME)
        await context.bot.send_message(
            update.effective_chat.id, texts.resume_offer(draft),
            reply_markup=InlineKeyboardMarkup([[
                _button("Continue", "cont"), _button("Start fresh", "fresh"),
            ]]),
        )
        return Step.RESUME
    await context.services.drafts.start(telegram_id)
    return await ask(update, context, Step.PHOTOS)


async def resume(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    await query.answer()
    telegram_id = update.effective_user.id
    if query.data == "p:fresh":
        await context.services.drafts.start(telegram_id)
        return await ask(update, context, Step.PHOTOS)
    return await ask(update, context, await first_missing(context, telegram_id))


async def cancel(update: Update, context: BotContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data.pop(EDITING, None)
    await context.bot.send_message(
        update.effective_chat.id, texts.CANCELLED, reply_markup=ReplyKeyboardRemove()
    )
    return ConversationHandler.END


async def location_back(update: Update, context: BotContext) -> Step:
    await update.effective_message.reply_text("OK.", reply_markup=ReplyKeyboardRemove())
    return await back(update, context)


async def back(update: Update, context: BotContext) -> Step:
    """« Back: the step before the one on screen (the state says which that is)."""
    if update.callback_query:
        await update.callback_query.answer()
    current = Step(context.user_data.get(ON_SCREEN, Step.TITLE))
    index = ORDER.index(current) if current in ORDER else 1
    previous = ORDER[max(0, index - 1)]
    telegram_id = update.effective_user.id
    if previous is Step.LOCATION:
        draft = await _draft(context, telegram_id)
        rules = await _rules(context, telegram_id, draft.marketplaces)
        if not any(r.location_required for r in rules):
            previous = Step.CATEGORY
    return await ask(update, context, previous)


# ── Each step's answer ────────────────────────────────────────────────────────────────────────


async def photo_received(update: Update, context: BotContext) -> Step:
    message = update.effective_message
    telegram_id = update.effective_user.id
    try:
        found = photos.incoming(message)
    except NotAPhoto:
        await message.reply_text(texts.NOT_A_PHOTO_FILE)
        return Step.PHOTOS
    if found is None:
        return Step.PHOTOS
    draft = await _draft(context, telegram_id)
    rules = photos.combined_rules(await _rules(context, telegram_id, draft.marketplaces))
    if len(draft.photos) >= rules.photo_max:
        await message.reply_text(texts.photo_limit_reached(rules.photo_max))
        return Step.PHOTOS
    if found.file_size and found.file_size > photos.TELEGRAM_DOWNLOAD_LIMIT:
        await message.reply_text(texts.FILE_TOO_BIG)
        return Step.PHOTOS
    try:
        file = await context.bot.get_file(found.file_id)
        data = bytes(await file.download_as_bytearray())
        cleaned, width, height = await photos.clean(data, rules)
    except PhotoRejected as refused:
        await message.reply_text(texts.photo_refused(refused.message))
        return Step.PHOTOS
    except TelegramError as exc:
        log.warning("download of a photo for user %s failed: %s", telegram_id, exc)
        await message.reply_text(texts.FILE_TOO_BIG if "too big" in str(exc) else
                                 texts.photo_refused("Telegram couldn't give it to me."))
        return Step.PHOTOS
    added = await context.services.drafts.add_photo(
        telegram_id, found.file_unique_id, found.file_id, cleaned, width, height
    )
    if message.media_group_id:
        ALBUMS.settle(context, update.effective_chat.id, telegram_id, message.media_group_id)
    elif added is PhotoAdded.SAME_PICTURE:
        await message.reply_text(
            texts.photo_already_there(len(draft.photos), rules.photo_max),
            reply_markup=InlineKeyboardMarkup([[_button("Done ✅", "done")]]),
        )
    elif added is PhotoAdded.ADDED:
        count = len(draft.photos) + 1
        await message.reply_text(
            texts.photos_added(count, rules.photo_max, 1),
            reply_markup=InlineKeyboardMarkup([[_button("Done ✅", "done")]]),
        )
    return Step.PHOTOS


class AlbumAnswers:
    """One answer per album. Telegram sends an album as N updates with no count, and under load
    its photos may be processed seconds apart: the answer waits until the album has been quiet
    for a moment, and a photo that still arrives later edits that answer instead of adding one.
    In memory on purpose: after a restart a late photo simply gets a fresh answer."""

    def __init__(self) -> None:
        self.last_photo: dict[str, float] = {}
        self.answer: dict[str, int] = {}  # group → the answer's message id

    def settle(self, context: BotContext, chat_id: int, telegram_id: int, group: str) -> None:
        self.last_photo[group] = time.monotonic()
        name = f"album:{chat_id}:{group}"
        if not context.job_queue.get_jobs_by_name(name):
            context.job_queue.run_once(
                self._settled, ALBUM_SETTLE_SECONDS, chat_id=chat_id, user_id=telegram_id,
                name=name, data=group,
            )

    async def _settled(self, context: BotContext) -> None:
        job = context.job
        group = str(job.data)
        quiet_for = time.monotonic() - self.last_photo.get(group, 0.0)
        if quiet_for < ALBUM_SETTLE_SECONDS:  # more photos came meanwhile: wait for them
            context.job_queue.run_once(
                self._settled, ALBUM_SETTLE_SECONDS - quiet_for, chat_id=job.chat_id,
                user_id=job.user_id, name=job.name, data=group,
            )
            return
        draft = await context.services.drafts.get(job.user_id)
        if draft is None:
            return
        rules = photos.combined_rules(await _rules(context, job.user_id, draft.marketplaces))
        text = texts.ask_photos(len(draft.photos), rules.photo_max)
        markup = InlineKeyboardMarkup([[_button("Done ✅", "done")]])
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


ALBUMS = AlbumAnswers()


async def photos_done(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    draft = await _draft(context, update.effective_user.id)
    if not draft.photos:
        await query.answer(texts.NEED_A_PHOTO, show_alert=True)
        return Step.PHOTOS
    await query.answer()
    return await advance(update, context)


async def _text_answer(
    update: Update, context: BotContext, limit_of: str, default: int, *, multiline: bool
) -> str | None:
    """Clean the seller's text to the strictest chosen marketplace's limit, or say why not."""
    telegram_id = update.effective_user.id
    draft = await _draft(context, telegram_id)
    limit, reason = _strictest(await _rules(context, telegram_id, draft.marketplaces),
                               limit_of, default)
    try:
        return normalize_text(update.effective_message.text, max_length=limit,
                              multiline=multiline, limit_reason=reason)
    except InputRejected as refused:
        await update.effective_message.reply_text(refused.message)
        return None


async def title_received(update: Update, context: BotContext) -> Step:
    title = await _text_answer(update, context, "title_max", DEFAULT_TITLE_MAX, multiline=False)
    if title is None:
        return Step.TITLE
    await context.services.drafts.update(update.effective_user.id, title=title)
    return await advance(update, context)


async def price_received(update: Update, context: BotContext) -> Step:
    telegram_id = update.effective_user.id
    draft = await _draft(context, telegram_id)
    rules = await _rules(context, telegram_id, draft.marketplaces)
    low = max((r.price_min_cents for r in rules), default=1)  # every marketplace must take it
    high = min((r.price_max_cents for r in rules), default=100_000_000)
    try:
        cents = parse_price(update.effective_message.text, min_cents=low, max_cents=high)
    except InputRejected as refused:
        await update.effective_message.reply_text(refused.message)
        return Step.PRICE
    await context.services.drafts.update(update.effective_user.id, price_cents=cents)
    return await advance(update, context)


async def condition_chosen(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    condition = query.data.split(":", 2)[2]
    if condition not in texts.CONDITIONS:
        await query.answer(texts.MOVED_ON)
        return Step.CONDITION
    await query.answer(texts.CONDITIONS[condition])
    await context.services.drafts.update(update.effective_user.id, condition=condition)
    return await advance(update, context)


async def description_received(update: Update, context: BotContext) -> Step:
    description = await _text_answer(update, context, "description_max",
                                     DEFAULT_DESCRIPTION_MAX, multiline=True)
    if description is None:
        return Step.DESCRIPTION
    await context.services.drafts.update(
        update.effective_user.id, description=description, description_set=1
    )
    return await advance(update, context)


async def description_skipped(update: Update, context: BotContext) -> Step:
    await update.callback_query.answer()
    await context.services.drafts.update(
        update.effective_user.id, description="", description_set=1
    )
    return await advance(update, context)


async def category_chosen(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    offered = context.user_data.get(SUGGESTIONS) or []
    index = int(query.data.split(":", 2)[2])
    if index >= len(offered):
        await query.answer(texts.MOVED_ON)
        return Step.CATEGORY
    await query.answer()
    name, ebay_id = offered[index]
    await context.services.drafts.update(
        update.effective_user.id, category=name,
        category_ids={"ebay": ebay_id} if ebay_id else {},
    )
    return await advance(update, context)


async def category_typed(update: Update, context: BotContext) -> Step:
    try:
        name = normalize_text(update.effective_message.text, max_length=60, multiline=False,
                              field="category")
    except InputRejected as refused:
        await update.effective_message.reply_text(refused.message)
        return Step.CATEGORY
    await context.services.drafts.update(update.effective_user.id, category=name, category_ids={})
    return await advance(update, context)


async def location_shared(update: Update, context: BotContext) -> Step:
    location = update.effective_message.location
    telegram_id = update.effective_user.id
    await context.services.drafts.update(
        telegram_id, latitude=location.latitude, longitude=location.longitude, postal_code=None
    )
    await context.services.drafts.remember_location(
        telegram_id, None, location.latitude, location.longitude
    )
    await update.effective_message.reply_text("📍 Got it.", reply_markup=ReplyKeyboardRemove())
    return await advance(update, context)


async def postal_code_typed(update: Update, context: BotContext) -> Step:
    try:
        code = parse_postal_code(update.effective_message.text)
    except InputRejected as refused:
        await update.effective_message.reply_text(refused.message)
        return Step.LOCATION
    telegram_id = update.effective_user.id
    await context.services.drafts.update(
        telegram_id, postal_code=code, latitude=None, longitude=None
    )
    await context.services.drafts.remember_location(telegram_id, code, None, None)
    await update.effective_message.reply_text(
        f"📍 {code} it is.", reply_markup=ReplyKeyboardRemove()
    )
    return await advance(update, context)


async def marketplace_toggled(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    name = query.data.split(":", 2)[2]
    telegram_id = update.effective_user.id
    connected = await _connected(context, telegram_id)
    if name not in connected:
        await query.answer(texts.MOVED_ON)
        return Step.MARKETPLACES
    draft = await _draft(context, telegram_id)
    chosen = list(draft.marketplaces if draft.marketplaces is not None else connected)
    chosen = [m for m in chosen if m != name] if name in chosen else [*chosen, name]
    chosen = [m for m in connected if m in chosen]  # keep the display order
    await context.services.drafts.update(telegram_id, marketplaces=chosen)
    await query.answer()
    await query.edit_message_reply_markup(_marketplace_keyboard(context, connected, chosen))
    return Step.MARKETPLACES


async def marketplaces_confirmed(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    draft = await _draft(context, update.effective_user.id)
    if not draft.marketplaces:
        await query.answer(texts.CHOOSE_ONE, show_alert=True)
        return Step.MARKETPLACES
    await query.answer()
    return await advance(update, context)


async def edit_field(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    field = query.data.split(":", 2)[2]
    steps = {"photos": Step.PHOTOS, "title": Step.TITLE, "price": Step.PRICE,
             "condition": Step.CONDITION, "description": Step.DESCRIPTION,
             "category": Step.CATEGORY, "location": Step.LOCATION,
             "marketplaces": Step.MARKETPLACES}
    step = steps.get(field)
    if step is None:
        await query.answer(texts.MOVED_ON)
        return Step.PREVIEW
    await query.answer()
    context.user_data[EDITING] = True
    telegram_id = update.effective_user.id
    if step is Step.PHOTOS:
        await context.services.drafts.clear_photos(telegram_id)
    return await ask(update, context, step)


async def stale_button(update: Update, context: BotContext) -> None:
    """A /post button from an earlier step (or an old message): say so, change nothing."""
    await update.callback_query.answer(texts.MOVED_ON)


# Which step each /post button belongs to, to tell an old button from one ahead of the state.
BUTTON_STEPS = (
    ("p:done", Step.PHOTOS), ("p:c:", Step.CONDITION), ("p:skip", Step.DESCRIPTION),
    ("p:cat:", Step.CATEGORY), ("p:mp", Step.MARKETPLACES), ("p:e:", Step.PREVIEW),
    ("p:post", Step.PREVIEW), ("p:stop", Step.PREVIEW),
)


async def button_out_of_step(update: Update, context: BotContext) -> Step | None:
    """A button the current step doesn't take. From an earlier step: say so, change nothing.
    From a later step the draft is ready for, the screen is ahead of the saved state (the bot
    died after sending that prompt and before saving the step): ask it again, so the seller
    is not stuck."""
    data = update.callback_query.data or ""
    pressed = next((step for prefix, step in BUTTON_STEPS if data.startswith(prefix)), None)
    current = Step(context.user_data.get(ON_SCREEN, Step.PHOTOS))
    if (pressed is None or pressed <= current or context.user_data.get(EDITING)
            or await first_missing(context, update.effective_user.id) < pressed):
        await stale_button(update, context)  # old, or ahead of what the draft holds: forged
        return None
    await update.callback_query.answer()
    return await ask(update, context, pressed)


def waiting(step: Step) -> Callable[[Update, BotContext], Awaitable[Step]]:
    """A reply for input that belongs to no step: say what the bot is waiting for."""

    async def remind(update: Update, context: BotContext) -> Step:
        await update.effective_message.reply_text(texts.waiting_for(WAITING_FOR[step]))
        return step

    return remind


# The conversation is tracked per seller, not per message, on purpose: a button from an older
# message is answered by `stale_button` instead. PTB warns about exactly that choice.
warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)


def build(publish_handler: CallbackQueryHandler) -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    photo_input = filters.PHOTO | filters.Document.ALL
    anything = filters.ALL & ~filters.COMMAND
    stale = CallbackQueryHandler(button_out_of_step, pattern=r"^p:")
    back_handler = CallbackQueryHandler(back, pattern=r"^p:back$")
    resume_buttons = CallbackQueryHandler(resume, pattern=r"^p:(cont|fresh)$")
    return ConversationHandler(
        entry_points=[
            CommandHandler("post", start_post),
            # the deep link t.me/<bot>?start=post enters the conversation too
            CommandHandler("start", start_post, filters.Regex(r"^/start post$")),
            CallbackQueryHandler(start_post, pattern=r"^p:new$"),
            resume_buttons,
        ],
        states={
            Step.RESUME: [resume_buttons, MessageHandler(anything, waiting(Step.RESUME))],
            Step.PHOTOS: [MessageHandler(photo_input, photo_received),
                          CallbackQueryHandler(photos_done, pattern=r"^p:done$"),
                          MessageHandler(anything, waiting(Step.PHOTOS))],
            Step.TITLE: [MessageHandler(text, title_received), back_handler,
                         MessageHandler(anything, waiting(Step.TITLE))],
            Step.PRICE: [MessageHandler(text, price_received), back_handler,
                         MessageHandler(anything, waiting(Step.PRICE))],
            Step.CONDITION: [CallbackQueryHandler(condition_chosen, pattern=r"^p:c:\w+$"),
                             back_handler, MessageHandler(anything, waiting(Step.CONDITION))],
            Step.DESCRIPTION: [MessageHandler(text, description_received),
                               CallbackQueryHandler(description_skipped, pattern=r"^p:skip$"),
                               back_handler, MessageHandler(anything, waiting(Step.DESCRIPTION))],
            Step.CATEGORY: [CallbackQueryHandler(category_chosen, pattern=r"^p:cat:\d+$"),
                            MessageHandler(text, category_typed), back_handler,
                            MessageHandler(anything, waiting(Step.CATEGORY))],
            Step.LOCATION: [MessageHandler(filters.LOCATION, location_shared),
                            MessageHandler(filters.Text([BACK_LABEL]), location_back),
                            MessageHandler(text, postal_code_typed),
                            MessageHandler(anything, waiting(Step.LOCATION))],
            Step.MARKETPLACES: [CallbackQueryHandler(marketplace_toggled, pattern=r"^p:mp:\w+$"),
                                CallbackQueryHandler(marketplaces_confirmed, pattern=r"^p:mpok$"),
                                back_handler, MessageHandler(anything, waiting(Step.MARKETPLACES))],
            Step.PREVIEW: [CallbackQueryHandler(edit_field, pattern=r"^p:e:\w+$"),
                           publish_handler,
                           CallbackQueryHandler(cancel, pattern=r"^p:stop$"),
                           MessageHandler(anything, waiting(Step.PREVIEW))],
        },
        # Continue / Start fresh work from any state: the offer may outlive a crash that kept
        # the conversation's previous state.
        fallbacks=[CommandHandler("cancel", cancel), CommandHandler("post", start_post),
                   resume_buttons, stale],
        name="post",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application, publish_handler: CallbackQueryHandler) -> None:
    application.add_handler(build(publish_handler))
    application.add_handler(CallbackQueryHandler(stale_button, pattern=r"^p:(?!new$)"))
