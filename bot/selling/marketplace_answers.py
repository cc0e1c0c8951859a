"""The answers to what a marketplace asks in its own terms: its category, its condition for that
category, a used item's wear, item specifics, the typical price of similar items, the parcel.

Each answer is checked against what the marketplace itself accepts (eBay's values, eBay's
limits) before it is saved, so a listing the bot posts is one the marketplace takes.
"""

from __future__ import annotations

from telegram import Update

from bot.buttons import (
    AddDetails,
    AspectDone,
    AspectPage,
    AspectValue,
    PickCategory,
    PickMarketplaceCondition,
    PickPackage,
    SkipConditionNote,
    UseTypicalPrice,
)
from bot.context import BotContext
from bot.parsing import InputRejected, normalize_text, parse_package, parse_price
from bot.selling import marketplace_prompts, requirements, texts
from bot.selling.answer_log import remember_answer
from bot.selling.prompts import advance
from bot.selling.steps import (
    ADDING_DETAILS,
    ASPECT_ON_SCREEN,
    SUGGESTIONS,
    Step,
    current_draft,
    draft_pressed,
    rules_for,
)
from marketplaces.capabilities import AspectSpec
from storage.drafts import Draft

CATEGORY_WORDS_MAX = 60


# ── Category ──────────────────────────────────────────────────────────────────────────────────


async def category_chosen(update: Update, context: BotContext) -> Step:
    found = await draft_pressed(update, context, PickCategory)
    if found is None:
        return Step.CATEGORY
    picked, draft = found
    version, offered = _offered_categories(context)
    if version != draft.version or not 0 <= picked.index < len(offered):
        await update.callback_query.answer(texts.MOVED_ON)
        return Step.CATEGORY
    await update.callback_query.answer()
    name, category_id, path = offered[picked.index]
    owner = await requirements.category_owner(context, draft) if category_id else None
    if owner is None:
        await context.services.drafts.update(
            draft.telegram_id, category=name, category_ids={}, category_path=None
        )
        return await advance(update, context)
    changes: dict[str, object] = {
        "category": name, "category_ids": {owner: category_id}, "category_path": path,
    }
    if draft.category_ids.get(owner) != category_id:
        # Another category asks its own conditions and item specifics: those of the old one
        # are asked again (the seller's note on the wear stays theirs).
        changes |= {"condition": None, "condition_ids": {}, "aspects": {}, "details_set": 0}
        context.user_data.pop(ADDING_DETAILS, None)
    await context.services.drafts.update(draft.telegram_id, **changes)
    return await advance(update, context)


def _offered_categories(context: BotContext) -> tuple[int | None, list[list[str | None]]]:
    """(draft version, [[name, id, path], …]) as the category prompt offered them."""
    stored = context.user_data.get(SUGGESTIONS)
    if isinstance(stored, list) and len(stored) == 2 and isinstance(stored[0], int):
        return stored[0], [[*entry, None, None][:3] for entry in stored[1]]
    return None, []


async def category_typed(update: Update, context: BotContext) -> Step:
    """Words for the category: a search in the owning marketplace's tree, else the category."""
    try:
        words = normalize_text(update.effective_message.text, max_length=CATEGORY_WORDS_MAX,
                               multiline=False, field="category")
    except InputRejected as refused:
        await update.effective_message.reply_text(refused.message)
        return Step.CATEGORY
    draft = await current_draft(context, update.effective_user.id)
    if await requirements.category_owner(context, draft) is not None:
        await marketplace_prompts.ask_category(update, context, draft, words)
        return Step.CATEGORY
    await context.services.drafts.update(
        draft.telegram_id, category=words, category_ids={}, category_path=None
    )
    return await advance(update, context)


# ── Condition ─────────────────────────────────────────────────────────────────────────────────


async def marketplace_condition_chosen(update: Update, context: BotContext) -> Step:
    """One of the category's own conditions; the other marketplaces get the nearest of ours."""
    found = await draft_pressed(update, context, PickMarketplaceCondition)
    if found is None:
        return Step.CONDITION
    picked, draft = found
    owner, choices = await requirements.conditions(context, draft)
    choice = next((c for c in choices if c.condition_id == picked.condition_id), None)
    if choice is None:
        await update.callback_query.answer(texts.MOVED_ON)
        return Step.CONDITION
    await update.callback_query.answer(choice.name[:200])
    await context.services.drafts.update(
        draft.telegram_id, condition=choice.nearest.value,
        condition_ids={owner: choice.condition_id},
    )
    return await advance(update, context)


