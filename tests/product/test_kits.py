"""Marketplaces without a listing API: a kit in chat for each, the copy tracked by its pasted
link, and reminders that keep it in step — through the emulator, against the real bot.

Here OfferUp has no partner endpoint configured (the bot runs with eBay and Facebook Shop
only), so OfferUp is a kit, as it is for every operator without an OfferUp partnership.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from PIL import Image

from bot.config import Settings
from bot.runtime import BotRuntime
from marketplaces.assisted import ASSISTED, ASSISTED_BY_NAME, AssistedMarketplace
from marketplaces.base import Condition
from marketplaces.photos import prepare
from sandbox.autopilot import answer_marketplace_prompt, answer_until
from sandbox.browser import connect
from sandbox.harness import demo_photo
from sandbox.telegram import ChatMessage, Seller
from sandbox.world import SandboxWorld
from tests.helpers import MovableClock, eventually, preview_summary, reply

DESCRIPTION = "Solid brass, rewired.\nA small dent in the shade."


@pytest.fixture
async def bot(
    start_bot: Callable[..., BotRuntime], settings: Settings
) -> AsyncIterator[BotRuntime]:
    """The bot with no OfferUp partner: OfferUp is one of the kits."""
    apis = {name: config for name, config in settings.marketplaces.items() if name != "offerup"}
    async with start_bot(marketplaces=apis) as runtime:
        yield runtime


async def post_with_kits(
    world: SandboxWorld, seller: Seller, kits: tuple[str, ...], *, ebay: bool = True,
) -> ChatMessage:
    """eBay connected (unless not), one phone photo, the lamp, every kit in `kits` turned on at
    the marketplaces step: Post, and the progress message once it is final."""
    if ebay:
        page, _ = await connect(seller, "eBay", world.ebay.oauth)
        assert page.status_code == 200
    await seller.send_command("post")
    if not ebay:  # told first that nothing is connected; kits need no connection
        await reply(seller, "You haven't connected a marketplace yet")
        await seller.press("▶️ Start anyway")
    await reply(seller, "Send me its photos")
    await seller.send_photo(demo_photo())
    await reply(seller, "Added 1 photo")
    await seller.press("Done ✅")
    await reply(seller, "What's the title?")
    await seller.send_text("Brass desk lamp, 1970s")
    await answer_until(seller, "What's the price")
    await seller.send_text("40")
    await reply(seller, "Add a description")
    await seller.send_text(DESCRIPTION)
    while "Where should I post it?" not in ((choice := await seller.next_message()).text or ""):
        if "Where is the item?" in (choice.text or ""):  # eBay's: a kit needs no location
            await seller.send_text("98402")
        else:
            await answer_marketplace_prompt(seller, choice)
    for name in kits:
        label = f"⬜ {ASSISTED_BY_NAME[name].display_name} · kit"
        await seller.press(label, message_id=choice.message_id)
        await seller.wait_for(lambda _, label=label: [label.replace("⬜", "✅")] in choice.buttons)
    await seller.press("Continue »", message_id=choice.message_id)
    preview = await preview_summary(seller)
    await seller.press("✅ Post", message_id=preview.message_id)
    await seller.wait_for(lambda _: "Ready for you on" in (preview.text or ""), timeout=20)
    if ebay:
        await seller.wait_for(lambda _: "is live on" in (preview.text or ""), timeout=20)
    return preview


async def kit_messages(seller: Seller, kit: AssistedMarketplace) -> tuple[ChatMessage, ...]:
    """(the album's first photo, the card, the description) of one kit, as they arrived."""
    await seller.wait_for(lambda _: any(f"<b>{kit.display_name}</b> kit" in (m.html or "")
                                        for m in seller.bot_messages), timeout=10)
    messages = seller.bot_messages
    card_at = next(i for i, m in enumerate(messages)
                   if f"<b>{kit.display_name}</b> kit" in (m.html or ""))
    photo = next(m for m in reversed(messages[:card_at]) if m.photo_sizes)
    await seller.wait_for(lambda _: len(seller.bot_messages) > card_at + 1)
    seller.read_all()  # the next reply the test waits for comes after the kit
    return photo, messages[card_at], seller.bot_messages[card_at + 1]


def copy_texts(card: ChatMessage) -> dict[str, str]:
    return {button["text"]: button["copy_text"]["text"]
            for row in card.reply_markup["inline_keyboard"] for button in row
            if "copy_text" in button}


@pytest.mark.parametrize("kit", ASSISTED, ids=[kit.name for kit in ASSISTED])
def test_a_kits_photos_are_prepared_to_its_rules_with_no_exif(kit: AssistedMarketplace) -> None:
    phone = demo_photo()  # 1200×900 with GPS and camera tags
    assert Image.open(io.BytesIO(phone)).getexif()

    prepared = Image.open(io.BytesIO(prepare(phone, kit.rules)))

    assert not prepared.getexif() and "exif" not in prepared.info
    assert max(prepared.size) <= kit.photo_max_side
    assert min(prepared.size) >= kit.photo_min_side


@pytest.mark.parametrize("kit", ASSISTED, ids=[kit.name for kit in ASSISTED])
async def test_each_assisted_marketplace_gets_a_kit_and_tracks_the_pasted_link(
    world: SandboxWorld, bot: BotRuntime, kit: AssistedMarketplace
) -> None:
    ana = world.telegram.seller(1100 + ASSISTED.index(kit), "Ana")
    progress = await post_with_kits(world, ana, (kit.name,))
    assert (f"📝 Ready for you on {kit.display_name}: post it there from the kit, then send me "
            "the link.") in progress.text
    assert f"live on {kit.display_name}" not in progress.text  # never called live

    photo, card, description = await kit_messages(ana, kit)
    largest = photo.photo_sizes[-1]
    assert max(largest["width"], largest["height"]) <= kit.photo_max_side
    copies = copy_texts(card)
    title = copies["📋 Title"]
    assert title == "Brass desk lamp, 1970s"[:kit.title_max] or len(title) <= kit.title_max
    assert copies["📋 $40"] == "40"
    assert copies[f"📋 {kit.condition_words(Condition.GOOD)}"] == kit.condition_words(
        Condition.GOOD)
    assert all(1 <= len(text) <= 256 for text in copies.values())
    opens = [b for row in card.reply_markup["inline_keyboard"] for b in row if "url" in b]
    assert opens == [{"text": f"Open {kit.display_name} ↗", "url": kit.new_listing_url}]
    assert description.text == DESCRIPTION[:kit.description_max]
    assert ana.copy("📋 Title") == title

    await ana.send_text("https://example.com/my-lamp")
    refused = await reply(ana, f"That isn't a {kit.display_name} listing link.")
    assert kit.listing_url_example in refused.text
    await ana.send_text(f"Check out my listing! {kit.listing_url_example}")
    await reply(ana, f"✅ Your {kit.display_name} listing of Brass desk lamp, 1970s is tracked.")
    (copy,) = await bot.application.services.assisted.copies(1)
    assert (copy.state, copy.url) == ("tracked", kit.listing_link(kit.listing_url_example))
    await ana.send_text(kit.listing_url_example)
    await reply(ana, f"I have no {kit.display_name} kit waiting for a link.")


async def tracked_both(world: SandboxWorld, bot: BotRuntime, seller: Seller) -> None:
    """Posted on eBay by API, on Facebook Marketplace and OfferUp by kit, both links pasted."""
    await post_with_kits(world, seller, ("facebook_marketplace", "offerup"))
    for name in ("facebook_marketplace", "offerup"):
        kit = ASSISTED_BY_NAME[name]
        await kit_messages(seller, kit)
        await seller.send_text(kit.listing_url_example)
        await seller.wait_for(lambda _, kit=kit: any(
            f"Your {kit.display_name} listing" in (m.text or "") for m in seller.bot_messages))
    seller.read_all()


def reminders_of(seller: Seller, words: str) -> list[ChatMessage]:
    return [m for m in seller.bot_messages if words in (m.text or "")]


@pytest.mark.both_databases
async def test_a_sale_on_ebay_reminds_each_copy_by_hand_until_done_and_never_after(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    ana = world.telegram.seller(1201, "Ana")
    await tracked_both(world, bot, ana)
    row = await bot.db.fetchone("SELECT external_id FROM cross_posts WHERE marketplace = 'ebay'")

    await world.ebay.checkout(str(row[0]))  # pushed by eBay

    end_fb = "sold on eBay. End it on Facebook Marketplace now so it can't sell twice."
    end_ou = "sold on eBay. End it on OfferUp now so it can't sell twice."
    await ana.wait_for(lambda _: reminders_of(ana, end_fb) and reminders_of(ana, end_ou))
    (facebook,) = reminders_of(ana, end_fb)
    assert facebook.buttons == [["Open the Facebook Marketplace listing ↗"], ["Done ✅"]]
    link = facebook.reply_markup["inline_keyboard"][0][0]["url"]
    assert link == ASSISTED_BY_NAME["facebook_marketplace"].listing_link(
        ASSISTED_BY_NAME["facebook_marketplace"].listing_url_example)
    await ana.press("Done ✅", message_id=facebook.message_id)
    await ana.wait_for(lambda _: "✅ Done: ended on Facebook Marketplace." in facebook.text)

    ana.read_all()
    await ana.send_command("listings")
    page = await reply(ana, "Your listings")
    assert "OfferUp — waiting for you to end it" in page.text
    assert "Facebook Marketplace — waiting" not in page.text

    (job,) = bot.application.job_queue.get_jobs_by_name("reminders_job")
    for minutes, count in ((16, 2), (60, 2), (61, 3), (12 * 60 + 1, 4)):
        clock.advance(timedelta(minutes=minutes))
        await job.run(bot.application)
        assert await eventually(lambda: _count(ana, end_ou), count)
        assert len(reminders_of(ana, end_fb)) == 1  # Done: never again
    (last, *_) = reversed(reminders_of(ana, end_ou))
    await ana.press("Done ✅", message_id=last.message_id)
    await ana.wait_for(lambda _: "✅ Done: ended on OfferUp." in last.text)
    clock.advance(timedelta(days=2))
    await job.run(bot.application)
    assert len(reminders_of(ana, end_ou)) == 4


async def _count(seller: Seller, words: str) -> int:
    return len(reminders_of(seller, words))


async def test_mark_sold_and_a_new_price_remind_the_copies_by_hand(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1202, "Ana")
    await tracked_both(world, bot, ana)
    await ana.send_command("listings")
    page = await reply(ana, "Your listings")
    await ana.press(page.buttons[0][0], message_id=page.message_id)
    await ana.wait_for(lambda _: "✏️ Change price" in str(page.buttons))
    await ana.press("✏️ Change price", message_id=page.message_id)
    await ana.wait_for(lambda _: "New price for" in page.text)  # asked on the card itself
    await ana.send_text("35")
    new_price = "New price for Brass desk lamp, 1970s: $35. Change it on OfferUp too."
    await ana.wait_for(lambda _: reminders_of(ana, new_price))
    (reminder,) = reminders_of(ana, new_price)
    assert ana.copy("📋 $35", message_id=reminder.message_id) == "35"

    ana.read_all()
    await ana.send_command("listings")
    page = await reply(ana, "Your listings")
    assert "OfferUp — waiting for you to change its price" in page.text
    await ana.press(page.buttons[0][0], message_id=page.message_id)
    await ana.wait_for(lambda _: "💰 Mark sold" in str(page.buttons))
    await ana.press("💰 Mark sold", message_id=page.message_id)
    await ana.wait_for(lambda _: "Yes, it sold" in str(page.buttons))
    await ana.press("Yes, it sold", message_id=page.message_id)
    marked = "You marked Brass desk lamp, 1970s sold. End it on Facebook Marketplace now"
    await ana.wait_for(lambda _: reminders_of(ana, marked))
    waiting = await bot.application.services.assisted.waiting(1)
    assert waiting == {"facebook_marketplace": "sold", "offerup": "sold"}  # price: superseded


async def test_a_restart_in_the_middle_loses_no_reminder(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime], settings: Settings,
    clock: MovableClock,
) -> None:
    apis = {name: config for name, config in settings.marketplaces.items() if name != "offerup"}
    ana = world.telegram.seller(1203, "Ana")
    async with start_bot(marketplaces=apis) as first:
        await tracked_both(world, first, ana)
        row = await first.db.fetchone(
            "SELECT external_id FROM cross_posts WHERE marketplace = 'ebay'")
        await world.ebay.checkout(str(row[0]))
        await ana.wait_for(lambda _: len(reminders_of(ana, "so it can't sell twice")) == 2)
    end_ou = "End it on OfferUp now so it can't sell twice."
    assert len(reminders_of(ana, end_ou)) == 1
    clock.advance(timedelta(minutes=20))  # due again while the bot was down
    async with start_bot(marketplaces=apis):
        await ana.wait_for(lambda _: len(reminders_of(ana, end_ou)) == 2, timeout=10)


async def test_skip_and_remind_me_later(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    ana = world.telegram.seller(1204, "Ana")
    await post_with_kits(world, ana, ("mercari", "depop"))
    _, mercari, _ = await kit_messages(ana, ASSISTED_BY_NAME["mercari"])
    _, depop, _ = await kit_messages(ana, ASSISTED_BY_NAME["depop"])
    await ana.press("Skip", message_id=mercari.message_id)
    await reply(ana, "Skipped: not posting this on Mercari.")
    await ana.press("Remind me later", message_id=depop.message_id)
    await reply(ana, "OK — I'll bring your Depop kit back in 2 hours.")
    copies = {c.marketplace: c.state for c in await bot.application.services.assisted.copies(1)}
    assert copies == {"mercari": "skipped", "depop": "kit_sent"}

    clock.advance(timedelta(hours=2, minutes=1))
    (job,) = bot.application.job_queue.get_jobs_by_name("reminders_job")
    await job.run(bot.application)
    await reply(ana, "⏰ Still want Brass desk lamp, 1970s on Depop? Your kit:")
    again = await reply(ana, "Depop kit for Brass desk lamp, 1970s")
    assert ["Remind me later", "Skip"] in again.buttons


async def test_without_any_connection_a_seller_can_post_by_kit(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1205, "Ana")
    progress = await post_with_kits(world, ana, ("facebook_marketplace",), ebay=False)
    assert progress.text.startswith("📝 Brass desk lamp, 1970s")
    assert ("Ready for you on Facebook Marketplace: post it there from the kit, then send me "
            "the link.") in progress.text
    await kit_messages(ana, ASSISTED_BY_NAME["facebook_marketplace"])


async def test_withdrawing_everywhere_reminds_the_copies_by_hand(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1206, "Ana")
    await tracked_both(world, bot, ana)
    await ana.send_command("listings")
    page = await reply(ana, "Your listings")
    await ana.press(page.buttons[0][0], message_id=page.message_id)
    await ana.wait_for(lambda _: "🛑 Withdraw everywhere" in str(page.buttons))
    await ana.press("🛑 Withdraw everywhere", message_id=page.message_id)
    await ana.wait_for(lambda _: "Yes, withdraw" in str(page.buttons))
    await ana.press("Yes, withdraw", message_id=page.message_id)
    withdrawn = "You withdrew Brass desk lamp, 1970s. End it on OfferUp too."
    await ana.wait_for(lambda _: reminders_of(ana, withdrawn))
    assert await bot.application.services.assisted.waiting(1) == {
        "facebook_marketplace": "withdrawn", "offerup": "withdrawn"}
