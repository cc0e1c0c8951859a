"""/listings and copies kept in step: sold on one marketplace → ended everywhere else."""

from __future__ import annotations

import pytest

from bot.buttons import AddMarketplace, ChangePrice, ConfirmSold, ConfirmWithdraw, OpenListing, pack
from bot.runtime import BotRuntime
from sandbox.browser import connect
from sandbox.facebook import ROSA
from sandbox.telegram import Seller
from sandbox.world import SandboxWorld
from tests.helpers import fill_details, jpeg, post_and_wait, reply, seller_at_preview


def statuses(world: SandboxWorld) -> dict[str, str]:
    (ebay,) = world.ebay.listings
    (facebook,) = world.facebook.listings
    (offerup,) = world.offerup.listings.values()
    return {"ebay": ebay.status, "facebook": facebook.status, "offerup": offerup.status}


async def posted(world: SandboxWorld, user_id: int) -> Seller:
    seller, preview = await seller_at_preview(world, user_id)
    progress = await post_and_wait(seller, preview)
    assert "is live on 3 of 3" in progress.text
    return seller


async def run_status_check(bot: BotRuntime) -> None:
    (job,) = bot.application.job_queue.get_jobs_by_name("check_listings")
    await job.run(bot.application)


async def external_id(bot: BotRuntime, marketplace: str) -> str:
    row = await bot.db.fetchone(
        "SELECT external_id FROM cross_posts WHERE marketplace = ?", (marketplace,)
    )
    return row[0]


@pytest.mark.both_databases
async def test_a_sale_on_one_marketplace_ends_the_others_and_tells_the_seller(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = await posted(world, 601)
    world.offerup.sell(await external_id(bot, "offerup"))
    await run_status_check(bot)
    told = await reply(ana, "💰 Brass desk lamp, 1970s sold on OfferUp!")
    assert "I ended it on eBay, Facebook Shop (catalog) so it can't sell twice." in told.text
    assert statuses(world) == {"ebay": "ENDED", "facebook": "ended", "offerup": "sold"}
    row = await bot.db.fetchone("SELECT state FROM listings")
    assert row[0] == "sold"
    await run_status_check(bot)  # nothing left to check: the seller is told once
    assert sum("sold on OfferUp" in (m.text or "") for m in ana.bot_messages) == 1


async def open_card(seller: Seller) -> None:
    await seller.send_command("listings")
    page = await reply(seller, "Your listings (page 1 of 1):", "Brass desk lamp")
    await seller.press(page.buttons[0][0])
    await seller.wait_for(lambda _: "💰 Mark sold" in str(page.buttons))


@pytest.mark.both_databases
async def test_mark_sold_in_the_chat_ends_every_copy(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = await posted(world, 602)
    await open_card(ana)
    await ana.press("💰 Mark sold")
    await ana.wait_for(lambda _: "Yes, it sold" in str(ana.bot_messages[-1].buttons))
    await ana.press("Yes, it sold")
    done = await reply(ana, "Marking sold")
    await ana.wait_for(lambda _: (done.text or "").startswith("✅ Done"))
    assert done.text.count("🛑") == 3
    assert statuses(world) == {"ebay": "ENDED", "facebook": "ended", "offerup": "archived"}


async def test_change_price_updates_every_live_copy(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = await posted(world, 603)
    await open_card(ana)
    await ana.press("✏️ Change price")
    await reply(ana, "New price for Brass desk lamp, 1970s? It's $1,200 now.")
    await ana.send_text("abc")
    await reply(ana, "I couldn't read that as a price")
    await ana.send_text("$950")
    done = await reply(ana, "Changing the price to $950 for")
    await ana.wait_for(lambda _: (done.text or "").startswith("✅ Done"))
    (ebay,) = world.ebay.listings
    (facebook,) = world.facebook.listings
    (offerup,) = world.offerup.listings.values()
    assert (ebay.price, facebook.price, offerup.price) == ("950.00", "950.00 USD", "950.00")
    assert len(world.ebay.listings) == 1  # updated in place, not listed again


async def test_withdraw_everywhere(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = await posted(world, 604)
    await open_card(ana)
    await ana.press("🛑 Withdraw everywhere")
    await ana.wait_for(lambda _: "Yes, withdraw" in str(ana.bot_messages[-1].buttons))
    await ana.press("Yes, withdraw")
    done = await reply(ana, "Withdrawing")
    await ana.wait_for(lambda _: (done.text or "").startswith("✅ Done"))
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
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    await ana.send_photo(jpeg())
    await reply(ana, "Added 1 photo")
    await ana.press("Done ✅")
    progress = await post_and_wait(ana, await fill_details(ana))
    assert "is live on 2 of 2" in progress.text
    await connect(ana, "Facebook Shop (catalog)", world.facebook.oauth, account_id=ROSA)

    await open_card(ana)
    await ana.press("➕ Post to another marketplace")
    card = ana.bot_messages[-1]
    await ana.wait_for(lambda _: ["Facebook Shop (catalog)"] in card.buttons)
    sent_before = len(ana.bot_messages)
    await ana.press("Facebook Shop (catalog)")
    # The card itself becomes the progress message (stored with the new copy, so a crash
    # can't leave a "Posting…" nobody edits); the first post's message keeps its outcome.
    await ana.wait_for(lambda _: "is live on 3 of 3" in (card.text or ""), timeout=20)
    assert len(ana.bot_messages) == sent_before
    assert "is live on 2 of 2" in progress.text
    assert len(world.facebook.listings) == 1
    row = await bot.db.fetchone("SELECT progress_message_id FROM listings")
    assert row[0] == card.message_id
