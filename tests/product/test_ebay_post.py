"""/post where eBay owns the category: what eBay asks for it, asked in chat, and the listing
eBay takes. The sandbox's categories carry eBay's real item specifics and allowed conditions
(sandbox/ebay/aspects.py, conditions.py), and every request is checked against eBay's
documents."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.buttons import (
    AspectDone,
    AspectPage,
    AspectValue,
    Button,
    PickMarketplaceCondition,
    UseTypicalPrice,
    pack,
)
from bot.runtime import BotRuntime
from bot.selling.texts import CHOOSE_A_VALUE, MOVED_ON
from sandbox.autopilot import answer_until
from sandbox.browser import connect
from sandbox.ebay import ANA, BEA
from sandbox.telegram import Seller
from sandbox.world import SandboxWorld
from tests.helpers import (
    fill_details,
    post_and_wait,
    post_one_photo,
    preview_summary,
    reply,
    start_with_photo,
)


async def at_lamp_specifics(
    world: SandboxWorld, seller: Seller, title: str = "Brass desk lamp",
    filled: str = "Type: Desk Lamp, Material: Brass",
) -> None:
    """Every marketplace connected, one photo, the title, eBay's Lamps, Used, no note: at the
    first item specific eBay requires that the title does not say."""
    await start_with_photo(world, seller)
    await reply(seller, "What's the title?")
    await seller.send_text(title)
    await reply(seller, f"Which eBay category fits “{title}”?")
    await seller.press("1. Lamps")
    await reply(seller, "What condition is it in?")
    await seller.press("Used")
    await reply(seller, "Anything a buyer should know about its wear")
    await seller.press("Skip")
    await reply(seller, f"From the title I filled in {filled}.")


async def test_the_optional_details_are_offered_and_taken_one_by_one(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(951, "Ana")
    await at_lamp_specifics(world, ana)
    await reply(ana, "Brand? (eBay requires it")
    await ana.press("Tiffany")
    offer = await reply(ana, "eBay buyers also filter by Style, Color, Room.")
    assert offer.buttons == [["Add details", "Skip"], ["« Back"]]
    await ana.press("Add details")
    await reply(ana, "Style? (optional) Tap one, or type it.")
    await ana.send_text("Hollywood Regency")  # free text: eBay takes the seller's own words
    color = await reply(ana, "Color? (optional)")
    await ana.press("Skip", message_id=color.message_id)
    room = await reply(ana, "Room? (optional) Tap all that apply, then Done, or type them")
    await ana.press("Office", message_id=room.message_id)
    await ana.wait_for(lambda _: "✅ Office" in str(room.buttons))
    await ana.press("Study", message_id=room.message_id)
    await ana.wait_for(lambda _: "✅ Study" in str(room.buttons))
    assert "Chosen: Office, Study" in room.text
    await ana.press("Done", message_id=room.message_id)
    await reply(ana, "What's the price")

    draft = await bot.application.services.drafts.get(951)
    assert draft.aspects == {
        "Type": ["Desk Lamp"], "Material": ["Brass"], "Brand": ["Tiffany"],
        "Style": ["Hollywood Regency"], "Color": [], "Room": ["Office", "Study"],
    }
    assert draft.details_set


async def test_item_specifics_are_asked_again_from_the_preview(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(952, "Ana")
    await start_with_photo(world, ana)
    preview = await fill_details(ana)
    assert "Brand: Unbranded" in preview.text
    await ana.press("✏️ Item specifics", message_id=preview.message_id)
    await reply(ana, "From the title I filled in Type: Desk Lamp, Material: Brass.")
    await reply(ana, "Brand?")
    await ana.send_text("Stiffel")
    await reply(ana, "eBay buyers also filter by")
    await ana.press("Skip")
    again = await preview_summary(ana)
    assert "📋 Type: Desk Lamp · Material: Brass · Brand: Stiffel" in again.text
    await post_and_wait(ana, again)
    item = next(iter(world.ebay.sellers[ANA].items.values()))
    assert item["product"]["aspects"]["Brand"] == ["Stiffel"]


async def test_another_category_asks_its_own_condition_and_item_specifics(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(953, "Ana")
    await start_with_photo(world, ana)
    preview = await fill_details(ana)  # the lamp, in eBay's Lamps
    await ana.press("✏️ Category", message_id=preview.message_id)
    await reply(ana, "Which eBay category fits")
    await ana.send_text("running shoes")
    await reply(ana, "Which eBay category fits “running shoes”?",
                "Clothing, Shoes & Accessories › Men › Men's Shoes › Athletic Shoes")
    await ana.press("1. Athletic Shoes")
    shoes = await reply(ana, "What condition is it in? These are eBay's words for Athletic Shoes.")
    assert ["Pre-owned - Good"] in shoes.buttons and ["Used"] not in shoes.buttons
    await ana.press("Pre-owned - Good")
    await reply(ana, "Brand? (eBay requires it")
    await ana.send_text("Nike")
    size = await reply(ana, "US Shoe Size? (eBay requires it for this category) Tap one.")
    assert size.buttons[0] == ["6", "6.5", "7"]
    await ana.press("10")
    await reply(ana, "Department? (eBay requires it")
    await ana.press("Men")
    await reply(ana, "eBay buyers also filter by")
    await ana.press("Skip")
    again = await preview_summary(ana)
    assert "🏷 Clothing, Shoes & Accessories › Men › Men's Shoes › Athletic Shoes" in again.text
    assert "$1,200 · Pre-owned - Good" in again.text
    draft = await bot.application.services.drafts.get(953)
    assert (draft.category_ids, draft.condition_ids) == ({"ebay": "15709"}, {"ebay": "3000"})
    progress = await post_and_wait(ana, again)
    assert "is live on 3 of 3" in progress.text
    assert world.ebay.contract_violations == []


async def test_the_price_step_shows_what_similar_items_ask_and_takes_it(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(954, "Ana")
    await at_lamp_specifics(world, ana, "Brass lamp", "Material: Brass")
    await reply(ana, "Brand?")
    await ana.press("Unbranded")
    await reply(ana, "Type?")
    await ana.press("Table Lamp")
    await reply(ana, "eBay buyers also filter by")
    await ana.press("Skip")
    prompt = await reply(ana, "What's the price in US dollars?")
    # Used brass lamps on eBay now: $39, $48, $85
    await ana.wait_for(lambda _: "Similar items on eBay now" in (prompt.text or ""))
    assert "Similar items on eBay now: $44–$66, typical $48." in prompt.text
    assert prompt.buttons == [["Use $48"], ["« Back"]]
    await ana.press("Use $48", message_id=prompt.message_id)
    await reply(ana, "Add a description")
    assert (await bot.application.services.drafts.get(954)).price_cents == 4800


async def test_a_slow_ebay_never_holds_the_price_step(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    world.ebay.browse_delay_seconds = 30
    ana = world.telegram.seller(955, "Ana")
    await at_lamp_specifics(world, ana)
    await reply(ana, "Brand?")
    await ana.press("Unbranded")
    await reply(ana, "eBay buyers also filter by")
    await ana.press("Skip")
    prompt = await reply(ana, "What's the price in US dollars?")  # at once, comps or not
    await asyncio.sleep(3)  # past the comps deadline (2.5 s): it gave up, and said nothing
    assert prompt.edits == 0 and prompt.buttons == [["« Back"]]
    await ana.send_text("40")
    await reply(ana, "Add a description")


async def test_calculated_shipping_asks_the_parcel_with_sizes_to_tap(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    bea = world.telegram.seller(956, "Bea")
    page, _ = await connect(bea, "eBay", world.ebay.oauth, account_id=BEA)
    assert page.status_code == 200
    await post_one_photo(bea)
    await reply(bea, "What's the title?")
    await bea.send_text("Brass desk lamp")
    await answer_until(bea, "What's the price")
    await bea.send_text("40")
    await reply(bea, "Add a description")
    await bea.press("Skip")
    parcel = await reply(bea, "How heavy is it packed, and how big is the box? Your eBay "
                         "shipping policy works out the postage from it.")
    assert parcel.buttons[1] == ["Medium: 3 lb, 12×10×6 in"]
    await bea.send_text("about 3 pounds")
    await reply(bea, "Send the packed weight and the box size in inches")
    await bea.send_text("3.5 lb, 14 x 10 x 8")
    await reply(bea, "Where is the item?")
    await bea.send_text("94107")
    await reply(bea, "94107 it is")
    await reply(bea, "Where should I post it?")
    await bea.press("Continue »")
    preview = await preview_summary(bea)
    assert "📦 3 lb 8 oz, 14×10×8 in" in preview.text
    assert "is live on 1 of 1" in (await post_and_wait(bea, preview)).text
    item = next(iter(world.ebay.sellers[BEA].items.values()))
    assert item["packageWeightAndSize"] == {
        "dimensions": {"height": 8, "length": 14, "width": 10, "unit": "INCH"},
        "weight": {"value": 56, "unit": "OUNCE"},
    }


async def test_forged_buttons_at_ebays_steps_change_nothing(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """Buttons of ours with values we never sent, at each step eBay asks for: one sentence
    each, the draft as it was, and the step still taking its answer."""
    ana = world.telegram.seller(957, "Ana")
    drafts = bot.application.services.drafts

    async def forge(make: Callable[[int], Button]) -> str:
        draft = await drafts.get(957)
        answered = len(ana.callback_answers)
        live = [m for m in ana.bot_messages if not m.deleted]
        await ana.press_data(live[-1].message_id, pack(make(draft.version)))
        await ana.wait_for(lambda _: len(ana.callback_answers) > answered)
        return ana.callback_answers[-1]["text"] or ""

    await start_with_photo(world, ana)
    await reply(ana, "What's the title?")
    await ana.send_text("Brass desk lamp")
    await reply(ana, "Which eBay category fits")
    await ana.press("1. Lamps")
    await reply(ana, "What condition is it in?")
    assert await forge(lambda v: PickMarketplaceCondition(v, "2750")) == MOVED_ON  # not Lamps'
    assert (await drafts.get(957)).condition_ids == {}
    await ana.press("Used")
    await reply(ana, "Anything a buyer should know about its wear")
    await ana.press("Skip")
    await reply(ana, "From the title I filled in")
    await reply(ana, "Brand?")
    before = (await drafts.get(957)).aspects
    assert await forge(lambda v: AspectValue(v, 99, 0)) == MOVED_ON  # no such specific
    assert await forge(lambda v: AspectValue(v, 0, 999)) == MOVED_ON  # no such value
    assert await forge(lambda v: AspectPage(v, 0, 50)) == MOVED_ON  # no such page
    assert await forge(lambda v: AspectDone(v, 0)) == CHOOSE_A_VALUE  # Brand is required
    assert (await drafts.get(957)).aspects == before
    await ana.press("Unbranded")
    await reply(ana, "eBay buyers also filter by")
    await ana.press("Skip")
    await reply(ana, "What's the price")
    refused = await forge(lambda v: UseTypicalPrice(v, 10**12))
    assert refused.startswith("That's more than $1,000,000")
    assert (await drafts.get(957)).price_cents is None
    await ana.send_text("40")
    await reply(ana, "Add a description")
