"""The bot's first conversation through the emulator: /start, /help, the menu, stray input."""

from __future__ import annotations

import io

from PIL import Image

from bot.runtime import BotRuntime
from sandbox.browser import connect
from sandbox.telegram import TelegramEmulator
from sandbox.world import SandboxWorld
from tests.helpers import connect_all, reply


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
    assert reply.text == (
        "👋 Hi Ana <3! I'm Deal Scout.\n\n"
        "Send me photos of something you're selling and a few details. I post it for you on "
        "eBay, Facebook Shop (catalog) and OfferUp; I hand you a ready-to-paste kit for Facebook "
        "Marketplace, Mercari, Poshmark, Depop and Craigslist, which have no listing API. Then I "
        "keep every copy in step: when it sells on one, I end the others, or remind you to, so "
        "you never sell it twice.\n\n"
        "First step: connect eBay or Facebook Shop (catalog) or OfferUp (the kits need no "
        "connection), then post an item.\n\n"
        "/help shows everything I can do."
    )
    # The next step as buttons, not a list of commands: nothing is connected, so Connect first.
    assert reply.buttons == [["🔗 Connect a marketplace"], ["📦 Post an item"]]
    # The name was escaped for HTML, so Telegram accepted it and shows it verbatim.
    assert "Ana &lt;3" in reply.html
    seller = await bot.application.services.sellers.get(101)
    assert seller is not None and seller.first_name == "Ana <3" and seller.username == "ana"

    await ana.press("🔗 Connect a marketplace", message_id=reply.message_id)
    await ana.wait_for(lambda _: "Connect your marketplace accounts once" in reply.text)
    assert reply.buttons == [["Connect eBay"], ["Connect Facebook Shop (catalog)"],
                             ["Connect OfferUp"]]


async def test_start_once_connected_offers_post_first_then_the_listings(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(106, "Ana")
    await connect(ana, "OfferUp", world.offerup.oauth)
    await ana.send_command("start")
    first = await reply(ana, "👋 Hi Ana!")
    assert "Next step: post an item — tap below and send me its photos." in first.text
    assert first.buttons == [["📦 Post an item"], ["🔗 Connect a marketplace"]]

    services = bot.application.services
    await services.drafts.start(106)
    await services.drafts.add_photo(106, "u1", "f1", jpeg(), 800, 600)
    await services.drafts.update(106, title="Brass lamp", price_cents=2500, condition="good",
                                 marketplaces=[])
    await services.listings.create_from_draft(await services.drafts.get(106), "SKU-1")
    await ana.send_command("start")
    welcome = await reply(ana, "👋 Hi Ana!")
    assert welcome.buttons == [["📦 Post an item"], ["📋 My listings"],
                               ["🔗 Connect a marketplace"]]
    await ana.press("📋 My listings", message_id=welcome.message_id)
    await ana.wait_for(lambda _: "Your listings (page 1 of 1):" in welcome.text)
    assert welcome.buttons == [["1. Brass lamp"]]
    await ana.press("📦 Post an item", message_id=first.message_id)
    await reply(ana, "Let's list an item. Send me its photos")


async def test_start_with_every_marketplace_connected_offers_no_connect(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(107, "Ana")
    await connect_all(world, ana)
    await ana.send_command("start")
    welcome = await reply(ana, "👋 Hi Ana!")
    assert welcome.buttons == [["📦 Post an item"]]


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
    puzzled = await ana.next_message()
    assert "not sure what to do with that" in puzzled.text
    assert puzzled.buttons == [["📦 Post an item"], ["📋 My listings"]]  # the likely next steps
    await ana.send_photo(jpeg())  # a seller starts with the photo: offered a listing
    assert (await ana.next_message()).text == "📷 Shall I start a listing with this photo?"
    await ana.send_document(b"%PDF-1.4 ...", file_name="receipt.pdf", mime_type="application/pdf")
    assert "not sure what to do with that" in (await ana.next_message()).text
    await ana.send_location(40.7128, -74.0060)
    assert "not sure what to do with that" in (await ana.next_message()).text
    await ana.send_command("frobnicate")
    unknown = await ana.next_message()
    assert "I don't know the command /frobnicate" in unknown.text
    assert unknown.buttons == [["📦 Post an item"], ["📋 My listings"]]
    await ana.send_command("cancel")
    nothing = await ana.next_message()
    assert nothing.text == "There's nothing to cancel — we weren't in the middle of anything."
    assert nothing.buttons == [["📦 Post an item"], ["📋 My listings"]]
    await ana.press("📦 Post an item", message_id=nothing.message_id)
    # The button does what /post does: with nothing connected, that is said first.
    assert (await ana.next_message()).text.startswith(
        "You haven't connected a marketplace yet, so I can't post anywhere myself.")


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
