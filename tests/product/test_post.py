"""/post through the emulator: from photos to listings on every sandbox marketplace."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from PIL import Image

from bot.config import Settings
from bot.runtime import BotRuntime
from bot.selling.steps import Step
from sandbox.autopilot import answer_until
from sandbox.ebay import ANA
from sandbox.telegram import ChatMessage
from sandbox.world import SandboxWorld
from storage.db import opened
from tests.helpers import (
    MovableClock,
    connect_all,
    eventually,
    fill_details,
    fill_to_marketplaces,
    jpeg,
    post_and_wait,
    preview_summary,
    reply,
    start_with_photo,
    titles_on,
)


@pytest.mark.both_databases
async def test_one_photo_to_three_marketplaces(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = world.telegram.seller(401, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Let's list an item. Send me its photos", "(up to 12)")
    await ana.send_photo(jpeg())
    await reply(ana, "Added 1 photo — 1 of up to 12")
    await ana.press("Done ✅")
    preview = await fill_details(ana)
    assert "Brass desk lamp, 1970s" in preview.text
    assert "$1,200 · Used" in preview.text  # eBay's word for the condition in Lamps
    assert "🏷 Home & Garden › Lamps, Lighting & Ceiling Fans › Lamps" in preview.text
    assert "📋 Type: Desk Lamp · Material: Brass · Brand: Unbranded" in preview.text
    assert "eBay, Facebook Shop (catalog), OfferUp" in preview.text
    condition_prompt = next(m for m in ana.bot_messages if "What condition" in (m.text or ""))
    assert "eBay's words for <b>Lamps</b>" in condition_prompt.html
    assert condition_prompt.buttons_as_sent == [  # eBay's list for Lamps; no "for parts" on
        ["New"], ["New other (see details)"], ["Used"], ["« Back"]  # Facebook
    ]
    assert condition_prompt.buttons == []  # answered: its buttons went

    told = len(ana.bot_messages)
    progress = await post_and_wait(ana, preview)
    assert progress.text.startswith("🎉 Brass desk lamp, 1970s is live on 3 of 3 marketplaces.")
    assert progress.text.count("view listing") == 3
    assert len(ana.bot_messages) == told  # the preview card became the progress message
    # Its edit buttons went with it: it is the listing's card now, with the card's buttons.
    assert progress.buttons == [["💰 Mark sold", "✏️ Change price"], ["🛑 Withdraw everywhere"],
                                ["« All listings"]]
    assert titles_on(world) == {name: ["Brass desk lamp, 1970s"]
                                for name in ("ebay", "facebook", "offerup")}
    (on_ebay,) = world.ebay.listings  # eBay renders descriptions as HTML: ours arrives escaped
    assert on_ebay.description == "Rewired, &lt;b&gt;no&lt;/b&gt; dents.<br>Pick-up or shipping."
    assert on_ebay.category_id == "112581"
    item = next(iter(world.ebay.sellers[ANA].items.values()))
    assert item["condition"] == "USED_EXCELLENT"  # eBay's "Used" (3000) in Lamps
    assert item["product"]["aspects"] == {
        "Type": ["Desk Lamp"], "Material": ["Brass"], "Brand": ["Unbranded"]
    }
    assert world.ebay.contract_violations == []
    sku = (await bot.db.fetchone("SELECT sku FROM listings"))[0]
    (product,) = world.facebook.products.values()  # its required link is our item page
    assert product.fields["link"] == f"{bot.settings.public_base_url}/items/{sku}"
    async with httpx.AsyncClient() as browser:
        page = await browser.get(f"{bot.web.url}/items/{sku}")
    assert page.status_code == 200 and "Brass desk lamp, 1970s" in page.text
    assert page.text.count("<li><a href=") == 3
    row = await bot.db.fetchone("SELECT price_cents, state FROM listings")
    assert tuple(row) == (120000, "active")
    assert (await bot.db.fetchone("SELECT COUNT(*) FROM drafts"))[0] == 0


async def test_an_album_is_answered_once(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = world.telegram.seller(402, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    colors = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (200, 200, 0)]
    await ana.send_album([jpeg(color=c) for c in colors])
    answer = await reply(ana, "📷 4 photos so far (up to 12)")
    assert answer.buttons == [["Done ✅"]]
    assert sum("photos so far" in (m.text or "") for m in ana.bot_messages) == 1
    photos = await bot.db.fetchall("SELECT path FROM draft_photos WHERE telegram_id = 402")
    assert len(photos) == 4
    for row in photos:  # kept cleaned: a JPEG with no EXIF at all
        assert not Image.open(row["path"]).getexif()


async def test_photos_sent_as_files_heic_and_all(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = world.telegram.seller(403, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    png = io.BytesIO()
    Image.new("RGBA", (1000, 1000), (0, 0, 0, 0)).save(png, "PNG")
    await ana.send_document(png.getvalue(), file_name="IMG_0001.png", mime_type="image/png")
    await reply(ana, "Added 1 photo")
    await ana.send_document(b"%PDF-1.7\n", file_name="receipt.pdf", mime_type="application/pdf")
    await reply(ana, "That file isn't a photo.")
    await ana.send_photo(jpeg(320, 240))
    await reply(ana, "I couldn't use that photo: This photo is only 320×240 pixels; eBay needs "
                "at least 500 pixels on its longest side.", "The others are kept.")
    await ana.send_document(b"\xff\xd8\xff" + b"0" * 100, file_name="broken.jpg",
                            mime_type="image/jpeg")
    await reply(ana, "I couldn't use that photo")
    rows = await bot.db.fetchall("SELECT width, height FROM draft_photos WHERE telegram_id = 403")
    assert [tuple(r) for r in rows] == [(1000, 1000)]


async def test_each_refusal_says_what_works_and_loses_nothing(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(404, "Ana")
    await start_with_photo(world, ana)
    await reply(ana, "What's the title?")
    await ana.send_text("x" * 95)
    await reply(ana, "That title is 95 characters; the limit is 70 (OfferUp's).")
    await ana.send_text("\u200b\u202e ")
    await reply(ana, "The title can't be empty")
    await ana.send_text("Lamp")
    await reply(ana, "Which eBay category fits “Lamp”?",
                "1. Home & Garden › Lamps, Lighting & Ceiling Fans › Lamps")
    await ana.send_text("zzzz qqqq")  # words eBay has no category for: ask for others
    await reply(ana, "eBay has no category for “zzzz qqqq”. Send a few words")
    await ana.send_text("table lamp")
    await reply(ana, "Which eBay category fits “table lamp”?")
    await ana.press("1. Lamps")
    await reply(ana, "What condition is it in? These are eBay's words for Lamps.")
    await ana.send_text("good")
    await reply(ana, "I'm waiting for you to pick the condition with a button")
    await ana.press("Used")
    await reply(ana, "Anything a buyer should know about its wear")
    await ana.send_text("d" * 1001)
    await reply(ana, "That note is 1001 characters; the limit is 1000.")
    await ana.send_text("A dent in the shade.")
    await reply(ana, "Brand? (eBay requires it for this category) Tap one, or type it.")
    await ana.send_text("Stiffel")  # eBay takes any brand
    await reply(ana, "Type? (eBay requires it for this category) Tap one.")
    await ana.send_text("Lava lamp")  # eBay takes only its own types
    await reply(ana, "eBay accepts only its own values for Type: tap one of the buttons.")
    await ana.send_text("desk LAMP")  # one of eBay's, however it is typed
    await reply(ana, "eBay buyers also filter by")
    await ana.press("Skip")
    await reply(ana, "What's the price")
    for bad, sentence in (("-5", "negative"), ("1e9", "I couldn't read that as a price"),
                          ("25 EUR", "Prices are in US dollars")):
        await ana.send_text(bad)
        await reply(ana, sentence)
    await ana.send_text("25")
    await reply(ana, "Add a description")
    await ana.press("Skip")
    await reply(ana, "Where is the item?")
    await ana.send_text("Tacoma")
    await reply(ana, "Send a 5-digit US ZIP code")
    draft = await bot.application.services.drafts.get(404)
    assert (draft.title, draft.price_cents, draft.condition, draft.category) == (
        "Lamp", 2500, "good", "Lamps"
    )
    assert draft.category_ids == {"ebay": "112581"} and draft.condition_ids == {"ebay": "3000"}
    assert draft.condition_note == "A dent in the shade."
    assert draft.aspects == {"Brand": ["Stiffel"], "Type": ["Desk Lamp"]}
    assert len(draft.photos) == 1


async def test_html_and_emoji_in_a_title_reach_the_preview_unharmed(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(405, "Ana")
    await start_with_photo(world, ana)
    preview = await fill_details(ana, title="<script>alert(1)</script> Lamp 💡 مصباح")
    assert preview.text.startswith("<script>alert(1)</script> Lamp 💡 مصباح")
    assert "&lt;script&gt;" in preview.html
    assert "Rewired, <b>no</b> dents." in preview.text  # shown as typed, not as bold


async def test_edit_from_the_preview_returns_to_the_preview(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(406, "Ana")
    await start_with_photo(world, ana)
    preview = await fill_details(ana)
    await ana.press("✏️ Price", message_id=preview.message_id)
    await reply(ana, "What's the price")
    await ana.send_text("30.50")
    again = await preview_summary(ana)
    assert "$30.50 · Used" in again.text
    await ana.press("✏️ Marketplaces", message_id=again.message_id)
    toggles = await reply(ana, "Where should I post it?")
    await ana.press("✅ Facebook Shop (catalog)", message_id=toggles.message_id)
    await ana.wait_for(lambda _: ["⬜ Facebook Shop (catalog)"] in toggles.buttons)
    await ana.press("Continue »", message_id=toggles.message_id)
    final = await preview_summary(ana)
    assert "🛒 eBay, OfferUp" in final.text
    progress = await post_and_wait(ana, final)
    assert "is live on 2 of 2 marketplaces" in progress.text
    assert titles_on(world)["facebook"] == []


async def test_cancel_at_every_step_keeps_the_draft(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = world.telegram.seller(407, "Ana")
    await connect_all(world, ana)
    answers: list[Callable[[], object]] = [
        lambda: ana.send_photo(jpeg()),
        lambda: ana.send_text("Lamp"),
        lambda: ana.press("1. Lamps"),  # eBay's category
        lambda: ana.press("Used"),  # eBay's condition for it
        lambda: ana.press("Skip"),  # the wear note
        lambda: ana.press("Unbranded"),  # Brand
        lambda: ana.press("Table Lamp"),  # Type
        lambda: ana.press("Skip"),  # the optional item specifics
        lambda: ana.send_text("25"),
        lambda: ana.press("Skip"),  # the description
        lambda: ana.send_text("98402"),
    ]
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    for step, answer in enumerate(answers):
        await ana.send_command("cancel")
        await reply(ana, "Stopped. I've kept your draft for 7 days")
        await ana.send_command("post")
        if step == 0:
            await reply(ana, "Send me its photos")  # nothing kept yet: it starts again
        else:
            await reply(ana, "You have a draft")
            await ana.press("Continue")
            await ana.next_message()
        await answer()
        await ana.next_message()
        if step == 0:
            await ana.press("Done ✅")
            await ana.next_message()
    draft = await bot.application.services.drafts.get(407)
    assert (draft.title, draft.price_cents, draft.postal_code) == ("Lamp", 2500, "98402")
    assert (draft.category_ids, draft.condition_ids) == ({"ebay": "112581"}, {"ebay": "3000"})
    assert draft.aspects == {"Brand": ["Unbranded"], "Type": ["Table Lamp"]}
    assert draft.condition_note_set and draft.details_set


@pytest.mark.both_databases
async def test_a_restart_resumes_exactly_where_the_seller_was(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime]
) -> None:
    ana = world.telegram.seller(408, "Ana")
    async with start_bot():
        await start_with_photo(world, ana)
        await reply(ana, "What's the title?")
    async with start_bot():  # restart 1: at the title
        await ana.send_text("Lamp")
        await reply(ana, "Which eBay category fits")
    async with start_bot():  # restart 2: at eBay's categories
        await ana.press("1. Lamps")
        await reply(ana, "What condition")
    async with start_bot():  # restart 3: at the condition buttons
        await ana.press("Used")
        await reply(ana, "Anything a buyer should know about its wear")
    async with start_bot():  # restart 4: at the wear note
        await ana.send_text("Scuffed base")
        await reply(ana, "Brand?")
    async with start_bot():  # restart 5: at an item specific
        await ana.press("Unbranded")
        await reply(ana, "Type?")
    async with start_bot() as bot:
        draft = await bot.application.services.drafts.get(408)
        assert (draft.title, draft.condition, draft.condition_note) == (
            "Lamp", "good", "Scuffed base"
        )
        assert (draft.category_ids, draft.condition_ids) == (
            {"ebay": "112581"}, {"ebay": "3000"}
        )
        assert draft.aspects == {"Brand": ["Unbranded"]}


@pytest.mark.both_databases
async def test_a_prompt_sent_just_before_a_crash_still_works_after_the_restart(
    world: SandboxWorld, settings: Settings, start_bot: Callable[..., BotRuntime]
) -> None:
    """The bot sent "Where should I post it?" and died before saving that step (found by
    bench/chaos.py): the seller's Continue must not meet "moved on" forever."""
    ana = world.telegram.seller(415, "Ana")
    async with start_bot():
        await start_with_photo(world, ana)
        where = await fill_to_marketplaces(ana, description=None)
    # What the crash leaves behind: the conversation (and what « Back knows) at the location.
    async with opened(settings.database_location) as db:
        await db.execute("UPDATE ptb_conversations SET state = ?", (str(int(Step.LOCATION)),))
        row = await db.fetchone("SELECT data FROM ptb_user_data WHERE user_id = ?", (415,))
        data = {**json.loads(row["data"]), "post_step": int(Step.LOCATION)}
        await db.execute("UPDATE ptb_user_data SET data = ? WHERE user_id = ?",
                         (json.dumps(data), 415))
    async with start_bot():
        await ana.press("Continue »", message_id=where.message_id)
        again = await reply(ana, "Where should I post it?")
        await ana.press("Continue »", message_id=again.message_id)
        await preview_summary(ana)


