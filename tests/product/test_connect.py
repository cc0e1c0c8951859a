"""Connecting accounts end to end: chat, browser, marketplace consent, our callback, database."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from bot.buttons import ChooseCatalog, pack
from bot.logs import configure_logging
from bot.runtime import BotRuntime
from marketplaces import oauth
from marketplaces.base import Marketplace, TemporarilyUnavailable, TokenExpired, Tokens
from sandbox.browser import connect, request_link
from sandbox.ebay import MARCO
from sandbox.telegram import Seller, login_hash
from sandbox.world import SandboxWorld
from storage.timeutil import from_db
from tests.helpers import MovableClock

oauth_refusal = pytest.mark.oauth_refusals  # `pytest -m oauth_refusals`: the refusal table


def signed_fields(seller: Seller, token: str) -> dict[str, str]:
    """What Telegram appends when `seller` taps a Login URL button."""
    fields = {"id": str(seller.user_id), "first_name": seller.first_name,
              "auth_date": str(int(time.time()))}
    fields["hash"] = login_hash(fields, token)
    return fields


@pytest.mark.both_databases
async def test_offerup_connects_through_chat_browser_and_callback(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    maya = world.telegram.seller(301, "Maya")
    page, message = await connect(maya, "OfferUp", world.offerup.oauth)

    assert page.status_code == 200
    assert "Connected to OfferUp — you can go back to Telegram." in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert message.text == "✅ OfferUp is connected as Maya's Mid-Century Finds."

    grant = world.offerup.oauth.grants()[0]
    row = await bot.db.fetchone(
        "SELECT access_token_enc, refresh_token_enc, status FROM marketplace_accounts"
        " WHERE telegram_id = 301 AND marketplace = 'offerup'"
    )
    assert row["status"] == "connected"
    assert grant.access_token not in row["access_token_enc"]
    assert grant.refresh_token not in row["refresh_token_enc"]
    cipher = bot.application.services.cipher
    assert cipher.decrypt(row["access_token_enc"]) == grant.access_token
    assert (await bot.db.fetchone("SELECT COUNT(*) FROM oauth_states"))[0] == 0


# ── The callback refuses, with a 400 page and nothing stored ──────────────────────────────────


async def accounts_stored(bot: BotRuntime) -> int:
    return (await bot.db.fetchone("SELECT COUNT(*) FROM marketplace_accounts"))[0]


async def callback(bot: BotRuntime, marketplace: str, **params: str) -> httpx.Response:
    async with httpx.AsyncClient() as browser:
        return await browser.get(f"{bot.web.url}/oauth/{marketplace}/callback", params=params)


@oauth_refusal
async def test_unknown_state_is_refused(world: SandboxWorld, bot: BotRuntime) -> None:
    page = await callback(bot, "offerup", state="made-up-state", code="abc")
    assert page.status_code == 400
    assert "already used or is not valid" in page.text
    assert "made-up-state" not in page.text and "abc" not in page.text
    assert await accounts_stored(bot) == 0


@oauth_refusal
async def test_missing_state_code_and_oversized_parameters_are_refused(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    assert (await callback(bot, "offerup", code="abc")).status_code == 400
    maya = world.telegram.seller(302, "Maya")
    link = await request_link(maya, "OfferUp")
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        start = await browser.get(link)
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        no_code = await browser.get(
            f"{bot.web.url}/oauth/offerup/callback", params={"state": state}
        )
        huge = await browser.get(
            f"{bot.web.url}/oauth/offerup/callback", params={"state": "x" * 5000, "code": "c"}
        )
    assert no_code.status_code == 400 and "sent no authorization" in no_code.text
    assert huge.status_code == 400 and "malformed" in huge.text
    assert "x" * 100 not in huge.text
    assert await accounts_stored(bot) == 0


@oauth_refusal
async def test_expired_state_is_refused(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    maya = world.telegram.seller(303, "Maya")
    link = await request_link(maya, "OfferUp")
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        start = await browser.get(link)
        back = await world.offerup.oauth.consent(start.headers["location"])
        clock.advance(timedelta(minutes=11))  # links work for 10 minutes
        page = await browser.get(back)
    assert page.status_code == 400 and "expired" in page.text
    assert await accounts_stored(bot) == 0
    told = await maya.next_message()
    assert "This link expired" in told.text and "Nothing was connected" in told.text


@oauth_refusal
@pytest.mark.both_databases
async def test_a_reused_state_is_refused(world: SandboxWorld, bot: BotRuntime) -> None:
    maya = world.telegram.seller(304, "Maya")
    link = await request_link(maya, "OfferUp")
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        start = await browser.get(link)
        back = await world.offerup.oauth.consent(start.headers["location"])
        first = await browser.get(back)
        browser.cookies.clear()
        replay = await browser.get(back)
    assert first.status_code == 200
    assert replay.status_code == 400 and "already used" in replay.text
    assert await accounts_stored(bot) == 1


@oauth_refusal
@pytest.mark.both_databases
async def test_two_concurrent_uses_of_one_state_connect_once(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    maya = world.telegram.seller(305, "Maya")
    link = await request_link(maya, "OfferUp")
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        start = await browser.get(link)
        back = await world.offerup.oauth.consent(start.headers["location"])
        pages = await asyncio.gather(browser.get(back), browser.get(back))
    assert sorted(page.status_code for page in pages) == [200, 400]
    assert await accounts_stored(bot) == 1
    assert [g for g in world.offerup.oauth.token_requests if g["grant_type"] != ""] == [
        {"grant_type": "authorization_code"}
    ]


@oauth_refusal
async def test_declining_says_so_on_the_page_and_in_the_chat(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    maya = world.telegram.seller(306, "Maya")
    page, message = await connect(maya, "OfferUp", world.offerup.oauth, approve=False)
    assert page.status_code == 400
    assert "<h1>You declined</h1>" in page.text
    assert message.text == (
        "⚠️ You declined the connection to OfferUp. Nothing was connected."
    )
    assert message.buttons == [["Try again"]]
    assert await accounts_stored(bot) == 0


@oauth_refusal
async def test_user_b_cannot_finish_user_a_link(world: SandboxWorld, bot: BotRuntime) -> None:
    ana, ben = world.telegram.seller(307, "Ana"), world.telegram.seller(308, "Ben")
    ana_link = await request_link(ana, "OfferUp")
    raw_link = ana_link.split("&id=", 1)[0]  # the button's address without Telegram's signature
    ben_signed = raw_link + "&" + urlencode(signed_fields(ben, world.telegram.token))

    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as ben_browser:
        unsigned = await ben_browser.get(raw_link)
        as_ben = await ben_browser.get(ben_signed)
    assert unsigned.status_code == 400 and "with the button in Telegram" in unsigned.text
    assert as_ben.status_code == 400 and "isn't yours" in as_ben.text

    # Ana opens her link, then Ben finishes the marketplace step in his own browser.
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as ana_browser:
        start = await ana_browser.get(ana_link)
    back = await world.offerup.oauth.consent(start.headers["location"], account_id="ou-8820")
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as ben_browser:
        page = await ben_browser.get(back)
    assert page.status_code == 400 and "different browser" in page.text
    assert await accounts_stored(bot) == 0
    assert "Nothing was connected" in (await ana.next_message()).text
    assert all("connected as" not in m.text for m in ben.bot_messages)


# ── Managing connections and keeping tokens fresh ─────────────────────────────────────────────


async def connected_seller(world: SandboxWorld, user_id: int) -> Seller:
    seller = world.telegram.seller(user_id, "Maya")
    page, _ = await connect(seller, "OfferUp", world.offerup.oauth)
    assert page.status_code == 200
    return seller


async def move_to(bot: BotRuntime, clock: MovableClock, before_expiry: timedelta) -> None:
    """Move the clock to `before_expiry` before the first connection's access token lapses."""
    (account, *_) = await bot.db.fetchall("SELECT expires_at FROM marketplace_accounts")
    clock.advance(from_db(account["expires_at"]) - before_expiry - clock.now())


