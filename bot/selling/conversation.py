"""/post: from photos to a confirmed listing, one step at a time, saved at every step.

This module is the conversation itself: how it starts and resumes, « Back and /cancel, what
happens to input or a button that belongs to no step, and the table of which handler takes what
in each state. The prompts are in prompts.py, the answers in answers.py and photos.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.buttons import (
    AddDetails,
    AspectDone,
    AspectPage,
    AspectValue,
    Back,
    CancelDraft,
    ConfirmPrice,
    Connect,
    ContinueDraft,
    CoverPhoto,
    DraftButton,
    EditField,
    MarketplacesChosen,
    NewPost,
    PhotosDone,
    PickCategory,
    PickCondition,
    PickMarketplaceCondition,
    PickPackage,
    PostDraft,
    RemovePhoto,
    RetypePrice,
    SkipConditionNote,
    SkipDescription,
    StartAnyway,
    StartFresh,
    StartWithPhotos,
    ToggleMarketplace,
    UseTypicalPrice,
    button,
)
from bot.commands import deep_link
from bot.context import BotContext
from bot.selling import (
    answers,
    loose_photos,
    marketplace_answers,
    photos,
    publish,
    requirements,
    texts,
)
from bot.selling.prompts import BACK_LABEL, ask
from bot.selling.steps import (
    DRAFT_EXPIRED,
    EDITING,
    ON_SCREEN,
    ORDER,
    PHOTOS_SHOWN,
    WAITING_FOR,
    Step,
    connected,
    current_draft,
    draft_pressed,
    position,
)

KITS_ONLY = "post_kits_only"  # user_data: the seller chose to /post with nothing connected

# Which step each /post button belongs to, to tell an old button from one ahead of the state.
BUTTON_STEPS: dict[type[DraftButton], Step] = {
    PhotosDone: Step.PHOTOS, RemovePhoto: Step.PHOTOS, CoverPhoto: Step.PHOTOS,
    PickCategory: Step.CATEGORY, PickCondition: Step.CONDITION,
    PickMarketplaceCondition: Step.CONDITION, SkipConditionNote: Step.CONDITION_NOTE,
    AspectValue: Step.ASPECTS, AspectPage: Step.ASPECTS, AspectDone: Step.ASPECTS,
    AddDetails: Step.ASPECTS, UseTypicalPrice: Step.PRICE, ConfirmPrice: Step.PRICE,
    RetypePrice: Step.PRICE, SkipDescription: Step.DESCRIPTION,
    PickPackage: Step.PACKAGE, ToggleMarketplace: Step.MARKETPLACES,
    MarketplacesChosen: Step.MARKETPLACES, EditField: Step.PREVIEW, PostDraft: Step.PREVIEW,
    CancelDraft: Step.PREVIEW,
}


async def start_post(update: Update, context: BotContext) -> Step | int:
    """/post, the deep link, or 📦 Post an item: offer the draft in hand, else start one (but
    first say so when no marketplace is connected, before eight steps are filled in)."""
    telegram_id = update.effective_user.id
    if update.callback_query:
        await update.callback_query.answer()
        if isinstance(update.callback_query.data, StartAnyway):
            context.user_data[KITS_ONLY] = True
            await update.callback_query.edit_message_reply_markup(None)
    context.user_data.pop(EDITING, None)
    context.user_data.pop(PHOTOS_SHOWN, None)  # back after a while: show the photos again
    expired = context.user_data.pop(DRAFT_EXPIRED, None)
    if expired is not None:
        await context.bot.send_message(update.effective_chat.id, texts.draft_expired(expired))
    draft = await context.services.drafts.get(telegram_id)
    if draft is not None and (draft.photos or draft.title):
        # The offer is on screen now, not the step before it: a crash after Continue must
        # leave a later prompt's buttons "ahead" of what is saved, never "moved on".
        context.user_data[ON_SCREEN] = int(Step.RESUME)
        await context.bot.send_message(
            update.effective_chat.id, texts.resume_offer(draft),
            reply_markup=InlineKeyboardMarkup([[
                button("Continue", ContinueDraft(draft.version)),
                button("Start fresh", StartFresh(draft.version)),
            ]]),
        )
        return Step.RESUME
    if (context.services.marketplaces and not context.user_data.get(KITS_ONLY)
            and not await connected(context, telegram_id)):
        await connect_first(update, context)
        return ConversationHandler.END
    await context.services.drafts.start(telegram_id)
    return await ask(update, context, Step.PHOTOS)


async def connect_first(update: Update, context: BotContext) -> None:
    """No marketplace connected: Connect buttons, and Start anyway for the kits."""
    services = context.services
    rows = [[button(f"🔗 Connect {adapter.display_name}", Connect(name))]
            for name, adapter in services.marketplaces.items()]
    rows.append([button("▶️ Start anyway", StartAnyway())])
    await context.bot.send_message(
        update.effective_chat.id,
        texts.connect_first([a.display_name for a in services.marketplaces.values()],
                            [kit.display_name for kit in services.kits.values()]),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def resume(update: Update, context: BotContext) -> Step | None:
    """Continue or Start fresh, from the offer (in any state: it may outlive a crash)."""
    found = await draft_pressed(update, context, DraftButton)
    if found is None:
        return None
    await update.callback_query.answer()
    telegram_id = update.effective_user.id
    if isinstance(found[0], StartFresh):
        await context.services.drafts.start(telegram_id)
        return await ask(update, context, Step.PHOTOS)
    return await ask(update, context, await requirements.first_missing(context, telegram_id))


async def cancel(update: Update, context: BotContext) -> int | None:
    if update.callback_query:
        if await draft_pressed(update, context, CancelDraft) is None:
            return None
        await update.callback_query.answer()
    context.user_data.pop(EDITING, None)
    context.user_data.pop(ON_SCREEN, None)  # no step on screen: the draft waits for /post
    await context.bot.send_message(
        update.effective_chat.id, texts.CANCELLED, reply_markup=ReplyKeyboardRemove()
    )
    return ConversationHandler.END


async def back(update: Update, context: BotContext) -> Step | None:
    """« Back: the step before the one on screen (the state says which that is)."""
    if update.callback_query:
        if await draft_pressed(update, context, Back) is None:
            return None
        await update.callback_query.answer()
    current = Step(context.user_data.get(ON_SCREEN, Step.TITLE))
    draft = await current_draft(context, update.effective_user.id)
    earlier = ORDER[:position(current)] if current in ORDER else ORDER[:2]
    for step in reversed(earlier):
        if await requirements.applies(context, draft, step):
            return await ask(update, context, step)
    return await ask(update, context, Step.PHOTOS)


async def location_back(update: Update, context: BotContext) -> Step | None:
    """« Back typed on the location step's reply keyboard."""
    await update.effective_message.reply_text("OK.", reply_markup=ReplyKeyboardRemove())
    return await back(update, context)


