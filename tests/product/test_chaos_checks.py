"""The chaos run's "no update answered twice" check flags a message answered twice, and only
that: a backlog answered late, after the seller had already written again, is not a repeat.

The chats are real emulator chats: the seller writes through the emulator and the "bot" answers
with raw Bot API calls, so the check reads the same transcript it reads in bench/chaos.py.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import httpx
import pytest
from PIL import Image

from sandbox.telegram import Seller, TelegramEmulator

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from chaos import repeated_answers

MENU = "Connect your marketplace accounts once."
START = "Let's list an item. Send me its photos."


@pytest.fixture
async def emulator():
    async with TelegramEmulator(rate_limit_per_second=None) as emu:
        yield emu


@pytest.fixture
async def bot(emulator: TelegramEmulator):
    """Sends a message as the bot, the way PTB posts it."""
    async with httpx.AsyncClient(timeout=10) as client:
        async def send(seller: Seller, text: str) -> None:
            response = await client.post(f"{emulator.base_url}{emulator.token}/sendMessage",
                                         data={"chat_id": seller.chat_id, "text": text})
            assert response.json()["ok"], response.text
        yield send


async def test_a_message_answered_in_two_lives_is_a_repeat(emulator, bot) -> None:
    seller = emulator.seller(9001, "Seller 1")
    await seller.send_command("post")
    await bot(seller, START)
    await bot(seller, START)  # the same /post, handled again after a restart
    assert repeated_answers(seller.transcript(), "Seller 1") == [START]


async def test_a_backlog_answered_after_newer_messages_is_not_a_repeat(emulator, bot) -> None:
    """Chaos seed 1, chat 9005: /connect ×3 and /post sent while the bot was down; the seller
    sent /post again after the first menu; the bot then answered all five, in order."""
    seller = emulator.seller(9005, "Seller 5")
    for _ in range(3):
        await seller.send_command("connect")
    await seller.send_command("post")
    await bot(seller, MENU)
    await seller.send_command("post")
    await bot(seller, MENU)
    await bot(seller, MENU)
    await bot(seller, START)
    await bot(seller, START)
    assert repeated_answers(seller.transcript(), "Seller 5") == []
    await bot(seller, START)  # a sixth answer to five messages
    assert repeated_answers(seller.transcript(), "Seller 5") == [START]


async def test_progress_notices_take_no_credit(emulator, bot) -> None:
    """A restart's notice about a listing answers nothing: two /post still earn two prompts."""
    seller = emulator.seller(9002, "Seller 2")
    await seller.send_command("post")
    await seller.send_command("post")
    await bot(seller, "“Lamp” is live on 3 of 3 marketplaces.")
    await bot(seller, START)
    await bot(seller, START)
    assert repeated_answers(seller.transcript(), "Seller 2") == []


async def test_an_album_is_one_message_to_answer(emulator, bot) -> None:
    seller = emulator.seller(9003, "Seller 3")
    for color in ((200, 30, 30), (30, 200, 30)):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
        await seller.send_photo(buffer.getvalue(), media_group_id="13371337")
    added = "📷 Added 2 photos — 2 of up to 12."
    await bot(seller, added)
    assert repeated_answers(seller.transcript(), "Seller 3") == []
    await bot(seller, added)  # the album answered again
    assert repeated_answers(seller.transcript(), "Seller 3") == [added]