def read_condition_note(text: str) -> str:
    return normalize_text(text, max_length=texts.CONDITION_NOTE_MAX, multiline=True,
                          field="note")


async def condition_note_received(update: Update, context: BotContext) -> Step:
    try:
        note = read_condition_note(update.effective_message.text)
    except InputRejected as refused:
        await update.effective_message.reply_text(refused.message)
        return Step.CONDITION_NOTE
    await context.services.drafts.update(
        update.effective_user.id, condition_note=note, condition_note_set=1
    )
    remember_answer(context, update.effective_message, "condition_note",
                    await current_draft(context, update.effective_user.id))
    return await advance(update, context)


async def condition_note_skipped(update: Update, context: BotContext) -> Step:
    if await draft_pressed(update, context, SkipConditionNote) is None:
        return Step.CONDITION_NOTE
    await update.callback_query.answer()
    await context.services.drafts.update(
        update.effective_user.id, condition_note="", condition_note_set=1
    )
    return await advance(update, context)


# ── Item specifics ────────────────────────────────────────────────────────────────────────────


async def _spec_at(context: BotContext, draft: Draft, index: int) -> AspectSpec | None:
    specs = await requirements.aspects(context, draft)
    return specs[index] if 0 <= index < len(specs) else None


async def aspect_value_chosen(update: Update, context: BotContext) -> Step:
    """A value button: the answer for a one-value specific; for a several-value one, a tick
    that stays on screen until Done."""
    found = await draft_pressed(update, context, AspectValue)
    if found is None:
        return Step.ASPECTS
    picked, draft = found
    spec = await _spec_at(context, draft, picked.aspect)
    if spec is None or not 0 <= picked.value < len(spec.values):
        await update.callback_query.answer(texts.MOVED_ON)
        return Step.ASPECTS
    value = spec.values[picked.value]
    if not spec.multiple:
        await update.callback_query.answer(value[:200])
        return await _save_aspect(update, context, draft, spec, [value])
    chosen = list(draft.aspects.get(spec.name) or [])
    chosen = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
    await context.services.drafts.update(draft.telegram_id,
                                         aspects={**draft.aspects, spec.name: chosen})
    await update.callback_query.answer()
    draft = await current_draft(context, draft.telegram_id)
    await update.callback_query.edit_message_text(
        marketplace_prompts.aspect_text(_owner_name(context, draft), spec, draft),
        reply_markup=marketplace_prompts.aspect_keyboard(draft, picked.aspect, spec,
                                                         page=picked.value // _PAGE),
    )
    return Step.ASPECTS


_PAGE = marketplace_prompts.VALUES_PER_PAGE


def _owner_name(context: BotContext, draft: Draft) -> str:
    owner = next(iter(draft.category_ids), "")
    return marketplace_prompts.display(context, owner)


async def aspect_page(update: Update, context: BotContext) -> Step:
    found = await draft_pressed(update, context, AspectPage)
    if found is None:
        return Step.ASPECTS
    paging, draft = found
    spec = await _spec_at(context, draft, paging.aspect)
    if spec is None or not 0 <= paging.page * _PAGE < max(len(spec.values), 1):
        await update.callback_query.answer(texts.MOVED_ON)
        return Step.ASPECTS
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(
        marketplace_prompts.aspect_keyboard(draft, paging.aspect, spec, page=paging.page)
    )
    return Step.ASPECTS


async def aspect_done(update: Update, context: BotContext) -> Step:
    """Done with a several-value specific, or Skip for an optional one."""
    found = await draft_pressed(update, context, AspectDone)
    if found is None:
        return Step.ASPECTS
    done, draft = found
    spec = await _spec_at(context, draft, done.aspect)
    if spec is None:
        await update.callback_query.answer(texts.MOVED_ON)
        return Step.ASPECTS
    chosen = list(draft.aspects.get(spec.name) or [])
    if spec.required and not chosen:
        await update.callback_query.answer(texts.CHOOSE_A_VALUE, show_alert=True)
        return Step.ASPECTS
    await update.callback_query.answer()
    return await _save_aspect(update, context, draft, spec, chosen)  # [] marks it skipped


async def aspect_typed(update: Update, context: BotContext) -> Step:
    """A value typed for the specific on screen: free text where eBay takes it, else one of
    eBay's values spelled any case."""
    draft = await current_draft(context, update.effective_user.id)
    on_screen = context.user_data.get(ASPECT_ON_SCREEN)
    index = on_screen[1] if isinstance(on_screen, list) and on_screen[0] == draft.version else -1
    spec = await _spec_at(context, draft, index)
    if spec is None:
        await update.effective_message.reply_text(texts.TAP_A_BUTTON)
        return Step.ASPECTS
    text = update.effective_message.text or ""
    pieces = text.split(",") if spec.multiple else [text]
    values: list[str] = []
    for piece in pieces:
        if not piece.strip():
            continue
        try:
            value = normalize_text(piece, max_length=spec.max_length, multiline=False,
                                   limit_reason=_owner_name(context, draft), field="value")
        except InputRejected as refused:
            await update.effective_message.reply_text(refused.message)
            return Step.ASPECTS
        known = {v.casefold(): v for v in spec.values}.get(value.casefold())
        if known is None and not spec.free_text:
            await update.effective_message.reply_text(
                texts.aspect_refused(_owner_name(context, draft), spec.name)
            )
            return Step.ASPECTS
        if (known or value) not in values:
            values.append(known or value)
    if not values:
        await update.effective_message.reply_text(texts.TAP_A_BUTTON)
        return Step.ASPECTS
    return await _save_aspect(update, context, draft, spec, values)


async def _save_aspect(
    update: Update, context: BotContext, draft: Draft, spec: AspectSpec, values: list[str]
) -> Step:
    await context.services.drafts.update(draft.telegram_id,
                                         aspects={**draft.aspects, spec.name: values})
    draft = await current_draft(context, draft.telegram_id)
    adding = context.user_data.get(ADDING_DETAILS) == draft.version
    if adding and await requirements.next_aspect(context, draft, adding_details=True) is None:
        await context.services.drafts.update(draft.telegram_id, details_set=1)
    return await advance(update, context)


async def details_answered(update: Update, context: BotContext) -> Step:
    """Add details (the optional specifics, one by one) or leave them out."""
    found = await draft_pressed(update, context, AddDetails)
    if found is None:
        return Step.ASPECTS
    choice, draft = found
    await update.callback_query.answer()
    if choice.add and await requirements.next_aspect(context, draft, adding_details=True):
        context.user_data[ADDING_DETAILS] = draft.version
    else:
        context.user_data.pop(ADDING_DETAILS, None)
        await context.services.drafts.update(draft.telegram_id, details_set=1)
    return await advance(update, context)


# ── Price and parcel ──────────────────────────────────────────────────────────────────────────


async def typical_price_taken(update: Update, context: BotContext) -> Step:
    found = await draft_pressed(update, context, UseTypicalPrice)
    if found is None:
        return Step.PRICE
    typical, draft = found
    rules = await rules_for(context, draft.telegram_id, draft.marketplaces)
    low = max((r.price_min_cents for r in rules), default=1)
    high = min((r.price_max_cents for r in rules), default=100_000_000)
    try:
        cents = parse_price(f"{typical.cents / 100:.2f}", min_cents=low, max_cents=high)
    except InputRejected as refused:
        await update.callback_query.answer(refused.message[:200], show_alert=True)
        return Step.PRICE
    await update.callback_query.answer()
    await context.services.drafts.update(draft.telegram_id, price_cents=cents)
    return await advance(update, context)


async def package_picked(update: Update, context: BotContext) -> Step:
    found = await draft_pressed(update, context, PickPackage)
    if found is None:
        return Step.PACKAGE
    picked, draft = found
    if not 0 <= picked.preset < len(marketplace_prompts.PACKAGES):
        await update.callback_query.answer(texts.MOVED_ON)
        return Step.PACKAGE
    await update.callback_query.answer()
    _, ounces, length, width, height = marketplace_prompts.PACKAGES[picked.preset]
    await _save_package(context, draft.telegram_id, ounces, length, width, height)
    return await advance(update, context)


async def package_typed(update: Update, context: BotContext) -> Step:
    try:
        ounces, length, width, height = parse_package(update.effective_message.text or "")
    except InputRejected as refused:
        await update.effective_message.reply_text(refused.message)
        return Step.PACKAGE
    await _save_package(context, update.effective_user.id, ounces, length, width, height)
    return await advance(update, context)


async def _save_package(
    context: BotContext, telegram_id: int, ounces: int, length: int, width: int, height: int
) -> None:
    await context.services.drafts.update(telegram_id, package={
        "weight_ounces": ounces, "length_inches": length, "width_inches": width,
        "height_inches": height,
    })