async def button_out_of_step(update: Update, context: BotContext) -> Step | None:
    """A /post button the current step doesn't take. From an earlier draft or an earlier step:
    say so, change nothing. From a later step the draft is ready for, the screen is ahead of
    the saved state (the bot died after sending that prompt and before saving the step): ask
    it again, so the seller is not stuck."""
    found = await draft_pressed(update, context, DraftButton)
    if found is None:
        return None
    pressed_step = BUTTON_STEPS.get(type(found[0]))
    current = Step(context.user_data.get(ON_SCREEN, Step.PHOTOS))
    if (pressed_step is None or position(pressed_step) <= position(current)
            or context.user_data.get(EDITING)
            or position(await requirements.first_missing(context, update.effective_user.id))
            < position(pressed_step)):
        await stale_button(update, context)  # old, or ahead of what the draft holds: forged
        return None
    await update.callback_query.answer()
    return await ask(update, context, pressed_step)


async def stale_button(update: Update, context: BotContext) -> None:
    """A /post button from an earlier step (or an old message): say so, change nothing."""
    await update.callback_query.answer(texts.MOVED_ON)


async def button_after_the_conversation(update: Update, context: BotContext) -> None:
    """A /post button pressed when no /post is going on (posted, cancelled, or long ago)."""
    if await draft_pressed(update, context, DraftButton) is not None:
        await stale_button(update, context)


async def draft_expired(update: Update, context: BotContext, title: str) -> Step:
    """The seller's draft was purged while the conversation waited at a step: say so, and
    start again from the photos rather than take this input for an answer to it."""
    if update.callback_query:
        await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, texts.draft_expired(title))
    context.user_data.pop(EDITING, None)
    await context.services.drafts.start(update.effective_user.id)
    return await ask(update, context, Step.PHOTOS)


def unless_expired(
    callback: Callable[[Update, BotContext], Awaitable[object]],
) -> Callable[[Update, BotContext], Awaitable[object]]:
    """`callback`, unless the draft it would act on expired (the purge job leaves a note)."""

    async def guarded(update: Update, context: BotContext) -> object:
        title = context.user_data.pop(DRAFT_EXPIRED, None)
        if title is not None:
            return await draft_expired(update, context, title)
        return await callback(update, context)

    return guarded


def waiting(step: Step) -> Callable[[Update, BotContext], Awaitable[Step]]:
    """A reply for input that belongs to no step: say what the bot is waiting for."""

    async def remind(update: Update, context: BotContext) -> Step:
        await update.effective_message.reply_text(texts.waiting_for(WAITING_FOR[step]))
        return step

    return remind


# The conversation is tracked per seller, not per message, on purpose: a button from an older
# message is answered by `button_out_of_step` instead. PTB warns about exactly that choice.
warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)


