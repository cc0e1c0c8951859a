"""Cross-posting as the seller lives it: concurrent results, faults retried, budgets, restarts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.buttons import RetryPosting, pack
from bot.config import Settings
from bot.runtime import BotRuntime
from sandbox.autopilot import answer_until
from sandbox.browser import connect
from sandbox.ebay import ANA, MARCO
from sandbox.facebook import ROSA
from sandbox.telegram import ChatMessage, Seller
from sandbox.world import SandboxWorld
from storage.db import opened
from tests.helpers import (
    eventually,
    fill_details,
    jpeg,
    open_card,
    post_and_wait,
    post_one_photo,
    preview_summary,
    reply,
    seller_at_preview,
    start_with_photo,
    titles_on,
)

FAST_RETRIES = {"publish_retry_base_seconds": 0.05}
ACTIONS = [["💰 Mark sold", "✏️ Change price"], ["🛑 Withdraw everywhere"], ["« All listings"]]


async def test_progress_is_one_message_edited_as_results_land(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, preview = await seller_at_preview(world, 501)
    progress = await post_and_wait(ana, preview)
    # The preview card turns into "Posting… ⏳⏳⏳", then at most one edit per result (two
    # results landing together share one edit), in order: each version of the message shows
    # at least as many finished marketplaces as the last.
    assert 2 <= progress.edits <= 4
    versions = world.telegram.transcript(ana.user_id).split("Posting Brass desk lamp")[1:]
    done = [version.split("\nAna")[0].count("✅") for version in versions]
    assert done == sorted(done)
    reports = [m for m in ana.bot_messages if "view listing" in (m.text or "")]
    assert reports == [progress]  # one message, edited, never a new one per result
    assert "is live on 3 of 3" in progress.text


@pytest.mark.both_databases
async def test_one_marketplace_rejects_while_two_succeed(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, preview = await seller_at_preview(world, 502, ebay_account=MARCO)  # no eBay policies
    progress = await post_and_wait(ana, preview)
    assert progress.text.startswith("🎉 Brass desk lamp, 1970s is live on 2 of 3 marketplaces.")
    assert "❌ eBay — " in progress.text and "policy" in progress.text
    assert progress.text.endswith("\n\nNext: tap 🔁 Retry to try again.")
    assert progress.buttons == [["🔁 Retry"], *ACTIONS]
    assert titles_on(world)["ebay"] == []


@pytest.mark.both_databases
async def test_a_429_is_retried_after_the_delay_the_marketplace_asked_for(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime]
) -> None:
    async with start_bot(**FAST_RETRIES) as bot:
        ana, preview = await seller_at_preview(world, 503)
        world.offerup.faults.next("rate_limit", retry_after=1)
        world.facebook.faults.next("error", status=503, times=3)  # beyond the quick retries
        progress = await post_and_wait(ana, preview)
        assert "is live on 3 of 3" in progress.text
        shown = world.telegram.transcript(ana.user_id)  # every text the message went through
        assert "🔁 OfferUp — OfferUp is busy; I'll try again in 1 s." in shown
        rows = await bot.db.fetchall("SELECT marketplace, attempts FROM cross_posts ORDER BY 1")
        assert [tuple(r) for r in rows] == [("ebay", 1), ("facebook", 2), ("offerup", 2)]
    assert {k: len(v) for k, v in titles_on(world).items()} == {
        "ebay": 1, "facebook": 1, "offerup": 1
    }


async def test_the_retry_budget_runs_out_then_retry_succeeds(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime]
) -> None:
    async with start_bot(**FAST_RETRIES) as bot:
        ana, preview = await seller_at_preview(world, 504)
        # Each of the six tries sends the listing three times (two quick retries) and fails.
        world.offerup.faults.next("error", status=502, times=18, path_contains="/v1/listings")
        progress = await post_and_wait(ana, preview)
        assert "❌ OfferUp — OfferUp isn't answering — I tried 6 times." in progress.text
        assert progress.buttons == [["🔁 Retry"], *ACTIONS]
        await ana.press("🔁 Retry", message_id=progress.message_id)
        await ana.wait_for(lambda _: "is live on 3 of 3" in progress.text, timeout=20)
        assert "\n\n🔁 Trying OfferUp again…\n\n" in progress.text
        assert progress.buttons == ACTIONS  # Retry went with what it retried
        row = await bot.db.fetchone(
            "SELECT state, attempts FROM cross_posts WHERE marketplace = 'offerup'"
        )
        assert tuple(row) == ("published", 1)


@pytest.mark.both_databases
async def test_a_crash_between_publish_and_the_database_write_makes_no_second_listing(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime], settings: Settings
) -> None:
    async with start_bot():
        ana, preview = await seller_at_preview(world, 505)
        await post_and_wait(ana, preview)
    # What a crash right after the marketplaces answered leaves behind: rows in flight.
    await crashed_leaving(
        settings, "UPDATE cross_posts SET state = 'in_flight', external_id = NULL, url = NULL"
    )
    async with start_bot() as bot:  # the restart resumes them

        async def states() -> list[str]:
            rows = await bot.db.fetchall("SELECT state FROM cross_posts ORDER BY marketplace")
            return [row["state"] for row in rows]

        assert await eventually(states, ["published"] * 3, seconds=20), await states()
        progress = ana.bot_messages[-1]
        await ana.wait_for(lambda _: "is live on 3 of 3" in progress.text, timeout=20)
    assert {k: len(v) for k, v in titles_on(world).items()} == {
        "ebay": 1, "facebook": 1, "offerup": 1
    }


async def crashed_leaving(settings: Settings, *statements: str) -> None:
    """Write what a crash leaves in the database, once the bot is gone: a bot still running
    (or another replica) would rightly take it up before the restart could."""
    async with opened(settings.database_location) as db:
        for statement in statements:
            await db.execute(statement)


async def outcome_told(bot: BotRuntime) -> None:
    """Wait until the bot has marked the (only) listing's outcome as told to the seller."""

    async def told() -> bool:
        return (await bot.db.fetchone("SELECT outcome_told_at FROM listings"))[0] is not None

    assert await eventually(told, True, seconds=10), "the outcome was never marked as told"


