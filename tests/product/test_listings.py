"""/listings and each listing's one card: sold on one marketplace → ended everywhere else; Mark
sold, Change price and Withdraw asked and answered on the card itself, which then says what was
chosen and shows each copy; the buttons of a finished prompt or question are gone."""

from __future__ import annotations

import pytest

from bot.buttons import (
    AddMarketplace,
    ChangePrice,
    ConfirmSold,
    ConfirmWithdraw,
    OpenListing,
    pack,
)
from bot.runtime import BotRuntime
from sandbox.browser import connect
from sandbox.facebook import ROSA
from sandbox.telegram import ChatMessage, Seller
from sandbox.world import SandboxWorld
from tests.helpers import (
    fill_details,
    jpeg,
    open_card,
    post_and_wait,
    post_one_photo,
    reply,
    seller_at_preview,
)

LIVE = [
    "✅ eBay — view listing",
    "✅ Facebook Shop (catalog) — view listing",
    "✅ OfferUp — view listing",
]
ENDED = ["🛑 eBay — ended", "🛑 Facebook Shop (catalog) — ended", "🛑 OfferUp — ended"]
WHEN_IT_SELLS = (
    "When it sells, I end the other copies. Sold in person or somewhere else? Tap 💰 Mark sold."
)
ACTIONS = [["💰 Mark sold", "✏️ Change price"], ["🛑 Withdraw everywhere"], ["« All listings"]]
AFTER_THE_END = [["📦 Post an item"], ["« All listings"]]


def card(*lines: str) -> str:
    return "\n".join(lines)


def for_sale(price: str = "$1,200", news: str | None = None) -> str:
    """The lamp's card while it is live on all three marketplaces."""
    return card("🎉 Brass desk lamp, 1970s is live on 3 of 3 marketplaces.",
                f"💵 {price} · for sale", *LIVE, *(["", news] if news else []), "",
                WHEN_IT_SELLS)


def statuses(world: SandboxWorld) -> dict[str, str]:
    (ebay,) = world.ebay.listings
    (facebook,) = world.facebook.listings
    (offerup,) = world.offerup.listings.values()
    return {"ebay": ebay.status, "facebook": facebook.status, "offerup": offerup.status}


async def posted(world: SandboxWorld, user_id: int) -> tuple[Seller, ChatMessage]:
    """A seller whose lamp is live on the three marketplaces, and its card (the preview)."""
    seller, preview = await seller_at_preview(world, user_id)
    progress = await post_and_wait(seller, preview)
    assert progress.text == for_sale()
    assert progress.buttons == ACTIONS
    return seller, progress


async def run_status_check(bot: BotRuntime) -> None:
    (job,) = bot.application.job_queue.get_jobs_by_name("check_listings")
    await job.run(bot.application)


async def external_id(bot: BotRuntime, marketplace: str) -> str:
    row = await bot.db.fetchone(
        "SELECT external_id FROM cross_posts WHERE marketplace = ?", (marketplace,)
    )
    return row[0]


