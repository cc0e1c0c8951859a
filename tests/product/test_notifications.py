"""What eBay pushes to the bot's web server (Notification API), end to end: the sandbox signs
each push with a key it publishes through getPublicKey, exactly as eBay does.

A sale ends the other copies within seconds, with no status check in between; a revoked grant
asks the seller to reconnect; a closed eBay account is forgotten; a push that eBay did not sign
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from bot.runtime import BotRuntime
from sandbox.ebay import ANA, ORDER_CONFIRMATION
from sandbox.ebay.push import challenge_response
from sandbox.world import SandboxWorld
from tests.helpers import MovableClock, eventually, post_and_wait, reply, seller_at_preview


async def copies(bot: BotRuntime) -> dict[str, str]:
    rows = await bot.db.fetchall("SELECT marketplace, state FROM cross_posts")
    return {row["marketplace"]: row["state"] for row in rows}


async def ebay_listing_id(bot: BotRuntime) -> str:
    row = await bot.db.fetchone("SELECT external_id FROM cross_posts WHERE marketplace = 'ebay'")
    return str(row[0])


async def test_the_endpoint_answers_ebays_challenge_as_documented(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    adapter = bot.application.services.marketplaces["ebay"]
    endpoint = f"{bot.settings.public_base_url}/notifications/ebay"
    async with httpx.AsyncClient() as client:
        answer = await client.get(endpoint, params={"challenge_code": "a8628072-3d33-45ee"})
        missing = await client.get(endpoint)
        unknown = await client.get(f"{bot.settings.public_base_url}/notifications/offerup",
                                   params={"challenge_code": "x"})
    expected = challenge_response("a8628072-3d33-45ee", adapter.config.verification_token,
                                  endpoint)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == {"challengeResponse": expected}
    assert missing.status_code == 400 and unknown.status_code == 404

    async def registered() -> list[str]:
        return [d.endpoint for d in world.ebay.state.notifications.destinations.values()]

    # eBay took the endpoint at start-up: it challenged it and got that answer
    assert await eventually(registered, [endpoint])


@pytest.mark.both_databases
async def test_a_sale_pushed_by_ebay_ends_every_other_copy_at_once(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, preview = await seller_at_preview(world, 901)
    card = await post_and_wait(ana, preview)
    assert "is live on 3 of 3" in card.text

    await world.ebay.checkout(await ebay_listing_id(bot))

    # A sale the seller must notice gets a message of its own, and the card is edited too.
    told = await reply(ana, "💰 Brass desk lamp, 1970s sold on eBay!")
    assert "I ended it on Facebook Shop (catalog), OfferUp so it can't sell twice." in told.text
    # The news comes with the card drawn once every copy has ended (a draw in between, with
    # eBay's copy sold and the others still up, may show first).
    await ana.wait_for(lambda _: "It sold on eBay!" in card.text)
    assert card.text == "\n".join([
        "💰 Brass desk lamp, 1970s — sold", "💵 $1,200 · sold", "💰 eBay — sold there",
        "🛑 Facebook Shop (catalog) — ended", "🛑 OfferUp — ended", "",
        "💰 It sold on eBay! I ended it on Facebook Shop (catalog), OfferUp so it can't sell "
        "twice.", "", "Next: 📦 Post an item to list something else."])
    assert card.buttons == [["📦 Post an item"], ["« All listings"]]
    assert await copies(bot) == {"ebay": "sold", "facebook": "withdrawn", "offerup": "withdrawn"}
    assert [push.status for push in world.ebay.notifications] == [204]
    assert bot.application.job_queue.get_jobs_by_name("check_listings")  # the backstop stays
    assert world.ebay.contract_violations == []


@pytest.mark.parametrize("signing", ["forged", "tampered", "missing"])
async def test_a_push_ebay_did_not_sign_is_refused_and_changes_nothing(
    world: SandboxWorld, bot: BotRuntime, caplog: pytest.LogCaptureFixture, signing: str
) -> None:
    ana, preview = await seller_at_preview(world, 902)
    await post_and_wait(ana, preview)
    told = len(ana.bot_messages)

    with caplog.at_level(logging.WARNING, logger="bot.web.notifications"):
        (push,) = await world.ebay.push_unverifiable(ORDER_CONFIRMATION, signing=signing)

    assert push.status == 412
    assert "refused a ebay push" in caplog.text
    assert await copies(bot) == {"ebay": "published", "facebook": "published",
                                 "offerup": "published"}
    assert len(ana.bot_messages) == told


async def test_a_seller_who_removes_our_access_on_ebay_is_asked_to_reconnect(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, _ = await seller_at_preview(world, 903)

    await world.ebay.revoke_authorization(ANA)

    notice = await reply(ana, "Deal Scout's access to your eBay account was removed")
    assert notice.buttons == [["Reconnect"]]
    account = await bot.application.services.accounts.get(903, "ebay")
    assert account is not None and account.status == "needs_reconnect"


async def test_a_closed_ebay_account_is_forgotten_and_the_seller_told(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, _ = await seller_at_preview(world, 904)

    await world.ebay.delete_account(ANA)

    await reply(ana, "eBay told me your eBay account was closed")
    rows = await bot.db.fetchall(
        "SELECT marketplace FROM marketplace_accounts WHERE telegram_id = 904"
    )
    assert [row[0] for row in rows] == ["facebook", "offerup"]  # eBay's row and tokens: gone


async def test_the_status_check_leaves_pushed_sales_to_the_push_between_backstops(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    """eBay pushes its sales, so the five-minute check asks eBay only every half hour; the
    others (which push nothing) every time."""
    ana, preview = await seller_at_preview(world, 905)
    await post_and_wait(ana, preview)
    (job,) = bot.application.job_queue.get_jobs_by_name("check_listings")
    await job.run(bot.application)  # the first run asks everyone
    world.ebay.sell(await ebay_listing_id(bot))  # sold without a push (the push was lost)
    before = len(world.ebay.requests)

    await job.run(bot.application)  # five minutes later: eBay is not asked

    assert world.ebay.requests[before:] == []
    assert await copies(bot) == {"ebay": "published", "facebook": "published",
                                 "offerup": "published"}
    clock.advance(timedelta(minutes=31))
    await job.run(bot.application)  # the half-hour backstop finds the sale
    await reply(ana, "sold on eBay!")
    assert await eventually(lambda: copies(bot), {"ebay": "sold", "facebook": "withdrawn",
                                                  "offerup": "withdrawn"})


async def test_every_start_finds_what_the_last_one_registered(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime]
) -> None:
    """Set-up runs at every start and looks before it creates: after a restart eBay still holds
    one destination and one subscription per topic."""
    hub = world.ebay.state.notifications

    async def registered() -> tuple[int, list[str]]:
        return len(hub.destinations), sorted(s.topic_id for s in hub.subscriptions.values())

    settled = (1, ["AUTHORIZATION_REVOCATION", "MARKETPLACE_ACCOUNT_DELETION"])
    async with start_bot():
        assert await eventually(registered, settled)
    async def looked() -> int:
        return world.ebay.requests.count("GET /commerce/notification/v1/subscription")

    async with start_bot():  # its set-up has looked at the subscriptions once it is done
        assert await eventually(looked, 4)  # two topics, two starts
        assert await registered() == settled
    assert hub.alert_email == "operator@dealscout.example"
