"""Builds the python-telegram-bot Application the way its maintainers do, with every handler in
one table.

python-telegram-bot tries the handlers of a group in the order they were added and runs the
first that matches, so the table reads top to bottom as the bot decides where an update goes:
the flows first, then commands and buttons, then the replies for whatever is left.
"""

from __future__ import annotations

from datetime import UTC

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InvalidCallbackData,
    MessageHandler,
    PersistenceInput,
    TypeHandler,
    filters,
)

from bot import basics, jobs
from bot.accounts import catalog, connect, overview
from bot.assisted import links, reminders
from bot.assisted.kits import resume_kits
from bot.buttons import (
    AccountAction,
    CardAction,
    ChangePrice,
    ChooseCatalog,
    Connect,
    ConnectMenu,
    DraftButton,
    FixRefusal,
    KeepPrice,
    KitLater,
    LeaveFix,
    ListingsPage,
    OpenListing,
    ReminderDone,
    RetryPosting,
    SkipKit,
)
from bot.claims import ClaimBatcher
from bot.client import build_bot
from bot.commands import bot_commands, deep_link
from bot.config import Settings
from bot.context import BotContext, DealScoutApplication
from bot.groups import gate
from bot.inbox import Inbox
from bot.processor import PerSellerUpdateProcessor
from bot.replicas import SellerCatchUp
from bot.selling import edits, fix, listings, loose_photos, publish
from bot.selling.conversation import button_after_the_conversation, post_conversation
from bot.selling.question import Question, one_question
from bot.services import build_services
from storage.db import Database
from storage.persistence import DatabasePersistence
from storage.timeutil import SYSTEM_CLOCK, Clock


def add_handlers(application: DealScoutApplication) -> None:
    """Every handler of the bot, in the order python-telegram-bot checks them."""
    add = application.add_handler
    # Before anything else, groups, supergroups and channels stop here: /post, /connect,
    # /listings, /accounts, /start and /help get one "Continue in private chat" button, a press
    # changes nothing, the rest is ignored. Nothing below sees them, so no draft, link, account
    # or listing ever shows where others read.
    add(gate.commands_outside_private(), group=-200)
    add(gate.anything_else_outside_private(), group=-200)
    # Then, in a group of its own: remember each seller the first time.
    add(TypeHandler(Update, basics.remember_seller), group=-100)

    # A seller's edit of an earlier message: the /post field it answered changes; an edit of
    # anything else is ignored (never taken as the answer to the step on screen).
    add(MessageHandler(filters.UpdateType.EDITED, edits.answer_edited))
    # /post, /start post and 📦 Post an item: the listing conversation, step by step.
    add(post_conversation())
    # A /post button pressed when no /post is going on.
    add(CallbackQueryHandler(button_after_the_conversation, pattern=DraftButton))
    # Questions on a listing's card, one open at a time: ✏️ Fix on a refused copy (then that
    # marketplace is posted to again) and ✏️ Change price (then every copy is updated).
    add(one_question("card_question", [
        Question("fix", FixRefusal, fix.start_fix, fix.value_received, fix.leave_it, LeaveFix),
        Question("price", ChangePrice, listings.ask_new_price, listings.new_price,
                 listings.keep_price, KeepPrice),
    ]))

    # /start with a deep link (t.me/<bot>?start=help, =connect, =listings or =accounts, as a
    # group's "Continue in private chat" sends them; =post is above), then /start and /help.
    add(CommandHandler("start", basics.help_command, deep_link("help")))
    add(CommandHandler("start", connect.connect_command, deep_link("connect")))
    add(CommandHandler("start", listings.listings_command, deep_link("listings")))
    add(CommandHandler("start", overview.accounts_command, deep_link("accounts")))
    add(CommandHandler("start", basics.start))
    add(CommandHandler("help", basics.help_command))

    # /connect, its menu, and each marketplace's consent link (also Reconnect and Try again).
    add(CommandHandler("connect", connect.connect_command))
    add(CallbackQueryHandler(connect.show_menu, pattern=ConnectMenu))
    add(CallbackQueryHandler(connect.consent_link, pattern=Connect))
    # The catalog to list into, asked right after connecting a marketplace that has several.
    add(CallbackQueryHandler(catalog.choose_catalog, pattern=ChooseCatalog))
    # /accounts and its Check / Disconnect / Yes / Keep it buttons.
    add(CommandHandler("accounts", overview.accounts_command))
    add(CallbackQueryHandler(overview.act, pattern=AccountAction))

    # /listings, its pages and cards, and what a card does (sold, withdraw, post elsewhere).
    add(CommandHandler("listings", listings.listings_command))
    add(CallbackQueryHandler(listings.turn_page, pattern=ListingsPage))
    add(CallbackQueryHandler(listings.open_card, pattern=OpenListing))
    add(CallbackQueryHandler(listings.act, pattern=CardAction))
    # 🔁 Retry on a posting outcome.
    add(CallbackQueryHandler(publish.retry_pressed, pattern=RetryPosting))

    # Kits for marketplaces without a listing API: Skip, Remind me later, a reminder's Done,
    # and the link of a listing the seller posted by hand (text no flow took).
    add(CallbackQueryHandler(links.kit_skipped, pattern=SkipKit))
    add(CallbackQueryHandler(links.kit_later, pattern=KitLater))
    add(CallbackQueryHandler(reminders.reminder_done, pattern=ReminderDone))
    add(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND,
                       links.link_pasted))
    # A photo (or an image file) sent when no /post is going on: offer to start a listing.
    add(MessageHandler(filters.ChatType.PRIVATE & (filters.PHOTO | filters.Document.IMAGE),
                       loose_photos.photo_outside_flow))

    # What no flow took: /cancel, commands we don't know, and anything else in a private chat.
    add(CommandHandler("cancel", basics.cancel))
    add(MessageHandler(filters.COMMAND, basics.unknown_command))
    add(MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, basics.not_understood))
    # A button we did not make (older bot, forged), then any other whose moment has passed.
    add(CallbackQueryHandler(basics.stale_button, pattern=InvalidCallbackData))
    add(CallbackQueryHandler(basics.stale_button))

    # Errors: logged once for the operator, one sentence for the seller.
    application.add_error_handler(basics.on_error)