async def test_an_attempt_cut_short_by_a_crash_is_not_charged_to_the_retry_budget(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime]
) -> None:
    """The budget (six tries) is for the marketplace's faults: a bot killed over and over in
    the middle of a publish must not use it up and show the seller a false "isn't answering"."""
    world.offerup.faults.hang_seconds = 3
    world.offerup.faults.next("hang", path_contains="/v1/listings")
    async with start_bot() as bot:
        ana, preview = await seller_at_preview(world, 509)
        await ana.press("✅ Post", message_id=preview.message_id)
        progress = preview  # the card turns into the progress message
        await ana.wait_for(lambda _: progress.text.count("view listing") == 2, timeout=20)
        row = await bot.db.fetchone(
            "SELECT state, attempts FROM cross_posts WHERE marketplace = 'offerup'"
        )
        # What a SIGKILL now would leave: the attempt in flight, and not yet counted.
        assert tuple(row) == ("in_flight", 0)
    async with start_bot() as bot:
        await ana.wait_for(lambda _: "is live on 3 of 3" in progress.text, timeout=20)
        row = await bot.db.fetchone(
            "SELECT state, attempts FROM cross_posts WHERE marketplace = 'offerup'"
        )
        assert tuple(row) == ("published", 1)
    assert len(titles_on(world)["offerup"]) == 1


@pytest.mark.both_databases
async def test_a_crash_before_the_final_message_is_told_after_the_restart(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime], settings: Settings
) -> None:
    """Every copy went live, and the bot died before editing the progress message to say so
    (found by bench/chaos.py): the restart tells the seller."""
    async with start_bot() as bot:
        ana, preview = await seller_at_preview(world, 510)
        progress = await post_and_wait(ana, preview)
        assert "is live on 3 of 3" in progress.text
        await outcome_told(bot)
        # What the crash leaves: the chat still at "⏳" ...
        await bot.application.bot.edit_message_text(
            "Posting…", chat_id=ana.user_id, message_id=progress.message_id
        )
    # ... and the outcome not marked as told, written once this bot is gone (a live one, or
    # one of several replicas, would rightly take the untold listing up and mark it).
    await crashed_leaving(settings, "UPDATE listings SET outcome_told_at = NULL")
    async with start_bot() as bot:
        await ana.wait_for(lambda _: "is live on 3 of 3" in progress.text, timeout=20)
        await outcome_told(bot)
    assert {k: len(v) for k, v in titles_on(world).items()} == {
        "ebay": 1, "facebook": 1, "offerup": 1
    }