PTB_ROWS = {"ptb_conversations": ("name", "conv_key", "state", "updated_at"),
            "ptb_user_data": ("user_id", "data", "updated_at")}


@pytest.mark.both_databases
async def test_a_preview_sent_just_before_a_crash_can_still_be_posted(
    world: SandboxWorld, settings: Settings, start_bot: Callable[..., BotRuntime]
) -> None:
    """/post on a finished draft, Continue, the preview card arrives, and the bot dies before
    saving that step (found by bench/chaos.py): the card's Post must not say "moved on"
    forever. The crash is replayed by putting back what was saved before Continue."""
    ana = world.telegram.seller(416, "Ana")
    async with start_bot() as bot:
        await start_with_photo(world, ana)
        await fill_details(ana)
        await ana.send_command("post")
        offer = await reply(ana, "You have a draft")

        async def saved() -> dict[str, list[tuple]]:
            return {table: [tuple(row) for row in await bot.db.fetchall(
                        f"SELECT {', '.join(columns)} FROM {table}")]
                    for table, columns in PTB_ROWS.items()}

        async def offer_saved() -> bool:
            return [row[2] for row in (await saved())["ptb_conversations"]] == [
                str(int(Step.RESUME))]

        assert await eventually(offer_saved, True)
        before_continue = await saved()
        await ana.press("Continue", message_id=offer.message_id)
        card = await preview_summary(ana)
    async with opened(settings.database_location) as db, db.transaction() as tx:
        for table, columns in PTB_ROWS.items():
            await tx.execute(f"DELETE FROM {table}")
            marks = ", ".join("?" * len(columns))
            await tx.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                 before_continue[table])
    async with start_bot():
        await ana.press("✅ Post", message_id=card.message_id)
        again = await preview_summary(ana)  # shown again, now in step
        assert not any("moved on" in (a["text"] or "") for a in ana.callback_answers)
        assert "is live on 3 of 3" in (await post_and_wait(ana, again)).text