async def run_job(bot: BotRuntime, name: str) -> None:
    (job,) = bot.application.job_queue.get_jobs_by_name(name)
    await job.run(bot.application)


@pytest.mark.both_databases
async def test_accounts_check_and_disconnect(world: SandboxWorld, bot: BotRuntime) -> None:
    maya = await connected_seller(world, 310)
    await maya.send_command("accounts")
    overview = await maya.next_message()
    assert "• OfferUp (Maya's Mid-Century Finds) — ✅ connected" in overview.text
    assert overview.buttons[0] == ["Check OfferUp", "Disconnect OfferUp"]

    await maya.press("Check OfferUp")
    await maya.wait_for(lambda _: "works — signed in as" in overview.text)
    assert overview.text.startswith("✅ OfferUp works — signed in as Maya's Mid-Century Finds.")

    await maya.press("Disconnect OfferUp")
    await maya.wait_for(lambda _: overview.text.startswith("Disconnect OfferUp?"))
    await maya.press("Yes, disconnect")
    await maya.wait_for(lambda _: overview.text.startswith("OfferUp is disconnected."))
    assert "You haven't connected any marketplace yet." in overview.text
    assert await accounts_stored(bot) == 0
    assert world.offerup.oauth.revocations == 1
    assert all(grant.revoked for grant in world.offerup.oauth.grants())