async def post_init(application: Application) -> None:
    """Register the command menu (what the seller sees when they type /), then finish what a
    crash interrupted: updates received but not handled, publishing, and kits not sent."""
    assert isinstance(application, DealScoutApplication)
    await application.bot.set_my_commands(bot_commands())
    # Before polling starts, so a seller's older messages are handled before their newer ones.
    await application.inbox.requeue(application.update_queue, application.bot)
    await application.publishing.resume()
    application.job_queue.run_once(resume_kits, 0, name="resume-kits")


async def post_shutdown(application: Application) -> None:
    """Close each marketplace adapter's HTTP client."""
    assert isinstance(application, DealScoutApplication)
    for adapter in application.services.marketplaces.values():
        await adapter.aclose()


def build_application(
    settings: Settings, db: Database, clock: Clock = SYSTEM_CLOCK
) -> DealScoutApplication:
    services = build_services(settings, db, clock)
    processor = PerSellerUpdateProcessor()
    inbox = Inbox(services.updates)
    bot = build_bot(
        token=settings.telegram_bot_token,
        base_url=settings.telegram_api_base,
        base_file_url=settings.telegram_file_base,
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC),
        # Stay under Telegram's flood limit, and wait out a 429 instead of losing the message.
        rate_limiter=AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=3),
        inbox=inbox,
    )
    application = (
        ApplicationBuilder()
        .application_class(DealScoutApplication, kwargs={"services": services, "inbox": inbox})
        .bot(bot)
        .context_types(ContextTypes(context=BotContext))
        # Buttons carry their own data (bot/buttons.py): there is no callback data to keep.
        .persistence(DatabasePersistence(db, store_data=PersistenceInput(callback_data=False),
                                         shared=services.coordination.shared))
        .concurrent_updates(processor)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    assert isinstance(application, DealScoutApplication)
    # A retry or an album's answer that comes due while the loop is busy must still run, late:
    # APScheduler's default drops a job more than 1 s late ("was missed by").
    queue = application.job_queue
    assert queue is not None  # the job-queue extra is a dependency
    queue.scheduler.configure(  # configure() resets everything: keep PTB's settings too
        job_defaults={"misfire_grace_time": None, "coalesce": True},
        **queue.scheduler_configuration,
    )
    claims = ClaimBatcher(services.updates.claim_many)  # one write for the claims waiting
    coordination = services.coordination
    processor.bind(
        claim=claims.claim, after_update=application.update_persistence,
        turn=coordination.seller_turn if coordination.shared else None,
        catch_up=SellerCatchUp(application).before if coordination.shared else None,
    )
    add_handlers(application)
    jobs.schedule(application)
    return application
