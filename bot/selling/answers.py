"""Each /post step's answer: checked, saved to the draft, and on to the next step.

A refused answer gets a sentence that says what works and keeps the conversation at its step;
nothing the seller entered before is lost.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, ReplyKeyboardRemove, Update

from bot.buttons import (
    ConfirmPrice,
    EditField,
    MarketplacesChosen,
    PickCondition,
    RetypePrice,
    SkipDescription,
    ToggleMarketplace,
    button,
)
from bot.context import BotContext
from bot.parsing import (
    InputRejected,
    PriceIsFree,
    PriceToConfirm,
    format_price,
    normalize_text,
    parse_postal_code,
    parse_price,
)
from bot.selling import texts
from bot.selling.answer_log import carry_on, remember_answer
from bot.selling.prompts import advance, ask, marketplace_keyboard
from bot.selling.requirements import postal_code_owner
from bot.selling.steps import (
    ADDING_DETAILS,
    DEFAULT_DESCRIPTION_MAX,
    DEFAULT_TITLE_MAX,
    EDITING,
    ON_SCREEN,
    Step,
    current_draft,
    draft_pressed,
    offered,
    rules_for,
    strictest,
)
from marketplaces.base import Rules
from storage.drafts import Draft

EDIT_STEPS = {"photos": Step.PHOTOS, "title": Step.TITLE, "price": Step.PRICE,
              "condition": Step.CONDITION, "description": Step.DESCRIPTION,
              "category": Step.CATEGORY, "location": Step.LOCATION,
              "marketplaces": Step.MARKETPLACES, "item specifics": Step.ASPECTS,
              "package": Step.PACKAGE}


async def clean_text(
    context: BotContext, draft: Draft, text: str, limit_of: str, default: int, *,
    multiline: bool,
) -> str:
    """The seller's text cleaned to the strictest chosen marketplace's limit; InputRejected
    says why not."""
    limit, reason = strictest(await rules_for(context, draft.telegram_id, draft.marketplaces),
                              limit_of, default)
    return normalize_text(text, max_length=limit, multiline=multiline, limit_reason=reason)


async def read_title(context: BotContext, draft: Draft, text: str) -> str:
    return await clean_text(context, draft, text, "title_max", DEFAULT_TITLE_MAX,
                            multiline=False)


async def read_description(context: BotContext, draft: Draft, text: str) -> str:
    return await clean_text(context, draft, text, "description_max", DEFAULT_DESCRIPTION_MAX,
                            multiline=True)


async def read_price(context: BotContext, draft: Draft, text: str) -> int:
    """Cents every chosen marketplace takes. PriceToConfirm for a shorthand like "12k",
    PriceIsFree (worded by `free_explained`), InputRejected for the rest."""
    rules = await rules_for(context, draft.telegram_id, draft.marketplaces)
    if not rules:
        return parse_price(text)
    # Every marketplace must take it: the highest minimum and the lowest maximum, named.
    low = max(rules, key=lambda r: r.price_min_cents)
    high = min(rules, key=lambda r: r.price_max_cents)
    return parse_price(text, min_cents=low.price_min_cents, max_cents=high.price_max_cents,
                       min_reason=low.display_name, max_reason=high.display_name)


async def price_refused(
    update: Update, context: BotContext, refused: InputRejected, draft: Draft
) -> None:
    """Why a typed price was not kept, with Yes/No buttons for a shorthand to confirm."""
    message = update.effective_message
    if isinstance(refused, PriceToConfirm):
        price = format_price(refused.cents)
        await message.reply_text(
            texts.price_to_confirm(price), reply_markup=InlineKeyboardMarkup([[
                button(f"✅ Yes, {price}", ConfirmPrice(draft.version, refused.cents)),
                button("✏️ No, retype it", RetypePrice(draft.version)),
            ]]),
        )
    elif isinstance(refused, PriceIsFree):
        rules = await rules_for(context, draft.telegram_id, draft.marketplaces)
        await message.reply_text(free_explained(context, rules))
    else:
        await message.reply_text(refused.message)


async def title_received(update: Update, context: BotContext) -> Step:
    message = update.effective_message
    draft = await current_draft(context, update.effective_user.id)
    try:
        title = await read_title(context, draft, message.text)
    except InputRejected as refused:
        await message.reply_text(refused.message)
        return Step.TITLE
    await context.services.drafts.update(update.effective_user.id, title=title)
    remember_answer(context, message, "title", draft)
    return await advance(update, context)


async def price_received(update: Update, context: BotContext) -> Step:
    telegram_id = update.effective_user.id
    message = update.effective_message
    draft = await current_draft(context, telegram_id)
    try:
        cents = await read_price(context, draft, message.text)
    except InputRejected as refused:
        await price_refused(update, context, refused, draft)
        return Step.PRICE
    await context.services.drafts.update(telegram_id, price_cents=cents)
    remember_answer(context, message, "price", draft)
    return await advance(update, context)


def free_explained(context: BotContext, rules: list[Rules]) -> str:
    """Which marketplaces in play refuse a free item (with their lowest price), and which kits
    have a way to give one away."""
    paid = [(r.display_name, format_price(r.price_min_cents)) for r in rules
            if not r.takes_free_items]
    free = [kit.display_name for kit in context.services.kits.values()
            if kit.rules.takes_free_items]
    return texts.free_explained(paid, free)


async def price_confirmed(update: Update, context: BotContext) -> Step | None:
    """✅ Yes on "Did you mean $12,000?": the price is kept, the question says so. Asked at the
    price step, the conversation goes on; asked for an edited answer, it stays where it is."""
    found = await draft_pressed(update, context, ConfirmPrice)
    if found is None:
        return None
    price = format_price(found[0].cents)
    await update.callback_query.answer()
    await context.services.drafts.update(update.effective_user.id, price_cents=found[0].cents)
    if context.user_data.get(ON_SCREEN) != Step.PRICE:
        await update.callback_query.edit_message_text(texts.price_updated(price))
        await carry_on(update, context)
        return None
    await update.callback_query.edit_message_text(texts.price_confirmed(price))
    return await advance(update, context)


async def price_retyped(update: Update, context: BotContext) -> Step | None:
    """✏️ No on "Did you mean $12,000?": the question goes; the price is asked again."""
    found = await draft_pressed(update, context, RetypePrice)
    if found is None:
        return None
    await update.callback_query.answer()
    if context.user_data.get(ON_SCREEN) != Step.PRICE:
        kept = format_price(found[1].price_cents) if found[1].price_cents else None
        await update.callback_query.edit_message_text(texts.price_kept(kept))
        return None
    await update.callback_query.edit_message_text(texts.PRICE_RETYPE)
    return Step.PRICE


async def condition_chosen(update: Update, context: BotContext) -> Step:
    found = await draft_pressed(update, context, PickCondition)
    if found is None:
        return Step.CONDITION
    condition = found[0].condition
    if condition not in texts.CONDITIONS:
        await update.callback_query.answer(texts.MOVED_ON)
        return Step.CONDITION
    await update.callback_query.answer(texts.CONDITIONS[condition])
    await context.services.drafts.update(update.effective_user.id, condition=condition)
    return await advance(update, context)


async def description_received(update: Update, context: BotContext) -> Step:
    message = update.effective_message
    draft = await current_draft(context, update.effective_user.id)
    try:
        description = await read_description(context, draft, message.text)
    except InputRejected as refused:
        await message.reply_text(refused.message)
        return Step.DESCRIPTION
    await context.services.drafts.update(
        update.effective_user.id, description=description, description_set=1
    )
    remember_answer(context, message, "description", draft)
    return await advance(update, context)


async def description_skipped(update: Update, context: BotContext) -> Step:
    if await draft_pressed(update, context, SkipDescription) is None:
        return Step.DESCRIPTION
    await update.callback_query.answer()
    await context.services.drafts.update(
        update.effective_user.id, description="", description_set=1
    )
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
    draft = await current_draft(context, telegram_id)
    zip_for = postal_code_owner(await rules_for(context, telegram_id, draft.marketplaces))
    if zip_for:  # the pin serves the others; this one needs a ZIP code typed as well
        await update.effective_message.reply_text(texts.zip_still_needed(zip_for))
        return Step.LOCATION
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
    remember_answer(context, update.effective_message, "postal_code",
                    await current_draft(context, telegram_id))
    await update.effective_message.reply_text(
        f"📍 {code} it is.", reply_markup=ReplyKeyboardRemove()
    )
    return await advance(update, context)


async def marketplace_toggled(update: Update, context: BotContext) -> Step:
    found = await draft_pressed(update, context, ToggleMarketplace)
    if found is None:
        return Step.MARKETPLACES
    toggled, draft = found
    query = update.callback_query
    telegram_id = update.effective_user.id
    available, _ = await offered(context, telegram_id)
    name = toggled.marketplace
    if name not in available:
        await query.answer(texts.MOVED_ON)
        return Step.MARKETPLACES
    chosen = list(draft.marketplaces if draft.marketplaces is not None else available)
    chosen = [m for m in chosen if m != name] if name in chosen else [*chosen, name]
    chosen = [m for m in available if m in chosen]  # keep the display order
    await context.services.drafts.update(telegram_id, marketplaces=chosen)
    await query.answer()
    await query.edit_message_reply_markup(
        marketplace_keyboard(context, draft, available, chosen)
    )
    return Step.MARKETPLACES


async def marketplaces_confirmed(update: Update, context: BotContext) -> Step:
    found = await draft_pressed(update, context, MarketplacesChosen)
    if found is None:
        return Step.MARKETPLACES
    if not found[1].marketplaces:
        await update.callback_query.answer(texts.CHOOSE_ONE, show_alert=True)
        return Step.MARKETPLACES
    await update.callback_query.answer()
    return await advance(update, context)


async def edit_field(update: Update, context: BotContext) -> Step:
    """A ✏️ button on the preview: ask that step again, then come back to the preview."""
    found = await draft_pressed(update, context, EditField)
    if found is None:
        return Step.PREVIEW
    step = EDIT_STEPS.get(found[0].what)
    if step is None:
        await update.callback_query.answer(texts.MOVED_ON)
        return Step.PREVIEW
    await update.callback_query.answer()
    # This card is done: the new one comes after the change, so its buttons go.
    await update.callback_query.edit_message_reply_markup(None)
    context.user_data[EDITING] = True
    telegram_id = update.effective_user.id
    if step is Step.ASPECTS:  # asked afresh, the obvious ones filled from the title again
        context.user_data.pop(ADDING_DETAILS, None)
        await context.services.drafts.update(telegram_id, aspects={}, details_set=0)
    return await ask(update, context, step)