@pytest.mark.both_databases
async def test_a_stale_button_and_a_duplicate_photo(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = world.telegram.seller(409, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    update = await ana.send_photo(jpeg())
    added = await reply(ana, "Added 1 photo")
    world.telegram.redeliver(update["update_id"])  # Telegram delivers it again
    await ana.send_photo(jpeg())  # the seller sends the same picture again: a new upload
    await reply(ana, "I already have that photo, so I kept one copy — 1 of up to 12")
    await ana.send_photo(jpeg(color=(1, 2, 3)))
    await reply(ana, "Added 1 photo — 2 of up to 12")
    await ana.press("Done ✅")
    await reply(ana, "What's the title?")
    answered = len(ana.callback_answers)
    await ana.press("Done ✅", message_id=added.message_id)  # an old button
    await ana.wait_for(lambda _: len(ana.callback_answers) > answered)
    assert ana.callback_answers[-1]["text"] == (
        "This draft has moved on — that button is from an earlier step."
    )
    assert len((await bot.application.services.drafts.get(409)).photos) == 2


async def test_a_button_from_a_finished_draft_changes_nothing_in_the_next_one(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """Buttons are bound to their draft: the first listing's category and condition buttons
    (gone once answered, but a press already on its way, or from a second device, still
    arrives), pressed while the second listing is at those very steps, change nothing."""
    ana = world.telegram.seller(416, "Ana")
    await start_with_photo(world, ana)
    await post_and_wait(ana, await fill_details(ana, title="Trail running shoes"))
    first_category = next(m for m in ana.bot_messages if "category fits" in (m.text or ""))
    first_condition = next(m for m in ana.bot_messages if "What condition" in (m.text or ""))
    assert first_category.buttons_as_sent[0] == ["1. Athletic Shoes"]
    assert first_condition.buttons_as_sent[0] == ["New with box"]
    assert first_category.buttons == first_condition.buttons == []  # answered

    def sent_data(message: ChatMessage, text: str) -> str:
        rows = message.sent_markup["inline_keyboard"]
        return next(b["callback_data"] for row in rows for b in row if b["text"] == text)

    await ana.send_command("post")
    await reply(ana, "Let's list an item")
    await ana.send_photo(jpeg(color=(20, 90, 160)))
    await reply(ana, "Added 1 photo")
    await ana.press("Done ✅")
    await reply(ana, "What's the title?")
    await ana.send_text("Brass desk lamp")
    await reply(ana, "Which eBay category fits “Brass desk lamp”?")
    stale = "That button belongs to something that has already finished."
    answered = len(ana.callback_answers)
    await ana.press_data(first_category.message_id,
                         sent_data(first_category, "1. Athletic Shoes"))
    await ana.wait_for(lambda _: len(ana.callback_answers) > answered)
    assert ana.callback_answers[-1]["text"] == stale
    assert (await bot.application.services.drafts.get(416)).category is None
    await ana.press("1. Lamps")
    await reply(ana, "What condition is it in?")
    answered = len(ana.callback_answers)
    await ana.press_data(first_condition.message_id, sent_data(first_condition, "New with box"))
    await ana.wait_for(lambda _: len(ana.callback_answers) > answered)
    assert ana.callback_answers[-1]["text"] == stale
    draft = await bot.application.services.drafts.get(416)
    assert (draft.title, draft.category, draft.condition) == ("Brass desk lamp", "Lamps", None)
    assert ana.bot_messages[-1].text.startswith("What condition")  # still asking


async def test_post_with_a_draft_offers_to_continue_or_start_fresh(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(410, "Ana")
    await start_with_photo(world, ana)
    await reply(ana, "What's the title?")
    await ana.send_text("Old lamp")
    await reply(ana, "Which eBay category fits")
    await ana.send_command("post")
    offer = await reply(ana, "You have a draft: “Old lamp” with 1 photo.")
    assert offer.buttons == [["Continue", "Start fresh"]]
    await ana.press("Start fresh")
    await reply(ana, "Let's list an item")
    assert (await bot.application.services.drafts.get(410)).photos == ()


async def test_without_a_connected_marketplace_the_flow_points_to_connect(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(411, "Ana")
    await ana.send_command("post")
    first = await reply(
        ana, "You haven't connected a marketplace yet, so I can't post anywhere myself. Connect "
        "eBay, Facebook Shop (catalog) or OfferUp (a minute, once), or start anyway: I'll give "
        "you a ready kit for Facebook Marketplace, Mercari, Poshmark, Depop and Craigslist, and "
        "you can connect before you post.")
    assert first.buttons == [["🔗 Connect eBay"], ["🔗 Connect Facebook Shop (catalog)"],
                             ["🔗 Connect OfferUp"], ["▶️ Start anyway"]]
    assert await bot.application.services.drafts.get(411) is None  # nothing asked yet
    await ana.press("🔗 Connect eBay", message_id=first.message_id)
    await ana.wait_for(lambda _: "🔗 Open eBay" in str(first.buttons))
    await ana.send_command("post")  # not connected after all: asked again, then starts anyway
    again = await reply(ana, "You haven't connected a marketplace yet")
    await ana.press("▶️ Start anyway", message_id=again.message_id)
    await reply(ana, "Send me its photos")
    assert again.buttons == []
    await ana.send_photo(jpeg())
    await reply(ana, "Added 1 photo")
    await ana.press("Done ✅")
    await reply(ana, "What's the title? Up to 70 characters — OfferUp's limit")
    await ana.send_text("Lamp")
    await reply(ana, "Category")  # no eBay account: the categories every marketplace takes
    await ana.send_text("Lamps")
    await reply(ana, "condition")
    await ana.press("Good")
    await reply(ana, "price")
    await ana.send_text("25")
    await reply(ana, "description")
    await ana.press("Skip")
    await reply(ana, "Where is the item?")
    await ana.send_text("98402")
    await reply(ana, "98402 it is")
    choice = await reply(ana, "Where should I post it?",
                         "Connect eBay or Facebook Shop (catalog) or OfferUp to have me post "
                         "there myself.")
    assert choice.buttons[0] == ["⬜ Facebook Marketplace · kit"]  # no connection needed
    assert choice.buttons[-3:] == [["Connect a marketplace"], ["Continue »"], ["« Back"]]
    answered = len(ana.callback_answers)
    await ana.press("Continue »", message_id=choice.message_id)  # nothing chosen yet
    await ana.wait_for(lambda _: len(ana.callback_answers) > answered)
    assert ana.callback_answers[-1]["text"] == "Turn on at least one marketplace."


async def test_back_buttons_and_a_shared_location(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = world.telegram.seller(412, "Ana")
    await start_with_photo(world, ana)
    await reply(ana, "What's the title?")
    await ana.send_photo(jpeg())  # not what this step wants
    await reply(ana, "I'm waiting for the item's title, as text.")
    await ana.send_text("Lamp")
    await reply(ana, "Which eBay category fits “Lamp”?")
    await ana.press("« Back")
    await reply(ana, "What's the title?")
    await ana.send_text("Brass lamp")
    await reply(ana, "Which eBay category fits “Brass lamp”?")
    await ana.press("1. Lamps")
    await reply(ana, "What condition")
    await ana.press("New")  # a new item: no note on its wear
    await reply(ana, "From the title I filled in Material: Brass.")
    await reply(ana, "Brand?")
    await ana.press("« Back")
    await reply(ana, "What condition")
    await ana.press("Used")
    await reply(ana, "Anything a buyer should know about its wear")
    await ana.press("« Back")  # Back from the note: the condition again
    await reply(ana, "What condition")
    await ana.press("Used")
    await reply(ana, "Anything a buyer should know about its wear")
    await ana.press("Skip")
    await answer_until(ana, "What's the price")
    await ana.send_text("25")
    await reply(ana, "Add a description")
    await ana.press("Skip")
    where = await reply(ana, "Where is the item? Type its ZIP code")
    assert where.reply_markup["keyboard"] == [[{"text": "« Back"}]]  # eBay: a pin won't do
    await ana.press("« Back")  # a reply-keyboard button: typed as text
    await reply(ana, "OK.")
    await reply(ana, "Add a description")  # no parcel step: Ana's eBay shipping is flat
    await ana.press("Skip")
    await reply(ana, "Where is the item?")
    await ana.send_location(47.2529, -122.4443)  # from the attachment menu
    await reply(ana, "📍 Got it. eBay also needs the ZIP code the item ships from")
    draft = await bot.application.services.drafts.get(412)
    assert (draft.title, draft.latitude, draft.longitude) == ("Brass lamp", 47.2529, -122.4443)
    saved = await bot.application.services.drafts.saved_location(412)
    assert (saved.latitude, saved.longitude) == (47.2529, -122.4443)


async def test_heic_files_and_a_25_mb_file(world: SandboxWorld, bot: BotRuntime) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    ana = world.telegram.seller(413, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    heif = pillow_heif.from_pillow(Image.new("RGB", (1024, 768), (10, 90, 160)))
    buffer = io.BytesIO()
    heif.save(buffer, quality=80)
    await ana.send_document(buffer.getvalue(), file_name="IMG_4821.HEIC", mime_type="image/heic")
    await reply(ana, "Added 1 photo")
    await ana.send_document(b"\xff\xd8" + bytes(25 * 1024 * 1024), file_name="huge.jpg",
                            mime_type="image/jpeg")
    await reply(ana, "That file is over 20 MB")
    (kept,) = (await bot.application.services.drafts.get(413)).photos
    assert (kept.width, kept.height) == (1024, 768)
    assert Image.open(kept.path).format == "JPEG"


@pytest.mark.both_databases
async def test_abandoned_drafts_are_removed_after_a_week(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    ana = world.telegram.seller(414, "Ana")
    await start_with_photo(world, ana)
    await reply(ana, "What's the title?")
    draft = await bot.application.services.drafts.get(414)
    photo_path = draft.photos[0].path
    assert photo_path.exists()
    (job,) = bot.application.job_queue.get_jobs_by_name("purge_abandoned_drafts")
    clock.advance(timedelta(days=6))
    await job.run(bot.application)
    assert await bot.application.services.drafts.get(414) is not None  # not a week yet
    clock.advance(timedelta(days=1, minutes=1))
    await job.run(bot.application)
    assert await bot.application.services.drafts.get(414) is None
    assert not photo_path.exists()


async def test_continue_on_a_draft_offer_works_from_any_state(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """A crash can keep the conversation's old state while the offer was already sent; the
    chaos run caught a seller stuck pressing a Continue that answered "moved on"."""
    ana = world.telegram.seller(415, "Ana")
    await start_with_photo(world, ana)
    await reply(ana, "What's the title?")
    await ana.send_command("post")
    offer = await reply(ana, "You have a draft")
    await ana.press("Continue", message_id=offer.message_id)
    await reply(ana, "What's the title?")
    await ana.press("Continue", message_id=offer.message_id)  # the same button, state moved on
    await reply(ana, "What's the title?")
    await ana.send_text("Lamp")
    await reply(ana, "Which eBay category fits “Lamp”?")
