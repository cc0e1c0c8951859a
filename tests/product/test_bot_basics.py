"""The bot's first conversation through the emulator: /start, /help, the menu, stray input."""

from __future__ import annotations

import io

from PIL import Image

from bot.runtime import BotRuntime
from sandbox.telegram import TelegramEmulator


def jpeg(width: int = 800, height: int = 600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


async def test_command_menu_is_registered_at_start(
    telegram: TelegramEmulator, bot: BotRuntime
) -> None:
    assert [(c["command"], c["description"]) for c in telegram.commands] == [
        ("start", "What Deal Scout does and how to begin"),
        ("post", "List an item on your marketplaces"),
        ("listings", "Your listings: mark sold, change price, withdraw"),
        ("connect", "Connect a marketplace account"),
        ("accounts", "Your connected accounts"),
        ("help", "Everything I can do for you"),
        ("cancel", "Stop what we are doing"),
    ]


async def test_start_welcomes_seller_by_name_and_records_them(
    telegram: TelegramEmulator, bot: BotRuntime
) -> None:
    ana = telegram.seller(101, "Ana <3", username="ana")
    await ana.send_command("start")
    reply = await ana.next_message()
    assert reply.text.startswith("👋 Hi Ana <3! I'm Deal Scout.")
    # Honest about how: OfferUp has a partner API in the sandbox, the rest get kits
    assert "I post it for you on eBay, Facebook Shop (catalog) and OfferUp" in reply.text
    assert ("a ready-to-paste kit for Facebook Marketplace, Mercari, Poshmark, Depop and "
            "Craigslist, which have no listing API") in reply.text
    assert "/help — Everything I can do for you" in reply.text
    # The name was escaped for HTML, so Telegram accepted it and shows it verbatim.
    assert "Ana &lt;3" in reply.html
    seller = await bot.application.services.sellers.get(101)
    assert seller is not None and seller.first_name == "Ana <3" and seller.username == "ana"


async def test_help_and_the_help_deep_link_show_the_same_text(
    telegram: TelegramEmulator, bot: BotRuntime
) -> None:
    ana = telegram.seller(102, "Ana")
    await ana.send_command("help")
    direct = await ana.next_message()
    await ana.send_command("start", "help")
    via_link = await ana.next_message()
    assert direct.text == via_link.text
    assert "/cancel — Stop what we are doing" in direct.text


async def test_unknown_deep_link_falls_back_to_the_welcome(
    telegram: TelegramEmulator, bot: BotRuntime
) -> None:
    ana = telegram.seller(103, "Ana")
    await ana.send_command("start", "no-such-flow")
    assert (await ana.next_message()).text.startswith("👋 Hi Ana!")


async def test_input_that_matches_nothing_is_answered(
    telegram: TelegramEmulator, bot: BotRuntime
) -> None:
    ana = telegram.seller(104, "Ana")
    await ana.send_text("how much for the lamp? 💡")
    assert "not sure what to do with that" in (await ana.next_message()).text
    await ana.send_photo(jpeg())  # a seller starts with the photo: offered a listing
    assert (await ana.next_message()).text == "📷 Shall I start a listing with this photo?"
    await ana.send_document(b"%PDF-1.4 ...", file_name="receipt.pdf", mime_type="application/pdf")
    assert "not sure what to do with that" in (await ana.next_message()).text
    await ana.send_location(40.7128, -74.0060)
    assert "not sure what to do with that" in (await ana.next_message()).text
    await ana.send_command("frobnicate")
    assert "I don't know the command /frobnicate" in (await ana.next_message()).text
    await ana.send_command("cancel")
    assert (await ana.next_message()).text == (
        "There's nothing to cancel — we weren't in the middle of anything."
    )


async def test_stale_button_gets_a_short_answer(
    telegram: TelegramEmulator, bot: BotRuntime
) -> None:
    ana = telegram.seller(105, "Ana")
    await ana.send_command("start")
    welcome = await ana.next_message()
    await ana.press_data(welcome.message_id, "old:flow:42")
    await ana.wait_for(lambda _: bool(ana.callback_answers))
    assert ana.callback_answers[0]["text"] == (
        "That button belongs to something that has already finished."
    )