@pytest.mark.both_databases
async def test_a_sale_on_one_marketplace_ends_the_others_tells_the_seller_and_edits_the_card(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, listing_card = await posted(world, 601)
    world.offerup.sell(await external_id(bot, "offerup"))
    await run_status_check(bot)
    # A sale the seller must notice: a message of its own …
    told = await reply(ana, "💰 Brass desk lamp, 1970s sold on OfferUp!")
    assert "I ended it on eBay, Facebook Shop (catalog) so it can't sell twice." in told.text
    # … and the card says so too, with nothing left to press but the next step.
    await ana.wait_for(lambda _: "— sold" in listing_card.text)
    assert listing_card.text == card(
        "💰 Brass desk lamp, 1970s — sold", "💵 $1,200 · sold",
        "🛑 eBay — ended", "🛑 Facebook Shop (catalog) — ended", "💰 OfferUp — sold there", "",
        "💰 It sold on OfferUp! I ended it on eBay, Facebook Shop (catalog) so it can't sell "
        "twice.", "", "Next: 📦 Post an item to list something else.")
    assert listing_card.buttons == AFTER_THE_END
    assert statuses(world) == {"ebay": "ENDED", "facebook": "ended", "offerup": "sold"}
    row = await bot.db.fetchone("SELECT state FROM listings")
    assert row[0] == "sold"
    await run_status_check(bot)  # nothing left to check: the seller is told once
    assert sum((m.text or "").startswith("💰 Brass desk lamp, 1970s sold on OfferUp!")
               for m in ana.bot_messages) == 1


@pytest.mark.both_databases
async def test_mark_sold_is_confirmed_on_the_card_which_then_shows_every_copy_ended(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, first_card = await posted(world, 602)
    listing_card = await open_card(ana)
    # The card moved to /listings: the old one keeps its words and loses its buttons.
    assert first_card.text == for_sale() and first_card.buttons == []
    assert listing_card.text == for_sale() and listing_card.buttons == ACTIONS
    sent = len(ana.bot_messages)

    await ana.press("💰 Mark sold", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: "Did" in listing_card.text)
    assert listing_card.text == (
        "Did Brass desk lamp, 1970s sell? I'll end every other copy so it can't sell twice.")
    assert listing_card.buttons == [["Yes, it sold", "No, it's still for sale"]]
    await ana.press("Yes, it sold", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: "You marked it sold." in listing_card.text)
    assert listing_card.text == card(
        "💰 Brass desk lamp, 1970s — sold", "💵 $1,200 · sold", *ENDED, "",
        "✅ You marked it sold. I ended it on eBay, Facebook Shop (catalog) and OfferUp so it "
        "can't sell twice.", "", "Next: 📦 Post an item to list something else.")
    assert listing_card.buttons == AFTER_THE_END  # the prompt's buttons are gone
    assert len(ana.bot_messages) == sent  # all of it on the card: no "✅ Done" message
    assert statuses(world) == {"ebay": "ENDED", "facebook": "ended", "offerup": "archived"}

    await ana.press("📦 Post an item", message_id=listing_card.message_id)  # the next step
    await reply(ana, "Let's list an item. Send me its photos")


async def test_no_on_a_confirm_prompt_brings_the_card_back_saying_what_was_chosen(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, listing_card = await posted(world, 609)
    sent = len(ana.bot_messages)
    for ask, no, said in (("💰 Mark sold", "No, it's still for sale",
                           "👍 Not sold — it stays for sale everywhere."),
                          ("🛑 Withdraw everywhere", "No, keep it up",
                           "👍 It stays up everywhere.")):
        await ana.press(ask, message_id=listing_card.message_id)
        await ana.wait_for(lambda _, no=no: [no] in [row[-1:] for row in listing_card.buttons])
        await ana.press(no, message_id=listing_card.message_id)
        await ana.wait_for(lambda _, said=said: said in listing_card.text)
        assert listing_card.text == for_sale(news=said)
        assert listing_card.buttons == ACTIONS
    assert len(ana.bot_messages) == sent
    assert statuses(world) == {"ebay": "ACTIVE", "facebook": "live", "offerup": "active"}


async def test_change_price_is_asked_on_the_card_and_updates_every_live_copy(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, _ = await posted(world, 603)
    listing_card = await open_card(ana)
    await ana.press("✏️ Change price", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: "New price for" in listing_card.text)
    assert listing_card.text == ("✏️ New price for Brass desk lamp, 1970s? It's $1,200 now.\n"
                                 "Send the amount, like 35 or $35.50.")
    assert listing_card.buttons == [["« Keep $1,200"]]
    await ana.send_text("abc")
    await reply(ana, "I couldn't read that as a price")
    assert listing_card.buttons == [["« Keep $1,200"]]  # still asking
    sent = len(ana.bot_messages)
    await ana.send_text("$950")
    await ana.wait_for(lambda _: "✅ New price" in listing_card.text, timeout=20)
    assert listing_card.text == for_sale(
        "$950", "✅ New price: $950 — on eBay, Facebook Shop (catalog) and OfferUp.")
    assert listing_card.buttons == ACTIONS  # the question's « Keep is gone
    assert len(ana.bot_messages) == sent  # reported on the card, not in a new message
    (ebay,) = world.ebay.listings
    (facebook,) = world.facebook.listings
    (offerup,) = world.offerup.listings.values()
    assert (ebay.price, facebook.price, offerup.price) == ("950.00", "950.00 USD", "950.00")
    assert len(world.ebay.listings) == 1  # updated in place, not listed again


async def test_keep_and_cancel_leave_the_price_and_bring_the_card_back(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, listing_card = await posted(world, 610)
    await ana.press("✏️ Change price", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: listing_card.buttons == [["« Keep $1,200"]])
    await ana.press("« Keep $1,200", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: "👍" in listing_card.text)
    assert listing_card.text == for_sale(news="👍 The price stays at $1,200.")
    assert listing_card.buttons == ACTIONS

    await ana.press("✏️ Change price", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: listing_card.buttons == [["« Keep $1,200"]])
    sent = len(ana.bot_messages)
    await ana.send_command("cancel")
    await ana.wait_for(lambda _: listing_card.buttons == ACTIONS)
    assert listing_card.text == for_sale(news="👍 The price stays at $1,200.")
    assert len(ana.bot_messages) == sent
    await ana.send_text("$5")  # the question is over: a price now is not an answer
    await reply(ana, "not sure what to do with that")
    assert (await bot.db.fetchone("SELECT price_cents FROM listings"))[0] == 120000


async def test_an_answer_typed_far_below_the_card_brings_the_card_down_to_it(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, listing_card = await posted(world, 611)
    await ana.press("✏️ Change price", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: listing_card.buttons == [["« Keep $1,200"]])
    for typo in ("abc", "xyz", "?"):  # each gets a reply: the card scrolls out of sight
        await ana.send_text(typo)
        await reply(ana, "I couldn't read that as a price")
    await ana.send_text("$950")
    fresh = await reply(ana, "💵 Changing the price to $950 on every copy…")  # the card, below
    await ana.wait_for(lambda _: fresh.buttons == ACTIONS, timeout=20)
    assert fresh.text == for_sale(
        "$950", "✅ New price: $950 — on eBay, Facebook Shop (catalog) and OfferUp.")
    # The question stays where it was asked, answered: its words, without its button.
    assert listing_card.text.startswith("✏️ New price for Brass desk lamp, 1970s?")
    assert listing_card.buttons == []
    row = await bot.db.fetchone("SELECT progress_message_id FROM listings")
    assert row[0] == fresh.message_id


async def test_withdraw_everywhere_is_confirmed_and_shown_on_the_card(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, _ = await posted(world, 604)
    listing_card = await open_card(ana)
    await ana.press("🛑 Withdraw everywhere", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: "Yes, withdraw" in str(listing_card.buttons))
    assert listing_card.text == "Withdraw Brass desk lamp, 1970s from every marketplace?"
    await ana.press("Yes, withdraw", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: "✅ Withdrawn." in listing_card.text)
    assert listing_card.text == card(
        "🛑 Brass desk lamp, 1970s — withdrawn", "💵 $1,200 · withdrawn", *ENDED, "",
        "✅ Withdrawn. I ended it on eBay, Facebook Shop (catalog) and OfferUp.", "",
        "Next: 📦 Post an item to list something else.")
    assert listing_card.buttons == AFTER_THE_END
    assert statuses(world) == {"ebay": "ENDED", "facebook": "ended", "offerup": "archived"}
    assert (await bot.db.fetchone("SELECT state FROM listings"))[0] == "withdrawn"


@pytest.mark.both_databases
async def test_listings_are_paged_five_at_a_time_newest_first(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    services = bot.application.services
    ana = world.telegram.seller(605, "Ana")
    await ana.send_command("start")
    await ana.next_message()
    for number in range(1, 8):
        await services.drafts.start(605)
        await services.drafts.add_photo(605, f"u{number}", f"f{number}", jpeg(), 1200, 900)
        await services.drafts.update(605, title=f"Item {number}", price_cents=1000 * number,
                                     condition="good", marketplaces=[])
        await services.listings.create_from_draft(await services.drafts.get(605), f"SKU-{number}")
    await ana.send_command("listings")
    page = await reply(ana, "Your listings (page 1 of 2):")
    assert [row[0] for row in page.buttons[:5]] == [f"{n}. Item {8 - n}" for n in range(1, 6)]
    assert page.buttons[5] == ["Older »"]
    await ana.press("Older »")
    await ana.wait_for(lambda _: "page 2 of 2" in page.text)
    assert [row[0] for row in page.buttons[:2]] == ["6. Item 2", "7. Item 1"]
    assert page.buttons[2] == ["« Newer"]


async def test_an_empty_list_says_so_and_offers_to_post(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(612, "Ana")
    await ana.send_command("listings")
    empty = await ana.next_message()
    assert empty.text == ("You haven't listed anything yet. Post your first item, and it shows "
                          "up here with every marketplace it's on.")
    assert empty.buttons == [["📦 Post an item"]]
    await ana.press("📦 Post an item", message_id=empty.message_id)
    # The button is /post: with nothing connected, Ana hears so first and starts anyway.
    await reply(ana, "You haven't connected a marketplace yet")
    await ana.press("▶️ Start anyway")
    await reply(ana, "Let's list an item. Send me its photos")


async def test_a_second_question_closes_the_first_whose_card_comes_back(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    services = bot.application.services
    ana = world.telegram.seller(613, "Ana")
    await ana.send_command("start")
    await ana.next_message()
    for number in (1, 2):  # two listings posted by hand only: no marketplace to wait for
        await services.drafts.start(613)
        await services.drafts.add_photo(613, f"u{number}", f"f{number}", jpeg(), 1200, 900)
        await services.drafts.update(613, title=f"Lamp {number}", price_cents=1000 * number,
                                     condition="good", marketplaces=["mercari"])
        await services.listings.create_from_draft(
            await services.drafts.get(613), f"SKU-{number}", assisted=services.kits)
    cards = []
    for number in (1, 2):
        await ana.send_command("listings")
        page = await reply(ana, "Your listings (page 1 of 1):")
        await ana.press(f"{number}. Lamp {3 - number}", message_id=page.message_id)
        await ana.wait_for(lambda _, page=page: "✏️ Change price" in str(page.buttons))
        cards.append(page)
    lamp_2, lamp_1 = cards
    await ana.press("✏️ Change price", message_id=lamp_2.message_id)
    await ana.wait_for(lambda _: lamp_2.buttons == [["« Keep $20"]])
    await ana.press("✏️ Change price", message_id=lamp_1.message_id)
    await ana.wait_for(lambda _: lamp_1.buttons == [["« Keep $10"]])
    # Lamp 2's question is over: its card is back, without the « Keep of a question gone.
    await ana.wait_for(lambda _: "✏️ Change price" in str(lamp_2.buttons))
    assert lamp_2.text == card(
        "📝 Lamp 2", "💵 $20 · for sale",
        "📝 Ready for you on Mercari: post it there from the kit, then send me the link.", "",
        WHEN_IT_SELLS)
    await ana.send_text("12")  # the answer goes to the question on screen: Lamp 1
    await ana.wait_for(lambda _: "✅ New price: $12." in lamp_1.text)
    prices = await bot.db.fetchall("SELECT title, price_cents FROM listings ORDER BY id")
    assert [tuple(row) for row in prices] == [("Lamp 1", 1200), ("Lamp 2", 2000)]


async def test_another_sellers_listing_in_callback_data_is_refused(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    await posted(world, 606)
    listing_id = (await bot.db.fetchone("SELECT id FROM listings"))[0]
    mallory = world.telegram.seller(607, "Mallory")
    await mallory.send_command("listings")
    empty = await reply(mallory, "You haven't listed anything yet.")
    for forged in (OpenListing(listing_id, 0), ConfirmSold(listing_id),
                   ConfirmWithdraw(listing_id), ChangePrice(listing_id),
                   AddMarketplace(listing_id, "ebay")):
        answered = len(mallory.callback_answers)
        await mallory.press_data(empty.message_id, pack(forged))
        await mallory.wait_for(lambda _, n=answered: len(mallory.callback_answers) > n)
        assert mallory.callback_answers[-1]["text"] == "That isn't one of your listings."
    assert statuses(world) == {"ebay": "ACTIVE", "facebook": "live", "offerup": "active"}


@pytest.mark.both_databases
async def test_post_to_another_marketplace_from_the_card(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(608, "Ana")
    for display, sandbox in (("eBay", world.ebay), ("OfferUp", world.offerup)):
        await connect(ana, display, sandbox.oauth)
    await post_one_photo(ana)
    progress = await post_and_wait(ana, await fill_details(ana))
    assert "is live on 2 of 2" in progress.text
    await connect(ana, "Facebook Shop (catalog)", world.facebook.oauth, account_id=ROSA)

    listing_card = await open_card(ana)
    shown = listing_card.text
    await ana.press("➕ Post to another marketplace", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: ["Facebook Shop (catalog)"] in listing_card.buttons)
    assert listing_card.text == "Post Brass desk lamp, 1970s to:"
    assert listing_card.buttons == [["Facebook Shop (catalog)"], ["« Back"]]
    await ana.press("« Back", message_id=listing_card.message_id)  # changed my mind
    await ana.wait_for(lambda _: listing_card.text == shown)
    assert listing_card.buttons == [*ACTIONS[:2], ["➕ Post to another marketplace"],
                                    ACTIONS[2]]
    await ana.press("➕ Post to another marketplace", message_id=listing_card.message_id)
    await ana.wait_for(lambda _: ["Facebook Shop (catalog)"] in listing_card.buttons)
    sent_before = len(ana.bot_messages)
    await ana.press("Facebook Shop (catalog)", message_id=listing_card.message_id)
    # The card shows the new copy posting (stored with the new copy, so a crash can't leave
    # a "Posting…" nobody edits); the first post's message keeps its outcome.
    await ana.wait_for(lambda _: "is live on 3 of 3" in listing_card.text, timeout=20)
    assert listing_card.text == for_sale(news="➕ Added Facebook Shop (catalog).").replace(
        "✅ Facebook Shop (catalog) — view listing\n✅ OfferUp — view listing",
        "✅ OfferUp — view listing\n✅ Facebook Shop (catalog) — view listing")
    assert len(ana.bot_messages) == sent_before
    assert "is live on 2 of 2" in progress.text and progress.buttons == []
    assert len(world.facebook.listings) == 1
    row = await bot.db.fetchone("SELECT progress_message_id FROM listings")
    assert row[0] == listing_card.message_id
