"""The prompts for what a marketplace asks in its own terms: its category, its conditions for
that category, a used item's wear, its item specifics, what similar items sell for at the price
step, and the parcel when its shipping is calculated.

When no marketplace in play owns the category, the category and condition steps are the plain
ones every marketplace takes (common categories, our five conditions).
"""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.buttons import (
    AddDetails,
    AspectDone,
    AspectPage,
    AspectValue,
    Back,
    PickCategory,
    PickCondition,
    PickMarketplaceCondition,
    PickPackage,
    SkipConditionNote,
    UseTypicalPrice,
    button,
)
from bot.context import BotContext
from bot.parsing import format_price
from bot.selling import requirements, texts
from bot.selling.steps import (
    ADDING_DETAILS,
    ASPECT_ON_SCREEN,
    SUGGESTIONS,
    current_draft,
    rules_for,
)
from marketplaces.base import MarketplaceError
from marketplaces.capabilities import AspectSpec, CategorySuggestions, PriceComps
from storage.drafts import Draft

log = logging.getLogger(__name__)

BACK_LABEL = "« Back"
COMMON_CATEGORIES = ("Clothing", "Shoes", "Electronics", "Furniture", "Home & Garden",
                     "Toys & Games", "Collectibles", "Sports", "Tools", "Other")
SUGGESTED = 5
VALUES_PER_PAGE = 24
# (label, ounces, length, width, height): common box sizes, a tap instead of measuring
PACKAGES = (
    ("Small: 1 lb, 9×6×3 in", 16, 9, 6, 3),
    ("Medium: 3 lb, 12×10×6 in", 48, 12, 10, 6),
    ("Large: 8 lb, 18×14×10 in", 128, 18, 14, 10),
    ("Bulky: 20 lb, 24×18×14 in", 320, 24, 18, 14),
)


def back(draft: Draft) -> InlineKeyboardButton:
    return button(BACK_LABEL, Back(draft.version))


def display(context: BotContext, marketplace: str) -> str:
    adapter = context.services.marketplaces.get(marketplace)
    return adapter.display_name if adapter else marketplace


# ── Category ──────────────────────────────────────────────────────────────────────────────────


async def ask_category(
    update: Update, context: BotContext, draft: Draft, words: str | None = None
) -> None:
    """The owning marketplace's leaf categories for the title (or the seller's words), with
    their paths; without an owner, common categories and the seller's own words."""
    owner = await requirements.category_owner(context, draft)
    adapter = context.services.marketplaces.get(owner) if owner else None
    if owner is None or not isinstance(adapter, CategorySuggestions):
        await _ask_common_category(update, context, draft)
        return
    query = words or draft.title or ""
    name = display(context, owner)
    try:
        found = (await adapter.suggest_categories(query))[:SUGGESTED]
    except MarketplaceError as exc:
        log.warning("category suggestions failed: %s", exc)
        await context.bot.send_message(
            update.effective_chat.id, texts.categories_unavailable(name),
            reply_markup=InlineKeyboardMarkup([[back(draft)]]),
        )
        return
    if not found:
        await context.bot.send_message(
            update.effective_chat.id, texts.no_owned_category(name, query),
            reply_markup=InlineKeyboardMarkup([[back(draft)]]),
        )
        return
    context.user_data[SUGGESTIONS] = [
        draft.version, [[c.name, c.category_id, c.path_text] for c in found]
    ]
    rows = [[button(f"{n}. {c.name}"[:60], PickCategory(draft.version, n - 1))]
            for n, c in enumerate(found, start=1)]
    await context.bot.send_message(
        update.effective_chat.id,
        texts.ask_owned_category(name, query, [c.path_text for c in found]),
        reply_markup=InlineKeyboardMarkup([*rows, [back(draft)]]),
    )