async def test_a_crash_before_the_progress_message_was_remembered_still_tells_the_seller(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime], settings: Settings
) -> None:
    async with start_bot() as bot:
        ana, preview = await seller_at_preview(world, 508)
        await post_and_wait(ana, preview)
        await outcome_told(bot)  # this run has finished with the listing
    # The bot died after Post, before storing the progress message's id or publishing.
    await crashed_leaving(
        settings, "UPDATE listings SET progress_message_id = NULL",
        "UPDATE cross_posts SET state = 'pending', external_id = NULL, url = NULL",
    )
    told = len(ana.bot_messages)
    async with start_bot() as bot:
        await ana.wait_for(lambda _: any(
            "is live on 3 of 3" in (m.text or "") for m in ana.bot_messages[told:]
        ), timeout=20)
        stored = await bot.db.fetchone("SELECT progress_message_id FROM listings")
        assert stored[0] == ana.bot_messages[-1].message_id
    assert len(ana.bot_messages) == told + 1  # one new message, edited as results landed
    assert {k: len(v) for k, v in titles_on(world).items()} == {
        "ebay": 1, "facebook": 1, "offerup": 1
    }


async def test_a_retry_button_for_another_sellers_listing_is_refused(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, preview = await seller_at_preview(world, 506, ebay_account=MARCO)
    progress = await post_and_wait(ana, preview)
    listing_id = (await bot.db.fetchone("SELECT id FROM listings"))[0]
    mallory = world.telegram.seller(507, "Mallory")
    await mallory.send_command("start")
    welcome = await mallory.next_message()
    await mallory.press_data(welcome.message_id, pack(RetryPosting(listing_id)))
    await mallory.wait_for(lambda _: bool(mallory.callback_answers))
    assert mallory.callback_answers[-1]["text"] == "That isn't one of your listings."
    assert progress.buttons == [["🔁 Retry"], *ACTIONS]  # Ana's listing untouched


LINKED = "Brass lamp www.mylamps.example"  # OfferUp takes no links; eBay and Facebook do
REFUSED_TITLE = ("OfferUp didn't accept this listing: the title must not contain links. Fix it "
                 "and try again.")
REFUSED_BOTH = ("OfferUp didn't accept this listing: the title must not contain links; the "
                "description must not contain links. Fix it and try again.")
LIVE_ON_TWO = [f"🎉 {LINKED} is live on 2 of 3 marketplaces.", "💵 $1,200 · for sale",
               "✅ eBay — view listing", "✅ Facebook Shop (catalog) — view listing"]
WHEN_IT_SELLS = (
    "When it sells, I end the other copies. Sold in person or somewhere else? Tap 💰 Mark sold."
)


async def refused_by_offerup(
    world: SandboxWorld, user_id: int, description: str
) -> tuple[Seller, ChatMessage]:
    """The linked title posted to all three: eBay and Facebook take it, OfferUp refuses."""
    ana = world.telegram.seller(user_id, "Ana")
    await start_with_photo(world, ana)
    progress = await post_and_wait(ana, await fill_details(ana, LINKED, description))
    return ana, progress


async def fix(seller: Seller, card: ChatMessage, label: str, value: str) -> None:
    """Press a fix button on the card, then type the value once the question is on it."""
    await seller.press(label, message_id=card.message_id)
    await seller.wait_for(lambda _: card.buttons == [["« Leave it"]])
    await seller.send_text(value)


async def test_a_refused_title_is_fixed_for_that_marketplace_alone(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, card = await refused_by_offerup(world, 508, "Rewired, no dents.")
    assert card.text == "\n".join([*LIVE_ON_TWO, f"❌ OfferUp — {REFUSED_TITLE}", "",
                                   "Next: tap ✏️ Fix, and I'll post it there again."])
    assert card.buttons == [["✏️ Fix the title for OfferUp"], *ACTIONS]
    sent = len(ana.bot_messages)

    await ana.press("✏️ Fix the title for OfferUp", message_id=card.message_id)
    await ana.wait_for(lambda _: card.buttons == [["« Leave it"]])
    assert card.text == (f"✏️ OfferUp said: {REFUSED_TITLE}\n\nSend the new title for OfferUp. "
                         f"Only OfferUp gets it: {LINKED} stays as it is everywhere else.")
    await ana.send_text("Brass desk lamp")
    await ana.wait_for(lambda _: "is live on 3 of 3" in card.text, timeout=20)
    assert card.text == "\n".join([
        f"🎉 {LINKED} is live on 3 of 3 marketplaces.", *LIVE_ON_TWO[1:],
        "✅ OfferUp — view listing", "   ✏️ OfferUp has its own title “Brass desk lamp”", "",
        "✏️ OfferUp gets the title “Brass desk lamp”; your other marketplaces keep theirs.", "",
        WHEN_IT_SELLS])
    assert card.buttons == ACTIONS  # the question's « Leave it and the fix are gone
    assert len(ana.bot_messages) == sent  # asked and answered on the card

    # OfferUp has the fixed title; eBay, Facebook and the listing itself keep the seller's.
    assert titles_on(world) == {"ebay": [LINKED], "facebook": [LINKED],
                                "offerup": ["Brass desk lamp"]}
    assert (await bot.db.fetchone("SELECT title FROM listings"))[0] == LINKED
    fixes = await bot.db.fetchall("SELECT marketplace, fixes FROM cross_posts ORDER BY 1")
    assert [tuple(r) for r in fixes] == [("ebay", "{}"), ("facebook", "{}"),
                                         ("offerup", '{"title": "Brass desk lamp"}')]
    attempts = await bot.db.fetchall("SELECT marketplace, attempts FROM cross_posts ORDER BY 1")
    assert [tuple(r) for r in attempts] == [("ebay", 1), ("facebook", 1), ("offerup", 1)]
    await ana.send_command("listings")
    page = await reply(ana, "Your listings (page 1 of 1):")
    assert page.text.endswith("✅ eBay · ✅ Facebook Shop (catalog) · "
                              "✅ OfferUp (title “Brass desk lamp”)")

    # A new price later goes to every copy, and OfferUp keeps its own title.
    await ana.press(page.buttons[0][0], message_id=page.message_id)
    await ana.wait_for(lambda _: "✏️ Change price" in str(page.buttons))
    await ana.press("✏️ Change price", message_id=page.message_id)
    await ana.wait_for(lambda _: page.buttons == [["« Keep $1,200"]])
    await ana.send_text("900")
    await ana.wait_for(lambda _: "✅ New price: $900" in page.text, timeout=20)
    (offerup,) = world.offerup.listings.values()
    assert (offerup.title, offerup.price) == ("Brass desk lamp", "900.00")
    assert titles_on(world)["ebay"] == [LINKED]


async def test_every_field_a_refusal_names_gets_its_own_fix(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, card = await refused_by_offerup(world, 510, "More lamps at www.mylamps.example")
    assert card.text == "\n".join([*LIVE_ON_TWO, f"❌ OfferUp — {REFUSED_BOTH}", "",
                                   "Next: tap ✏️ Fix, and I'll post it there again."])
    assert card.buttons == [["✏️ Fix the title for OfferUp"],
                            ["✏️ Fix the description for OfferUp"], *ACTIONS]

    await fix(ana, card, "✏️ Fix the title for OfferUp", "Brass desk lamp")
    await ana.wait_for(lambda _: "Now fix" in card.text)
    # One fix of two: not posted again yet, and only the description's button is left.
    assert card.text == "\n".join([
        *LIVE_ON_TWO, f"❌ OfferUp — {REFUSED_BOTH}",
        "   ✏️ OfferUp has its own title “Brass desk lamp”", "",
        "✏️ OfferUp gets the title “Brass desk lamp”. Now fix its description too, and I'll "
        "post it there again.", "", "Next: tap ✏️ Fix, and I'll post it there again."])
    assert card.buttons == [["✏️ Fix the description for OfferUp"], *ACTIONS]
    assert titles_on(world)["offerup"] == []

    await fix(ana, card, "✏️ Fix the description for OfferUp", "Rewired, no dents.")
    await ana.wait_for(lambda _: "is live on 3 of 3" in card.text, timeout=20)
    assert card.text == "\n".join([
        f"🎉 {LINKED} is live on 3 of 3 marketplaces.", *LIVE_ON_TWO[1:],
        "✅ OfferUp — view listing",
        "   ✏️ OfferUp has its own title “Brass desk lamp” and description “Rewired, no dents.”",
        "", "✏️ OfferUp gets the description “Rewired, no dents.”; your other marketplaces keep "
        "theirs.", "", WHEN_IT_SELLS])
    assert card.buttons == ACTIONS
    (offerup,) = world.offerup.listings.values()
    assert (offerup.title, offerup.description) == ("Brass desk lamp", "Rewired, no dents.")
    (ebay,) = world.ebay.listings
    (facebook,) = world.facebook.listings
    assert (ebay.title, ebay.description) == (LINKED, "More lamps at www.mylamps.example")
    assert (facebook.title, facebook.description) == (LINKED,
                                                      "More lamps at www.mylamps.example")


async def test_a_shared_location_is_not_enough_for_ebay_so_its_zip_code_is_asked_at_once(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """A location pin has no ZIP code, and eBay's inventory location needs one: asked right
    after the pin, not found out at posting."""
    ana = world.telegram.seller(512, "Ana")
    await start_with_photo(world, ana)
    await reply(ana, "What's the title?")
    await ana.send_text("Brass desk lamp")
    await answer_until(ana, "What's the price in US dollars?")
    await ana.send_text("40")
    await reply(ana, "Add a description")
    await ana.send_text("Rewired.")
    where = await answer_until(ana, "Where is the item?")
    assert where.text.startswith("Where is the item? Type its ZIP code, like 98402 (eBay needs "
                                 "one for where it ships from).")
    assert where.reply_markup["keyboard"] == [[{"text": "« Back"}]]  # no 📍: a pin won't do
    await ana.send_location(47.25, -122.44)  # shared from the attachment menu all the same
    await reply(ana, "📍 Got it. eBay also needs the ZIP code the item ships from: type it, "
                     "like 98402.")
    await ana.send_text("98402")
    await reply(ana, "📍 98402 it is.")
    await answer_until(ana, "Where should I post it?")
    await ana.press("Continue »")
    card = await post_and_wait(ana, await preview_summary(ana))
    assert "is live on 3 of 3" in card.text
    seller = world.ebay.sellers[ANA]
    (offer,) = seller.offers.values()
    where = seller.locations[offer.details["merchantLocationKey"]]["location"]["address"]
    assert where["postalCode"] == "98402"
    (offerup,) = world.offerup.listings.values()
    assert offerup.location == {"postal_code": "98402"}


async def test_leave_it_keeps_the_refusal_and_brings_the_card_back(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, card = await refused_by_offerup(world, 511, "Rewired, no dents.")
    refused = card.text
    await ana.press("✏️ Fix the title for OfferUp", message_id=card.message_id)
    await ana.wait_for(lambda _: card.buttons == [["« Leave it"]])
    await ana.press("« Leave it", message_id=card.message_id)
    await ana.wait_for(lambda _: "👍" in card.text)
    assert card.text == refused.replace("\n\nNext:", "\n\n👍 I left OfferUp as it is.\n\nNext:")
    assert card.buttons == [["✏️ Fix the title for OfferUp"], *ACTIONS]
    assert titles_on(world)["offerup"] == []


async def test_a_skipped_description_still_lists_on_ebay(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """An eBay seller alone: eBay's rules are the only ones, so an ordinary 640×480 camera
    photo is taken (500 px on the longest side) and a 400×300 one is refused in eBay's words."""
    ana = world.telegram.seller(509, "Ana")
    await connect(ana, "eBay", world.ebay.oauth)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    await ana.send_photo(jpeg(400, 300))
    await reply(ana, "I couldn't use that photo", "This photo is only 400×300 pixels; eBay needs "
                "at least 500 pixels on its longest side.")
    await ana.send_photo(jpeg(640, 480))
    await reply(ana, "Added 1 photo")
    await ana.press("Done ✅")
    await reply(ana, "What's the title? Up to 80 characters")
    await ana.send_text("Brass desk lamp")
    await answer_until(ana, "What's the price")
    await ana.send_text("40")
    await reply(ana, "description")
    await ana.press("Skip")  # eBay requires one: it gets the title
    await reply(ana, "Where is the item?")
    await ana.send_text("98402")
    await reply(ana, "98402 it is")
    await reply(ana, "Where should I post it?")
    await ana.press("Continue »")
    progress = await post_and_wait(ana, await preview_summary(ana))
    assert "is live on 1 of 1" in progress.text
    (listing,) = world.ebay.listings
    assert listing.description == "Brass desk lamp"


async def test_a_copy_whose_posting_kills_the_bot_twice_is_set_aside(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime], settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A crash loop: the OfferUp copy is in flight each time the process dies (what a SIGKILL
    mid-post leaves, written as the other crash tests do). Resumed once, set aside the second
    time, with the seller told and the operator logged; Retry still posts it, once."""
    in_flight = ("UPDATE cross_posts SET state = 'in_flight', external_id = NULL, url = NULL"
                 " WHERE marketplace = 'offerup'")
    async with start_bot():
        ana, preview = await seller_at_preview(world, 510)
        progress = await post_and_wait(ana, preview)
    await crashed_leaving(settings, in_flight)  # the first death
    async with start_bot() as bot:  # resumed once

        async def offerup_copy() -> tuple[str, int]:
            row = await bot.db.fetchone(
                "SELECT state, interrupted FROM cross_posts WHERE marketplace = 'offerup'")
            return tuple(row)

        assert await eventually(offerup_copy, ("published", 1), seconds=20), await offerup_copy()
        await ana.wait_for(lambda _: "is live on 3 of 3" in progress.text, timeout=20)
    await crashed_leaving(settings, in_flight)  # and the process dies in the middle of it again
    async with start_bot() as bot:
        await ana.wait_for(lambda _: "stopped me twice" in progress.text, timeout=20)
        assert ("❌ OfferUp — posting to OfferUp stopped me twice, so I've set it aside and told "
                "the operator. Tap Retry to try once more.") in progress.text
        # The card is drawn again with every button it has; Retry is the one for this copy.
        assert progress.buttons == [["🔁 Retry"], *ACTIONS]
        assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
            "posting listing 1 to offerup was interrupted by a crash twice; set aside until the"
            " seller taps Retry"]
        row = await bot.db.fetchone(  # not tried a third time by itself
            "SELECT state, error_kind FROM cross_posts WHERE marketplace = 'offerup'")
        assert tuple(row) == ("failed", "crashed")
        await ana.press("🔁 Retry", message_id=progress.message_id)
        await ana.wait_for(lambda _: "is live on 3 of 3" in progress.text, timeout=20)
    assert len(titles_on(world)["offerup"]) == 1


async def test_ebay_added_later_asks_for_the_item_specific_it_misses(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """A listing posted to Facebook and OfferUp never went through eBay's item specifics; added
    to eBay later, eBay refuses for the one it requires, and the card asks for it instead of
    offering a Retry that would fail the same way."""
    ana = world.telegram.seller(513, "Ana")
    await connect(ana, "Facebook Shop (catalog)", world.facebook.oauth, account_id=ROSA)
    await connect(ana, "OfferUp", world.offerup.oauth)
    await post_one_photo(ana)
    first_card = await post_and_wait(ana, await fill_details(ana))
    assert "is live on 2 of 2" in first_card.text
    await connect(ana, "eBay", world.ebay.oauth)

    card = await open_card(ana)
    assert ["➕ Post to another marketplace"] in card.buttons
    await ana.press("➕ Post to another marketplace", message_id=card.message_id)
    await ana.wait_for(lambda _: ["eBay"] in card.buttons)
    await ana.press("eBay", message_id=card.message_id)
    await ana.wait_for(lambda _: "❌ eBay" in card.text, timeout=20)
    assert "The item specific Brand is missing" in card.text
    assert card.buttons[0] == ["✏️ Fix the item specifics for eBay"]
    assert "Next: tap ✏️ Fix, and I'll post it there again." in card.text

    await ana.press("✏️ Fix the item specifics for eBay", message_id=card.message_id)
    await ana.wait_for(lambda _: card.buttons == [["« Leave it"]])
    assert "Send the Brand for eBay. Only eBay gets it" in card.text
    await ana.send_text("Stiffel")
    await ana.wait_for(lambda _: "The item specific Type is missing" in card.text, timeout=20)
    await fix(ana, card, "✏️ Fix the item specifics for eBay", "Desk Lamp")  # the next one
    await ana.wait_for(lambda _: "is live on 3 of 3" in card.text, timeout=20)
    assert ("   ✏️ eBay has its own item specifics Brand “Stiffel”, Type “Desk Lamp”"
            in card.text)
    item = next(iter(world.ebay.sellers[ANA].items.values()))
    aspects = item["product"]["aspects"]
    assert (aspects["Brand"], aspects["Type"]) == (["Stiffel"], ["Desk Lamp"])
    assert len(world.offerup.listings) == 1  # the others untouched