@pytest.mark.both_databases
async def test_tokens_are_refreshed_before_they_expire_with_rotation(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    await connected_seller(world, 311)
    services = bot.application.services
    before = await services.accounts.get(311, "offerup")
    await move_to(bot, clock, timedelta(minutes=5))  # the token lapses within the window
    await run_job(bot, "refresh_tokens")

    after = await services.accounts.get(311, "offerup")
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # rotated, and stored with the access
    assert after.expires_at > before.expires_at
    assert world.offerup.oauth.grant_for(after.access_token).account.account_id == "ou-4471"


async def test_an_expired_token_is_refreshed_once_on_use(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    maya = await connected_seller(world, 312)
    before = await bot.application.services.accounts.get(312, "offerup")
    world.offerup.oauth.expire_access_tokens()  # the marketplace says 401 on the next call

    await maya.send_command("accounts")
    overview = await maya.next_message()
    await maya.press("Check OfferUp")
    await maya.wait_for(lambda _: "works — signed in as" in overview.text)
    after = await bot.application.services.accounts.get(312, "offerup")
    assert after.access_token != before.access_token
    grants = [r["grant_type"] for r in world.offerup.oauth.token_requests]
    assert grants == ["authorization_code", "refresh_token"]


async def test_a_refused_fresh_token_is_a_hiccup_not_a_lost_connection(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """The refresh went through, so the grant is good: a 401 on the very next call is tried
    again later, and the seller is not asked to connect again."""
    await connected_seller(world, 341)
    refused = 0

    async def always_refused(adapter: Marketplace, tokens: Tokens) -> None:
        nonlocal refused
        refused += 1
        raise TokenExpired("offerup", "offerup refused the access token")

    with pytest.raises(TemporarilyUnavailable):
        await bot.application.services.connections.call(341, "offerup", always_refused)
    assert refused == 2  # the call, then once more after one refresh
    stored = await bot.application.services.accounts.get(341, "offerup")
    assert stored.status == "connected"
    assert stored.refresh_token is not None


@pytest.mark.both_databases
async def test_a_refused_refresh_marks_the_account_and_tells_the_seller_once(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    maya = await connected_seller(world, 313)
    world.offerup.oauth.revoke_account("ou-4471")
    await move_to(bot, clock, timedelta(minutes=1))
    await run_job(bot, "refresh_tokens")
    await run_job(bot, "refresh_tokens")

    notice = await maya.next_message()
    assert notice.text.startswith("❗ OfferUp stopped accepting my access to your account")
    assert notice.buttons == [["Reconnect"]]
    assert [m.text for m in maya.bot_messages].count(notice.text) == 1
    stored = await bot.application.services.accounts.get(313, "offerup")
    assert stored.status == "needs_reconnect"

    await maya.send_command("accounts")
    assert "❗ needs reconnecting" in (await maya.next_message()).text


# ── Facebook: catalogs and a token that cannot be refreshed ───────────────────────────────────

FACEBOOK_DOWN = "Facebook Shop (catalog) didn't answer while I was setting up your account"


async def test_facebook_with_one_catalog_connects_straight_away(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    rosa = world.telegram.seller(320, "Rosa")
    page, message = await connect(rosa, "Facebook Shop (catalog)", world.facebook.oauth)
    assert page.status_code == 200
    assert message.text == "✅ Facebook Shop (catalog) is connected as Rosa Delgado."
    stored = await bot.application.services.accounts.get(320, "facebook")
    assert stored.extra["catalog_id"] == "810000000000001"
    assert stored.refresh_token is None and stored.expires_at is not None


async def test_facebook_asks_which_catalog_when_there_are_several(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    marcus = world.telegram.seller(321, "Marcus")
    link = await request_link(marcus, "Facebook Shop (catalog)")
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        start = await browser.get(link)
        back = await world.facebook.oauth.consent(
            start.headers["location"], account_id="100089000000002"
        )
        assert (await browser.get(back)).status_code == 200
    question = await marcus.next_message()
    assert "You manage several catalogs" in question.text
    assert question.buttons == [["Bell Street – Sneakers"], ["Bell Street – Electronics"]]

    answered = len(marcus.callback_answers)
    not_a_product_catalog = ChooseCatalog("facebook", "810000000000004")
    await marcus.press_data(question.message_id, pack(not_a_product_catalog))
    await marcus.wait_for(lambda _: len(marcus.callback_answers) > answered)
    assert marcus.callback_answers[-1]["text"].startswith("That catalog isn't one you manage")

    await marcus.press("Bell Street – Electronics")
    await marcus.wait_for(lambda _: question.text.startswith("👍"))
    assert question.text == (
        "👍 Facebook Shop (catalog) will list your items in Bell Street – Electronics."
    )
    stored = await bot.application.services.accounts.get(321, "facebook")
    assert stored.extra["catalog_id"] == "810000000000003"


async def test_facebook_without_a_catalog_says_what_to_set_up(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    jenny = world.telegram.seller(322, "Jenny")
    link = await request_link(jenny, "Facebook Shop (catalog)")
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        start = await browser.get(link)
        back = await world.facebook.oauth.consent(
            start.headers["location"], account_id="100089000000003"
        )
        await browser.get(back)
    message = await jenny.next_message()
    assert message.text.startswith("✅ Facebook Shop (catalog) is connected as Jenny Nguyen.")
    assert "Before I can post on Facebook Shop (catalog), one thing to set up there:" in (
        message.text
    )
    assert "Commerce Manager" in message.text


async def test_a_brief_outage_while_setting_up_facebook_is_ridden_out(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    # The first set-up try fails (its call and both quick retries); the second goes through.
    world.facebook.faults.next("error", status=503, times=3, path_contains="/businesses")
    rosa = world.telegram.seller(323, "Rosa")
    page, message = await connect(rosa, "Facebook Shop (catalog)", world.facebook.oauth)
    assert page.status_code == 200
    assert message.text == "✅ Facebook Shop (catalog) is connected as Rosa Delgado."
    stored = await bot.application.services.accounts.get(323, "facebook")
    assert stored.extra["catalog_id"] == "810000000000001"
    assert world.facebook.faults.injected["error"] == 3


async def test_facebook_down_while_setting_up_connects_nothing_and_says_try_again(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    # Three set-up tries, each call sent three times (base.CALL_RETRY): nine failures.
    world.facebook.faults.next("error", status=503, times=9, path_contains="/businesses")
    rosa = world.telegram.seller(324, "Rosa")
    page, message = await connect(rosa, "Facebook Shop (catalog)", world.facebook.oauth)
    assert page.status_code == 503
    assert FACEBOOK_DOWN in page.text
    assert FACEBOOK_DOWN in message.text
    assert "Try again" in [label for row in message.buttons for label in row]
    assert await bot.application.services.accounts.get(324, "facebook") is None

    page, message = await connect(rosa, "Facebook Shop (catalog)", world.facebook.oauth)  # back
    assert page.status_code == 200
    assert message.text == "✅ Facebook Shop (catalog) is connected as Rosa Delgado."


async def test_a_marketplace_that_hangs_while_setting_up_does_not_hold_the_browser(
    world: SandboxWorld, bot: BotRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oauth, "SETUP_DEADLINE_SECONDS", 1.0)  # 25 s in production
    world.facebook.faults.hang_seconds = 5  # then it answers: only the deadline refuses
    world.facebook.faults.next("hang", path_contains="/businesses")
    rosa = world.telegram.seller(325, "Rosa")
    page, message = await connect(rosa, "Facebook Shop (catalog)", world.facebook.oauth)
    assert page.status_code == 503
    assert FACEBOOK_DOWN in message.text
    assert await bot.application.services.accounts.get(325, "facebook") is None


async def test_facebook_seller_is_warned_before_the_token_lapses(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    rosa = world.telegram.seller(323, "Rosa")
    await connect(rosa, "Facebook Shop (catalog)", world.facebook.oauth)
    await move_to(bot, clock, timedelta(days=3, hours=1))
    await run_job(bot, "warn_expiring_connections")
    await run_job(bot, "warn_expiring_connections")
    warning = await rosa.next_message()
    assert warning.text.startswith("⏳ Your Facebook Shop (catalog) connection expires in 3 days")
    assert warning.buttons == [["Reconnect"]]
    assert sum(m.text.startswith("⏳") for m in rosa.bot_messages) == 1


# ── eBay: business policies ───────────────────────────────────────────────────────────────────


async def test_ebay_connects_and_reads_the_sellers_default_policies(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(330, "Ana")
    page, message = await connect(ana, "eBay", world.ebay.oauth)
    assert page.status_code == 200
    assert message.text == "✅ eBay is connected as anas_attic_finds."
    stored = await bot.application.services.accounts.get(330, "ebay")
    assert {"fulfillment_policy_id", "payment_policy_id", "return_policy_id"} <= set(stored.extra)
    assert stored.refresh_token is not None  # eBay's long-lived refresh token, encrypted


async def test_ebay_seller_without_policies_is_told_what_to_create(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    marco = world.telegram.seller(331, "Marco")
    link = await request_link(marco, "eBay")
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        start = await browser.get(link)
        back = await world.ebay.oauth.consent(start.headers["location"], account_id=MARCO)
        assert (await browser.get(back)).status_code == 200
    message = await marco.next_message()
    assert message.text.startswith("✅ eBay is connected as")
    assert "Before I can post on eBay, one thing to set up there:" in message.text
    assert "Business policies" in message.text


async def test_deep_link_start_connect_opens_the_connect_menu(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(340, "Ana")
    await ana.send_command("start", "connect")
    menu = await ana.next_message()
    assert menu.text.startswith("Connect your marketplace accounts once")
    assert menu.buttons == [
        ["Connect eBay"], ["Connect Facebook Shop (catalog)"], ["Connect OfferUp"]
    ]
    # the marketplaces posted by kit need no connection, and the menu says so
    assert ("No connection needed for Facebook Marketplace, Mercari, Poshmark, Depop and "
            "Craigslist: they have no listing API") in menu.text


@pytest.mark.both_databases
async def test_expired_states_are_purged_on_schedule(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    ana = world.telegram.seller(341, "Ana")
    await request_link(ana, "OfferUp")
    clock.advance(timedelta(minutes=6))
    await request_link(ana, "eBay")
    clock.advance(timedelta(minutes=5))  # the OfferUp link is 11 minutes old, eBay's 5
    await run_job(bot, "purge_expired_states")
    rows = await bot.db.fetchall("SELECT marketplace FROM oauth_states")
    assert [row["marketplace"] for row in rows] == ["ebay"]


async def test_connecting_logs_no_token_or_secret(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", bot.settings.secrets(), stream=stream)
    maya = world.telegram.seller(342, "Maya")
    await connect(maya, "OfferUp", world.offerup.oauth)
    await maya.send_command("accounts")
    await maya.next_message()
    await maya.press("Check OfferUp")
    await maya.wait_for(lambda _: "works" in maya.bot_messages[-1].text)
    output = stream.getvalue()
    (grant,) = world.offerup.oauth.grants()
    for secret in (grant.access_token, grant.refresh_token, world.offerup.client_secret):
        assert secret not in output
    assert "offerup" in output.lower()  # the run did log, and was scanned