async def _ask_common_category(update: Update, context: BotContext, draft: Draft) -> None:
    names = _common_for(draft.title or "")[:6]
    context.user_data[SUGGESTIONS] = [draft.version, [[name, None, None] for name in names]]
    rows = [[button(name, PickCategory(draft.version, i))] for i, name in enumerate(names)]
    await context.bot.send_message(
        update.effective_chat.id, texts.ask_category(names[0] if names else None),
        reply_markup=InlineKeyboardMarkup([*rows, [back(draft)]]),
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


# ── Condition ─────────────────────────────────────────────────────────────────────────────────


async def ask_condition(update: Update, context: BotContext, draft: Draft) -> None:
    owner, choices = await requirements.conditions(context, draft)
    if choices:
        rows = [[button(c.name[:60], PickMarketplaceCondition(draft.version, c.condition_id))]
                for c in choices]
        await context.bot.send_message(
            update.effective_chat.id,
            texts.ask_owned_condition(display(context, owner), draft.category or ""),
            reply_markup=InlineKeyboardMarkup([*rows, [back(draft)]]),
        )
        return
    rules = await rules_for(context, draft.telegram_id, draft.marketplaces)
    accepted = set.intersection(*(set(r.conditions) for r in rules)) if rules else None
    row = [
        button(label, PickCondition(draft.version, key))
        for key, label in texts.CONDITIONS.items()
        if accepted is None or key in {c.value for c in accepted}
    ]
    await context.bot.send_message(
        update.effective_chat.id, texts.ask_condition(),
        reply_markup=InlineKeyboardMarkup([row[:3], row[3:], [back(draft)]]),
    )


async def ask_condition_note(update: Update, context: BotContext, draft: Draft) -> None:
    await context.bot.send_message(
        update.effective_chat.id, texts.ask_condition_note(),
        reply_markup=InlineKeyboardMarkup(
            [[button("Skip", SkipConditionNote(draft.version))], [back(draft)]]
        ),
    )


# ── Item specifics ────────────────────────────────────────────────────────────────────────────


async def ask_aspects(update: Update, context: BotContext, draft: Draft) -> None:
    """The next item specific, or the offer to add the optional ones."""
    owner = await requirements.category_owner(context, draft) or ""
    name = display(context, owner)
    if not draft.aspects:
        draft = await _fill_from_title(update, context, draft)
    adding = context.user_data.get(ADDING_DETAILS) == draft.version
    found = await requirements.next_aspect(context, draft, adding_details=adding)
    if found is None:  # required ones answered: offer the optional group
        specs = await requirements.aspects(context, draft)
        optional = [s.name for s in requirements.unanswered_optional(specs, draft)]
        await context.bot.send_message(
            update.effective_chat.id, texts.offer_details(name, optional),
            reply_markup=InlineKeyboardMarkup([
                [button("Add details", AddDetails(draft.version, True)),
                 button("Skip", AddDetails(draft.version, False))],
                [back(draft)],
            ]),
        )
        return
    index, spec = found
    context.user_data[ASPECT_ON_SCREEN] = [draft.version, index]
    await context.bot.send_message(
        update.effective_chat.id, aspect_text(name, spec, draft),
        reply_markup=aspect_keyboard(draft, index, spec, page=0),
    )


def aspect_text(marketplace: str, spec: AspectSpec, draft: Draft) -> str:
    return texts.ask_aspect(
        marketplace, spec.name, required=spec.required, free_text=spec.free_text,
        multiple=spec.multiple, chosen=draft.aspects.get(spec.name) or [],
    )


def aspect_keyboard(
    draft: Draft, index: int, spec: AspectSpec, page: int
) -> InlineKeyboardMarkup:
    chosen = set(draft.aspects.get(spec.name) or [])
    start = page * VALUES_PER_PAGE
    shown = list(enumerate(spec.values))[start:start + VALUES_PER_PAGE]
    buttons = [
        button(("✅ " if value in chosen else "") + value[:40],
               AspectValue(draft.version, index, i))
        for i, value in shown
    ]
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    paging = []
    if page > 0:
        paging.append(button("« Fewer", AspectPage(draft.version, index, page - 1)))
    if start + VALUES_PER_PAGE < len(spec.values):
        paging.append(button("More »", AspectPage(draft.version, index, page + 1)))
    if paging:
        rows.append(paging)
    if spec.multiple or not spec.required:
        label = "Done" if spec.multiple and (chosen or spec.required) else "Skip"
        rows.append([button(label, AspectDone(draft.version, index))])
    rows.append([back(draft)])
    return InlineKeyboardMarkup(rows)


async def _fill_from_title(update: Update, context: BotContext, draft: Draft) -> Draft:
    """Item specifics the title already states (a brand, a size), filled in and said."""
    found = {}
    for spec in await requirements.aspects(context, draft):
        value = from_title(draft.title or "", spec)
        if value is not None:
            found[spec.name] = [value]
    if not found:
        return draft
    await context.services.drafts.update(draft.telegram_id, aspects=found)
    await context.bot.send_message(update.effective_chat.id, texts.aspects_from_title(found))
    return await current_draft(context, draft.telegram_id)


_SIZE = re.compile(r"\b(?:size|sz)\.?\s*([0-9]{1,2}(?:\.5)?|x{0,3}[sl]|m|xxl)\b")


def from_title(title: str, spec: AspectSpec) -> str | None:
    """One of the aspect's values that the title states: a size after "size", else the
    longest value named in the title as words of their own."""
    words = title.casefold()
    by_fold = {value.casefold(): value for value in spec.values}
    if "size" in spec.name.casefold():
        stated = _SIZE.search(words)
        return by_fold.get(stated.group(1)) if stated else None
    for folded in sorted(by_fold, key=len, reverse=True):
        if len(folded) >= 3 and re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", words):
            return by_fold[folded]
    return None


# ── Price, with what similar items ask ────────────────────────────────────────────────────────


async def ask_price(update: Update, context: BotContext, draft: Draft) -> None:
    """The price prompt at once; what similar items ask is added to it when it arrives."""
    message = await context.bot.send_message(
        update.effective_chat.id, texts.ask_price(),
        reply_markup=InlineKeyboardMarkup([[back(draft)]]),
    )
    for name, adapter in context.services.marketplaces.items():
        if isinstance(adapter, PriceComps):
            context.application.create_task(
                _add_comps(context, draft, name, adapter, message.chat_id, message.message_id),
                name=f"comps:{draft.telegram_id}",
            )
            return


async def _add_comps(
    context: BotContext, draft: Draft, name: str, adapter: PriceComps, chat_id: int,
    message_id: int,
) -> None:
    """Add what similar items ask to the price prompt, in the chat it was sent in."""
    found = await adapter.comparable_prices(
        draft.title or "", draft.category_ids.get(name), draft.condition_ids.get(name)
    )
    current = await context.services.drafts.get(draft.telegram_id)
    if found is None or current is None or current.version != draft.version:
        return
    if current.price_cents:  # answered meanwhile: the prompt is history
        return
    text = texts.ask_price() + texts.comps(
        display(context, name), format_price(found.low_cents), format_price(found.high_cents),
        format_price(found.typical_cents),
    )
    keyboard = InlineKeyboardMarkup([
        [button(f"Use {format_price(found.typical_cents)}",
                UseTypicalPrice(draft.version, found.typical_cents))],
        [back(draft)],
    ])
    try:
        await context.bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=keyboard
        )
    except TelegramError as exc:  # the seller deleted it, or the chat moved on: no matter
        log.info("comps for user %s not shown: %s", draft.telegram_id, exc)


# ── The parcel ────────────────────────────────────────────────────────────────────────────────


async def ask_package(update: Update, context: BotContext, draft: Draft) -> None:
    owner = await requirements.package_marketplace(context, draft) or ""
    rows = [[button(label, PickPackage(draft.version, i))]
            for i, (label, *_) in enumerate(PACKAGES)]
    await context.bot.send_message(
        update.effective_chat.id, texts.ask_package(display(context, owner)),
        reply_markup=InlineKeyboardMarkup([*rows, [back(draft)]]),
    )
