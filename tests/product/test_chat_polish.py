"""What a seller meets on a phone that used to end in a dead end or a wrong guess: prices typed
as "12k" or "free", photos sent as files, long descriptions, edits of earlier answers."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from telegram.ext import ExtBot

from bot.buttons import StartWithPhotos, pack
from bot.runtime import BotRuntime
from bot.selling import photos as photos_module
from bot.selling.texts import LOOSE_PHOTOS_GONE
from sandbox.autopilot import answer_until
from sandbox.telegram import Seller
from sandbox.world import SandboxWorld
from tests.helpers import (
    MovableClock,
    connect_all,
    eventually,
    fill_details,
    jpeg,
    post_and_wait,
    preview_summary,
    reply,
    start_with_photo,
)


async def at_the_price_step(world: SandboxWorld, user_id: int) -> Seller:
    seller = world.telegram.seller(user_id, "Ana")
    await start_with_photo(world, seller)
    await reply(seller, "What's the title?")
    await seller.send_text("Brass desk lamp, 1970s")
    await answer_until(seller, "What's the price in US dollars?")
    return seller


async def test_12k_is_confirmed_before_it_becomes_the_price(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = await at_the_price_step(world, 1401)
    await ana.send_text("12k")
    question = await reply(ana, "Did you mean $12,000?")
    assert question.buttons == [["✅ Yes, $12,000", "✏️ No, retype it"]]
    await ana.press("✏️ No, retype it", message_id=question.message_id)
    await ana.wait_for(lambda _: question.text.startswith("OK — send the price again"))
    assert question.buttons == []  # the answered question keeps no live buttons
    await ana.send_text("1.2k")
    again = await reply(ana, "Did you mean $1,200?")
    await ana.press("✅ Yes, $1,200", message_id=again.message_id)
    await reply(ana, "Add a description")
    assert again.text == "💲 Price set to $1,200." and again.buttons == []
    draft = await bot.application.services.drafts.get(1401)
    assert draft.price_cents == 120_000


async def test_price_limits_name_the_marketplace_whose_rule_they_are(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = await at_the_price_step(world, 1408)
    await ana.send_text("0.50")
    await reply(ana, "The lowest price I can list is $1 (OfferUp's) — send at least that.")
    await ana.send_text("2,000,000")
    await reply(ana, "That's more than $1,000,000 (eBay's limit) — check for an extra digit")


async def test_free_says_which_marketplaces_take_a_free_item(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = await at_the_price_step(world, 1402)
    await ana.send_text("Free")
    await reply(
        ana,
        "A free item can't be listed on eBay (lowest $0.99), Facebook Shop (catalog) (lowest "
        "$0.01) and OfferUp (lowest $1). Facebook Marketplace and Craigslist take free items: "
        "turn their kits on at the marketplace step and choose Free there when you post. Send "
        "a price to go on, like 1.",
    )
    draft = await bot.application.services.drafts.get(1402)
    assert draft.price_cents is None and draft.title == "Brass desk lamp, 1970s"


async def test_a_photo_sent_as_a_file_is_shown_in_the_preview(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1403, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    await ana.send_document(jpeg(1600, 1200), file_name="IMG_2041.JPG", mime_type="image/jpeg")
    await reply(ana, "Added 1 photo")
    await ana.send_photo(jpeg(1200, 900, (10, 80, 200)))
    await reply(ana, "Added 1 photo — 2 of up to")
    await ana.press("Done ✅")
    preview = await fill_details(ana)
    album = [m for m in ana.bot_messages if m.photo_sizes]
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    # Uploaded once: the photo file id Telegram gave it is kept for the next preview.
    rows = await bot.db.fetchall(
        "SELECT photo_file_id FROM draft_photos WHERE telegram_id = 1403 ORDER BY position")
    assert all(row["photo_file_id"] for row in rows)
    assert rows[0]["photo_file_id"] == album[0].photo_sizes[-1]["file_id"]
    # An edit brings a new card, not the photos again, and the old card loses its buttons.
    await ana.press("✏️ Title", message_id=preview.message_id)
    await reply(ana, "What's the title?")
    assert preview.buttons == []
    await ana.send_text("Brass desk lamp, 1970s, rewired")
    again = await preview_summary(ana)
    assert again.text.startswith("Brass desk lamp, 1970s, rewired")
    assert len([m for m in ana.bot_messages if m.photo_sizes]) == 2
    progress = await post_and_wait(ana, again)
    assert "is live on 3 of 3 marketplaces" in progress.text
    assert [len(listing.images) for listing in world.ebay.listings] == [2]


async def test_a_4000_character_description_fits_the_preview(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1404, "Ana")
    await start_with_photo(world, ana)
    description = ("Solid brass & walnut, <rewired> in 2023. " * 120)[:3990] + " The end."
    preview = await fill_details(ana, description=description)
    assert preview.text.endswith(
        "✂️ The description is shortened here; the marketplaces get all of it.\n\n"
        "Tap a field to change it, or Post when it looks right."
    )
    assert len(preview.text.encode("utf-16-le")) // 2 <= 4096
    assert "Solid brass & walnut, <rewired> in 2023." in preview.text
    assert "…" in preview.text and "The end." not in preview.text
    await post_and_wait(ana, preview)
    assert world.offerup.listings and all(
        "The end." in listing.description for listing in world.offerup.listings.values())


async def test_an_edited_answer_changes_its_field_and_says_so(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1405, "Ana")
    await start_with_photo(world, ana)
    await reply(ana, "What's the title?")
    title = await ana.send_text("Brass desk lamp, 1907s")
    await answer_until(ana, "What's the price in US dollars?")
    # At the price step, she fixes a typo in the title she sent earlier.
    await ana.edit_text(title["message"]["message_id"], "Brass desk lamp, 1970s")
    await reply(ana, "✏️ Title updated to “Brass desk lamp, 1970s”.")
    await reply(ana, "I'm waiting for the price, like 25 or $1,200")
    price = await ana.send_text("45")
    await reply(ana, "Add a description")
    # An edit to the price that can't be a price changes nothing and says so.
    await ana.edit_text(price["message"]["message_id"], "forty five")
    await reply(ana, "I couldn't read that as a price")
    # An edit to a message that answered nothing is ignored.
    stray = await ana.send_command("help")
    await reply(ana)
    await ana.edit_text(stray["message"]["message_id"], "/help me")
    description = await ana.send_text("Rewired in 2023.")
    assert "Ana ✎ /help me\nAna → Rewired in 2023." in ana.transcript()
    await answer_until(ana, "Where is the item?")
    await ana.send_text("98402")
    await reply(ana, "📍 98402 it is.")
    toggles = await reply(ana, "Where should I post it?")
    await ana.press("Continue »", message_id=toggles.message_id)
    preview = await preview_summary(ana)
    assert preview.text.startswith("Brass desk lamp, 1970s\n💵 $45")
    # At the preview, an edited answer brings the card again, changed.
    await ana.edit_text(price["message"]["message_id"], "12k")
    question = await reply(ana, "Did you mean $12,000?")
    await ana.press("✅ Yes, $12,000", message_id=question.message_id)
    await ana.wait_for(lambda _: question.text == "💲 Price updated to $12,000.")
    again = await preview_summary(ana)
    assert "💵 $12,000" in again.text
    await ana.edit_text(description["message"]["message_id"], "Rewired in 2024, new cord.")
    await reply(ana, "✏️ Description updated.")
    final = await preview_summary(ana)
    assert final.text.endswith("Rewired in 2024, new cord.\n\n"
                               "Tap a field to change it, or Post when it looks right.")
    draft = await bot.application.services.drafts.get(1405)
    assert (draft.title, draft.price_cents, draft.description) == (
        "Brass desk lamp, 1970s", 1_200_000, "Rewired in 2024, new cord.")


async def test_a_photo_outside_any_flow_offers_to_start_a_listing(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1406, "Ana")
    await connect_all(world, ana)
    await ana.send_photo(jpeg())
    offer = await reply(ana, "📷 Shall I start a listing with this photo?")
    assert offer.buttons == [["📦 Start a listing"]]
    await ana.press("📦 Start a listing", message_id=offer.message_id)
    await reply(ana, "📷 1 photo so far (up to 12). Send more, or tap Done.")
    assert offer.buttons == []
    await ana.press("Done ✅")
    await reply(ana, "What's the title?")
    await ana.send_text("Brass desk lamp")
    await answer_until(ana, "What's the price in US dollars?")
    await ana.send_command("cancel")
    await reply(ana, "Stopped.")
    # With a draft in hand, an album is answered once, and can join that draft.
    await ana.send_album([jpeg(color=(1, 2, 3)), jpeg(color=(200, 2, 3))])
    album_offer = await reply(
        ana, "📷 Shall I start a listing with these photos? Or add them to your draft "
        "“Brass desk lamp”?")
    assert album_offer.buttons == [["📦 Start a listing"], ["➕ Add to my draft"]]
    await ana.press("➕ Add to my draft", message_id=album_offer.message_id)
    await reply(ana, "📷 3 photos so far")
    assert [m.text for m in ana.read_all() if m.text and "Shall I" in m.text] == []
    draft = await bot.application.services.drafts.get(1406)
    assert draft.title == "Brass desk lamp" and len(draft.photos) == 3
    # A second tap that reached the bot before the button went (a double tap) changes nothing.
    await ana.press_data(offer.message_id, pack(StartWithPhotos(add=False)))
    await ana.wait_for(lambda _: ana.callback_answers
                       and ana.callback_answers[-1].get("text") == LOOSE_PHOTOS_GONE)
    assert len((await bot.application.services.drafts.get(1406)).photos) == 3


async def test_an_expired_draft_is_named_as_expired(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    ana = await at_the_price_step(world, 1407)
    (purge,) = bot.application.job_queue.get_jobs_by_name("purge_abandoned_drafts")
    clock.advance(timedelta(days=7, minutes=1))
    await purge.run(bot.application)
    assert await bot.application.services.drafts.get(1407) is None
    await ana.send_text("25")  # the price, a week later: not an answer to a draft that's gone
    await reply(ana, "⌛ Your draft “Brass desk lamp, 1970s” expired: I keep a draft 7 days "
                "after its last change. Let's start it again.")
    await reply(ana, "Let's list an item. Send me its photos")
    draft = await bot.application.services.drafts.get(1407)
    assert draft.price_cents is None and draft.photos == ()
    # Said once: the next answer is taken as usual.
    await ana.send_photo(jpeg())
    await reply(ana, "Added 1 photo")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_an_expired_draft_note_joins_what_another_replica_keeps(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    """With replicas, the purge (on whichever replica leases it) leaves its note in the
    seller's stored data without wiping what another replica wrote there since this one read
    it."""
    ana = await at_the_price_step(world, 1412)

    async def stored() -> dict[str, object]:
        row = await bot.db.fetchone("SELECT data FROM ptb_user_data WHERE user_id = 1412")
        return json.loads(row["data"]) if row else {}

    elsewhere = {**await stored(), "kept_by_another_replica": "yes"}
    await bot.db.execute(
        "INSERT INTO ptb_user_data (user_id, data, updated_at) VALUES (1412, ?, '')"
        " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data", (json.dumps(elsewhere),))
    (purge,) = bot.application.job_queue.get_jobs_by_name("purge_abandoned_drafts")
    clock.advance(timedelta(days=7, minutes=1))
    await purge.run(bot.application)

    async def noted() -> bool:
        return "post_draft_expired" in await stored()

    assert await eventually(noted, True)
    await asyncio.sleep(0.5)  # and nothing older written over it afterwards
    data = await stored()
    assert (data["post_draft_expired"], data["kept_by_another_replica"]) == (
        "Brass desk lamp, 1970s", "yes")
    await ana.send_text("25")
    await reply(ana, "⌛ Your draft “Brass desk lamp, 1970s” expired")


async def test_edit_photos_removes_or_moves_one_photo(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1409, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    colors = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    await ana.send_album([jpeg(color=c) for c in colors])
    await reply(ana, "📷 3 photos so far")
    await ana.press("Done ✅")
    preview = await fill_details(ana)
    before = [p.file_unique_id for p in (await bot.application.services.drafts.get(1409)).photos]
    await ana.press("✏️ Photos", message_id=preview.message_id)
    manager = await reply(ana, "📷 3 photos, numbered as in the preview; the first is the cover")
    assert manager.buttons == [["🗑 1", "🗑 2", "🗑 3"], ["⭐ 2", "⭐ 3"], ["Done ✅"]]
    await ana.press("⭐ 3", message_id=manager.message_id)
    await ana.wait_for(lambda _: manager.text.startswith("⭐ Photo 3 is now the cover."))
    await ana.press("🗑 2", message_id=manager.message_id)  # the first photo, now second
    await ana.wait_for(lambda _: manager.text.startswith("🗑 Removed photo 2. 📷 2 photos"))
    assert manager.buttons == [["🗑 1", "🗑 2"], ["⭐ 2"], ["Done ✅"]]
    after = [p.file_unique_id for p in (await bot.application.services.drafts.get(1409)).photos]
    assert after == [before[2], before[1]]
    await ana.press("Done ✅", message_id=manager.message_id)
    again = await preview_summary(ana)
    shown = [m for m in ana.bot_messages if m.photo_sizes][-2:]  # the new order, shown again
    assert len({m.media_group_id for m in shown}) == 1
    progress = await post_and_wait(ana, again)
    assert "is live on 3 of 3 marketplaces" in progress.text
    assert [len(listing.images) for listing in world.ebay.listings] == [2]


async def test_an_album_photo_handled_while_its_answer_is_sent_edits_that_answer(
    world: SandboxWorld, bot: BotRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load Telegram takes seconds to take the album's answer; a photo of the album
    handled meanwhile must not make a second answer (found by bench/conversation.py)."""
    sending = asyncio.Event()
    real_send = ExtBot.send_message

    async def slow_answer(self: ExtBot, chat_id: int, text: str, *args: object,
                          **kwargs: object) -> object:
        if text.startswith("📷"):
            sending.set()
            await asyncio.sleep(photos_module.ALBUM_SETTLE_SECONDS * 2.5)
        return await real_send(self, chat_id, text, *args, **kwargs)

    monkeypatch.setattr(ExtBot, "send_message", slow_answer)
    ana = world.telegram.seller(1411, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    for shade in (30, 90):
        await ana.send_photo(jpeg(color=(shade, 90, 90)), media_group_id="album-1")
    await asyncio.wait_for(sending.wait(), timeout=10)
    await ana.send_photo(jpeg(color=(150, 90, 90)), media_group_id="album-1")  # the last
    answer = await reply(ana, "📷 2 photos so far")
    await ana.wait_for(lambda _: answer.text.startswith("📷 3 photos so far"), timeout=10)
    await asyncio.sleep(photos_module.ALBUM_SETTLE_SECONDS * 1.5)
    assert ana.read_all() == []  # one answer, edited


async def test_a_slow_album_is_answered_once(
    world: SandboxWorld, bot: BotRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load each photo may take longer than the album's quiet moment: the answer still
    waits for every photo that arrived, instead of answering "1 photo so far", "2 …"."""
    cleaning = photos_module.clean

    async def slow_clean(data: bytes, each: list) -> tuple[bytes, int, int]:
        await asyncio.sleep(photos_module.ALBUM_SETTLE_SECONDS * 1.3)
        return await cleaning(data, each)

    monkeypatch.setattr(photos_module, "clean", slow_clean)
    ana = world.telegram.seller(1410, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    await ana.send_album([jpeg(color=(i * 60, 90, 90)) for i in range(3)])
    # One seller's photos are handled in order: 3 × 1.3 quiet moments, then one quiet moment,
    # which is close to the usual 5 s wait on a loaded machine, so this one waits longer.
    answer = await ana.next_message(timeout=20)
    assert answer.text.startswith("📷 3 photos so far"), answer.text
    await asyncio.sleep(photos_module.ALBUM_SETTLE_SECONDS * 1.5)
    assert answer.edits == 0 and ana.read_all() == []
