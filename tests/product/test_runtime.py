"""The running bot as an operator sees it: webhook, health, restarts, order, duplicates, logs."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.context import BotContext, DealScoutApplication
from bot.logs import MASK, configure_logging
from bot.runtime import BotRuntime
from sandbox.harness import free_port, sandbox_settings
from sandbox.telegram import TelegramEmulator
from sandbox.world import SandboxWorld
from storage.db import Database
from storage.updates import UpdateLedger
from tests.helpers import HeldCommand, eventually, within

WEBHOOK_SECRET = "s3cret-token_for-webhook"
T = TypeVar("T")



async def test_webhook_mode_receives_updates_and_refuses_a_wrong_secret(
    telegram: TelegramEmulator, start_bot: Callable[..., BotRuntime]
) -> None:
    port = free_port()
    runtime = start_bot(
        web_port=port,
        public_base_url=f"http://127.0.0.1:{port}",
        webhook_secret=WEBHOOK_SECRET,
    )
    async with runtime:
        assert telegram.webhook is not None
        assert telegram.webhook["url"] == f"http://127.0.0.1:{port}/telegram/webhook"
        ana = telegram.seller(201, "Ana")
        await ana.send_command("start")
        assert (await ana.next_message()).text.startswith("👋 Hi Ana!")
        await ana.send_command("connect")  # a button press arrives by webhook too
        menu = await ana.next_message()
        await ana.press("Connect eBay", message_id=menu.message_id)
        await ana.wait_for(lambda _: "Tap Open eBay" in (menu.text or ""))

        forged = {
            "update_id": 999_999,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": 201, "type": "private", "first_name": "Ana"},
                "from": {"id": 201, "is_bot": False, "first_name": "Ana"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        async with httpx.AsyncClient() as client:
            url = f"{runtime.web.url}/telegram/webhook"
            wrong = await client.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            missing = await client.post(url, json=forged)
            garbage = await client.post(
                url,
                content=b"{not json",
                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
            )
        # With the right secret it is Telegram's: acknowledged even unreadable, or it is resent
        assert (wrong.status_code, missing.status_code, garbage.status_code) == (403, 403, 200)
        # The forged /help never reached a handler: the next reply is to Ana's next message.
        await ana.send_command("cancel")
        assert "nothing to cancel" in (await ana.next_message()).text


async def test_healthz_is_200_with_a_database_and_503_without(bot: BotRuntime) -> None:
    url = f"{bot.web.url}/healthz"
    async with httpx.AsyncClient() as client:
        healthy = await client.get(url)
        assert healthy.status_code == 200
        body = healthy.json()
        assert body["ok"] is True and body["db"] == "ok" and body["queue_depth"] == 0
        assert body["version"]

        # A wedged writer holds the database: the ping cannot get through in time.
        bot.db.ping_timeout = 0.2
        async with bot.db.transaction():
            sick = await client.get(url)
        recovered = await client.get(url)
    assert sick.status_code == 503
    assert sick.json()["ok"] is False and sick.json()["db"] == "unreachable"
    assert recovered.status_code == 200


ASK_NAME, ASK_PRICE = range(2)


def probe_conversation() -> ConversationHandler:
    """A two-step conversation standing in for a real flow: /probe → name → price."""

    async def begin(update: Update, context: BotContext) -> int:
        await update.effective_message.reply_text("What's the item called?")
        raise ApplicationHandlerStop(ASK_NAME)

    async def name(update: Update, context: BotContext) -> int:
        context.user_data["name"] = update.effective_message.text
        await update.effective_message.reply_text("And the price?")
        raise ApplicationHandlerStop(ASK_PRICE)

    async def price(update: Update, context: BotContext) -> int:
        item = context.user_data["name"]
        await update.effective_message.reply_text(f"{item} for {update.effective_message.text}")
        raise ApplicationHandlerStop(ConversationHandler.END)

    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("probe", begin)],
        states={ASK_NAME: [MessageHandler(text, name)], ASK_PRICE: [MessageHandler(text, price)]},
        fallbacks=[],
        name="probe",
        persistent=True,
    )


def add_probe(application: DealScoutApplication) -> None:
    application.add_handler(probe_conversation(), group=-1)


async def test_a_persisted_conversation_survives_an_application_restart(
    telegram: TelegramEmulator, start_bot: Callable[..., BotRuntime]
) -> None:
    ana = telegram.seller(202, "Ana")
    async with start_bot(on_build=add_probe) as first:
        await ana.send_command("probe")
        assert (await ana.next_message()).text == "What's the item called?"
        await ana.send_text("Brass lamp")
        assert (await ana.next_message()).text == "And the price?"

        async def stored_states() -> list[tuple[str, str]]:
            rows = await first.db.fetchall("SELECT name, state FROM ptb_conversations")
            return [(r["name"], r["state"]) for r in rows]

        # Written right after the update was handled, not only at shutdown.
        assert await eventually(stored_states, [("probe", str(ASK_PRICE))])

    async with start_bot(on_build=add_probe):
        await ana.send_text("$40")
        assert (await ana.next_message()).text == "Brass lamp for $40"


async def test_a_duplicate_update_is_handled_once(
    telegram: TelegramEmulator, bot: BotRuntime
) -> None:
    ana = telegram.seller(203, "Ana")
    update = await ana.send_command("start")
    assert (await ana.next_message()).text.startswith("👋 Hi Ana!")
    telegram.redeliver(update["update_id"])
    await ana.send_command("help")
    # Ana's updates are handled in order, so a second welcome would arrive before this reply.
    assert (await ana.next_message()).text.startswith("Deal Scout lists your item")
    welcomes = [m for m in ana.bot_messages if m.text.startswith("👋")]
    assert len(welcomes) == 1
    row = await bot.db.fetchone(
        "SELECT COUNT(*) FROM processed_updates WHERE update_id = ?", (update["update_id"],)
    )
    assert row[0] == 1




async def test_one_sellers_held_handler_does_not_hold_up_another(
    telegram: TelegramEmulator, start_bot: Callable[..., BotRuntime]
) -> None:
    held = HeldCommand()
    async with start_bot(on_build=held.add_to):
        ana, ben = telegram.seller(204, "Ana"), telegram.seller(205, "Ben")
        try:
            await ana.send_command("hold")
            await within(held.entered.wait())
            await ana.send_command("help")  # queued behind Ana's held update
            await ben.send_command("start")
            assert (await ben.next_message()).text.startswith("👋 Hi Ben!")
            assert ana.bot_messages == []
        finally:
            held.release.set()  # a failed check must not leave the bot stuck at shutdown
        assert (await ana.next_message()).text == "released"
        assert "/cancel" in (await ana.next_message()).text


async def test_a_message_taken_before_a_crash_is_answered_after_the_restart_once(
    telegram: TelegramEmulator, start_bot: Callable[..., BotRuntime]
) -> None:
    """The first bot takes Ana's /help from Telegram (and confirms it) but is stuck before
    handling it, as a bot killed at that moment would be. The restarted bot answers it from
    the inbox; when the first bot gets to it after all, the ledger says it is taken."""
    held = HeldCommand()
    ana = telegram.seller(207, "Ana")
    first = start_bot(on_build=held.add_to)
    async with first:
        try:
            await ana.send_command("hold")
            await within(held.entered.wait())
            help_update = await ana.send_command("help")  # waits behind Ana's held /hold

            async def inbox() -> list[tuple[object, bool]]:
                rows = await first.db.fetchall(
                    "SELECT claimed_at, payload IS NOT NULL FROM processed_updates"
                    " WHERE update_id = ?", (help_update["update_id"],))
                return [tuple(row) for row in rows]

            assert await eventually(inbox, [(None, True)])  # on disk, not yet taken on
            await first.application.updater.stop()  # confirms it to Telegram: the crash window

            async with start_bot(web_port=free_port()):
                welcome = await ana.next_message()
                assert welcome.text.startswith("Deal Scout lists your item")
                held.release.set()
                assert (await ana.next_message()).text == "released"
                processor = first.application.update_processor
                assert await eventually(lambda: asyncio.sleep(0, processor.sellers_in_flight), 0)
                await ana.send_command("cancel")
                assert "nothing to cancel" in (await ana.next_message()).text
        finally:
            held.release.set()  # a failed check must not leave the first bot stuck at shutdown
    helps = [m for m in ana.bot_messages if m.text.startswith("Deal Scout lists your item")]
    assert len(helps) == 1


async def test_an_unreadable_update_from_before_a_restart_does_not_stop_the_start(
    telegram: TelegramEmulator, settings: Settings, start_bot: Callable[..., BotRuntime]
) -> None:
    db = await Database.open(settings.database_path)
    await UpdateLedger(db).record([(41, 209, '{"update_id": 41, "message": {"truncated')])
    await db.close()
    async with start_bot() as bot:
        ana = telegram.seller(209, "Ana")
        await ana.send_command("start")
        assert (await ana.next_message()).text.startswith("👋 Hi Ana!")
        row = await bot.db.fetchone(
            "SELECT claimed_at, payload FROM processed_updates WHERE update_id = 41")
        assert row["claimed_at"] is not None and row["payload"] is None


async def test_a_press_handled_too_late_to_answer_still_does_what_was_pressed(
    telegram: TelegramEmulator, start_bot: Callable[..., BotRuntime]
) -> None:
    """Telegram refuses to answer a press after a short while; a press handled later (after a
    restart) must still act, not end in "something went wrong"."""
    held = HeldCommand(reply=None)
    telegram.callback_answer_seconds = 0  # whenever the bot answers, it is too late
    ana = telegram.seller(208, "Ana")
    async with start_bot(on_build=held.add_to):
        await ana.send_command("connect")
        menu = await ana.next_message()
        await ana.send_command("hold")
        await within(held.entered.wait())
        await ana.press("Connect eBay", message_id=menu.message_id)  # waits behind /hold
        held.release.set()
        await ana.wait_for(lambda _: any("🔗 Open eBay" in label for m in ana.bot_messages
                                         for row in m.buttons for label in row))
    assert not any((m.text or "").startswith("Sorry") for m in ana.bot_messages)
    assert ana.callback_answers == []  # the one answer came too late, and was refused


async def test_no_log_line_of_a_full_run_contains_the_bot_token(
    telegram: TelegramEmulator, settings: Settings, tmp_path: Path
) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", settings.secrets(), stream=stream)

    async def leak(update: Update, context: BotContext) -> None:
        raise RuntimeError(f"upstream failed: {context.bot.base_url}/sendMessage")

    def add_leak(application: DealScoutApplication) -> None:
        application.add_handler(CommandHandler("leak", leak), group=-1)

    async with BotRuntime(settings, on_build=add_leak):
        ana = telegram.seller(206, "Ana")
        for command in ("start", "help", "cancel"):
            await ana.send_command(command)
            await ana.next_message()
        await ana.send_command("leak")
        await ana.wait_for(lambda _: any(m.text.startswith("Sorry") for m in ana.bot_messages))
    output = stream.getvalue()
    assert "update" in output and "failed" in output  # the failure was logged once...
    assert f"{MASK}/sendMessage" in output  # ...with the token masked inside the URL
    assert settings.telegram_bot_token not in output
    assert settings.telegram_bot_token.split(":")[1] not in output
    sorry = [m.text for m in ana.bot_messages if m.text.startswith("Sorry")]
    assert sorry == [
        "Sorry — something went wrong on my side and I couldn't finish that. "
        "Please try again in a moment."
    ]


async def test_a_429_from_telegram_is_waited_out_not_lost(tmp_path: Path) -> None:
    async with SandboxWorld(telegram_rate_limit=3) as slow:  # Telegram, but stingy
        settings = dataclasses.replace(sandbox_settings(slow, tmp_path), telegram_max_rate=0)
        async with BotRuntime(settings):
            ana = slow.telegram.seller(209, "Ana")
            for _ in range(8):
                await ana.send_command("help")
            await ana.wait_for(lambda _: len(ana.bot_messages) == 8, timeout=30)
    refused = [call for call in slow.telegram.calls if call.error_code == 429]
    assert refused, "the emulator should have refused some sends"
    assert all(m.text.startswith("Deal Scout lists your item") for m in ana.bot_messages)


async def test_a_job_that_comes_due_while_the_loop_is_busy_still_runs(bot: BotRuntime) -> None:
    """A publish retry or an album's answer must not be dropped because the loop was late."""
    ran = asyncio.Event()

    async def retry(_: BotContext) -> None:
        ran.set()

    bot.application.job_queue.run_once(retry, 0.05)
    time.sleep(1.5)  # noqa: ASYNC251 - block the loop past APScheduler's 1 s misfire grace
    await asyncio.wait_for(ran.wait(), timeout=5)
    assert ran.is_set()
