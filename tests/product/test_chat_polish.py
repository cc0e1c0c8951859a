"""What a seller meets on a phone that used to end in a dead end or a wrong guess: prices typed
as "12k" or "free", photos sent as files, long descriptions, edits of earlier answers."""

from __future__ import annotations

from bot.runtime import BotRuntime
from sandbox.autopilot import answer_until
from sandbox.telegram import Seller
from sandbox.world import SandboxWorld
from tests.helpers import reply, start_with_photo


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