def post_conversation() -> ConversationHandler[BotContext]:
    """The /post ConversationHandler: for each state, what it takes, in the order PTB tries."""
    text = filters.TEXT & ~filters.COMMAND
    anything = filters.ALL & ~filters.COMMAND

    def on(kind: type[DraftButton], callback: Callable[..., Awaitable[object]]) -> BaseHandler:
        return CallbackQueryHandler(callback, pattern=kind)

    back_button = on(Back, back)
    resume_buttons = [on(ContinueDraft, resume), on(StartFresh, resume)]
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("post", start_post),
            CommandHandler("start", start_post, deep_link("post")),  # t.me/<bot>?start=post
            CallbackQueryHandler(start_post, pattern=NewPost),
            CallbackQueryHandler(start_post, pattern=StartAnyway),
            CallbackQueryHandler(loose_photos.start_with_photos, pattern=StartWithPhotos),
            *resume_buttons,
        ],
        states={
            Step.RESUME: [*resume_buttons, MessageHandler(anything, waiting(Step.RESUME))],
            Step.PHOTOS: [MessageHandler(filters.PHOTO | filters.Document.ALL,
                                         photos.photo_received),
                          on(PhotosDone, photos.photos_done),
                          on(RemovePhoto, photos.photo_removed),
                          on(CoverPhoto, photos.photo_to_front),
                          MessageHandler(anything, waiting(Step.PHOTOS))],
            Step.TITLE: [MessageHandler(text, answers.title_received), back_button,
                         MessageHandler(anything, waiting(Step.TITLE))],
            Step.CATEGORY: [on(PickCategory, marketplace_answers.category_chosen),
                            MessageHandler(text, marketplace_answers.category_typed), back_button,
                            MessageHandler(anything, waiting(Step.CATEGORY))],
            Step.CONDITION: [on(PickMarketplaceCondition,
                                marketplace_answers.marketplace_condition_chosen),
                             on(PickCondition, answers.condition_chosen), back_button,
                             MessageHandler(anything, waiting(Step.CONDITION))],
            Step.CONDITION_NOTE: [
                MessageHandler(text, marketplace_answers.condition_note_received),
                on(SkipConditionNote, marketplace_answers.condition_note_skipped), back_button,
                MessageHandler(anything, waiting(Step.CONDITION_NOTE)),
            ],
            Step.ASPECTS: [on(AspectValue, marketplace_answers.aspect_value_chosen),
                           on(AspectPage, marketplace_answers.aspect_page),
                           on(AspectDone, marketplace_answers.aspect_done),
                           on(AddDetails, marketplace_answers.details_answered),
                           MessageHandler(text, marketplace_answers.aspect_typed), back_button,
                           MessageHandler(anything, waiting(Step.ASPECTS))],
            Step.PRICE: [MessageHandler(text, answers.price_received),
                         on(UseTypicalPrice, marketplace_answers.typical_price_taken),
                         on(ConfirmPrice, answers.price_confirmed),
                         on(RetypePrice, answers.price_retyped), back_button,
                         MessageHandler(anything, waiting(Step.PRICE))],
            Step.DESCRIPTION: [MessageHandler(text, answers.description_received),
                               on(SkipDescription, answers.description_skipped), back_button,
                               MessageHandler(anything, waiting(Step.DESCRIPTION))],
            Step.PACKAGE: [on(PickPackage, marketplace_answers.package_picked),
                           MessageHandler(text, marketplace_answers.package_typed), back_button,
                           MessageHandler(anything, waiting(Step.PACKAGE))],
            Step.LOCATION: [MessageHandler(filters.LOCATION, answers.location_shared),
                            MessageHandler(filters.Text([BACK_LABEL]), location_back),
                            MessageHandler(text, answers.postal_code_typed),
                            MessageHandler(anything, waiting(Step.LOCATION))],
            Step.MARKETPLACES: [on(ToggleMarketplace, answers.marketplace_toggled),
                                on(MarketplacesChosen, answers.marketplaces_confirmed),
                                back_button, MessageHandler(anything, waiting(Step.MARKETPLACES))],
            Step.PREVIEW: [on(EditField, answers.edit_field), on(PostDraft, publish.post_listing),
                           on(CancelDraft, cancel),
                           MessageHandler(anything, waiting(Step.PREVIEW))],
        },
        # Continue / Start fresh work from any state: the offer may outlive a crash that kept
        # the conversation's previous state.
        fallbacks=[CommandHandler("cancel", cancel), CommandHandler("post", start_post),
                   *resume_buttons,
                   # "Did you mean $12,000?" may answer an edited price at any step.
                   on(ConfirmPrice, answers.price_confirmed),
                   on(RetypePrice, answers.price_retyped),
                   on(DraftButton, button_out_of_step)],
        name="post",
        persistent=True,
        allow_reentry=True,
    )
    for handlers in conversation.states.values():
        for handler in handlers:
            handler.callback = unless_expired(handler.callback)
    return conversation
