"""✅ Post on the preview and 🔁 Retry on the card: the draft becomes a listing and goes to
every chosen marketplace at once; the preview becomes the listing's card (bot/cards.py), which
shows each result as it lands."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ConversationHandler

from bot.assisted.kits import KitSender
from bot.buttons import PostDraft, RetryPosting, pressed
from bot.context import BotContext
from bot.selling import texts
from bot.selling.requirements import first_missing
from bot.selling.steps import Step, draft_pressed
from bot.skus import make_sku


async def post_listing(update: Update, context: BotContext) -> int | None:
    found = await draft_pressed(update, context, PostDraft)
    if found is None:
        return None
    query = update.callback_query
    telegram_id = update.effective_user.id
    services = context.services
    if await first_missing(context, telegram_id) is not Step.PREVIEW:
        await query.answer(texts.MOVED_ON)
        return Step.PREVIEW
    await query.answer("Posting…")
    draft = found[1]
    # The preview becomes the listing's card. Its chat and id are known before anything is
    # sent, so they are stored with the listing: a crash at any point leaves one message to
    # edit, never a second one.
    card = (query.message.chat.id, query.message.message_id) if query.message else None
    listing_id = await services.listings.create_from_draft(
        draft, make_sku(draft.title or ""), progress=card, assisted=services.kits
    )
    await services.drafts.delete_files(telegram_id)  # the row went with the listing
    application = context.application
    publishing = application.publishing
    await publishing.report(listing_id, await services.listings.cross_posts(listing_id))
    application.create_task(
        publishing.run(listing_id), update=update, name=f"publish:{listing_id}"
    )
    # The marketplaces posted by hand get their kits while the others publish.
    application.create_task(
        KitSender(application).send_pending(listing_id), update=update,
        name=f"kits:{listing_id}",
    )
    return ConversationHandler.END


async def retry_pressed(update: Update, context: BotContext) -> None:
    """🔁 Retry: a fresh budget for the seller's failed copies of their own listing."""
    query = update.callback_query
    listing_id = pressed(update, RetryPosting).listing
    services = context.services
    listing = await services.listings.get(listing_id)
    if listing is None or listing.telegram_id != update.effective_user.id:
        await query.answer(texts.NOT_YOURS, show_alert=True)
        return
    failed = [r.marketplace for r in await services.listings.cross_posts(listing_id)
              if r.state == "failed"]
    if not failed:
        await query.answer(texts.MOVED_ON)
        return
    await query.answer("Trying again…")
    await services.listings.reset_attempts(listing_id, failed)
    application = context.application
    if isinstance(query.message, Message):
        await application.cards.adopt(listing, query.message)
    names = services.display_names()
    await application.cards.show(listing_id,
                                 news=texts.retrying([names.get(m, m) for m in failed]))
    application.create_task(application.publishing.run(listing_id), update=update)
