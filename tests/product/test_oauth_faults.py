"""Connections that survive a misbehaving OAuth provider: what the seller reads on the callback
page and in the chat, what the operator reads in the log, and what is stored, when the token
endpoint answers HTML, an error without a code, too late, a narrower grant or no lifetime."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.config import Settings
from bot.runtime import BotRuntime
from marketplaces.base import Tokens
from sandbox.browser import connect
from sandbox.telegram import Seller
from sandbox.world import SandboxWorld
from storage.crypto import TokenCipher
from storage.timeutil import from_db
from tests.helpers import MovableClock

MAYA, GARAGE_GOLD = "ou-4471", "ou-8820"  # two OfferUp sandbox accounts
UNREADABLE = {
    "html_page": "HTTP 200 with a body that is not a JSON object",
    "error_without_code": "HTTP 400 without an error code",
    "wrong_types": "HTTP 200 with a refresh_token that is not a string",
}
NOT_ANSWERING = "OfferUp isn't answering properly right now. Please try again in a few minutes."


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the bot told its operator at WARNING and above (not the stand-ins' own lines)."""
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and r.name.split(".")[0] in ("bot", "marketplaces")]


async def accounts_stored(bot: BotRuntime) -> int:
    return (await bot.db.fetchone("SELECT COUNT(*) FROM marketplace_accounts"))[0]


async def run_job(bot: BotRuntime, name: str) -> None:
    (job,) = bot.application.job_queue.get_jobs_by_name(name)
    await job.run(bot.application)


def impatient_bot(start_bot: Callable[..., BotRuntime], settings: Settings) -> BotRuntime:
    """A bot that waits 1 s for OfferUp (20 s in production), so a lost answer is quick."""
    offerup = dataclasses.replace(settings.marketplaces["offerup"], timeout_seconds=1.0)
    return start_bot(marketplaces={**settings.marketplaces, "offerup": offerup})


async def connected(world: SandboxWorld, user_id: int, account_id: str = MAYA) -> Seller:
    seller = world.telegram.seller(user_id, "Maya")
    page, message = await connect(seller, "OfferUp", world.offerup.oauth, account_id=account_id)
    assert page.status_code == 200, page.text
    assert message.text.startswith("✅ OfferUp is connected as")
    return seller


# ── At connect ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("fault", list(UNREADABLE))
async def test_an_unreadable_token_answer_at_connect_is_not_answering_properly(
    world: SandboxWorld, bot: BotRuntime, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    caplog.set_level(logging.WARNING)
    world.offerup.oauth.token_faults.next(fault, grant_type="authorization_code")
    maya = world.telegram.seller(351, "Maya")
    page, message = await connect(maya, "OfferUp", world.offerup.oauth)

    assert page.status_code == 503  # the marketplace is the one failing: never our 500
    assert "<h1>Not connected</h1>" in page.text and NOT_ANSWERING in page.text
    assert message.text == f"⚠️ {NOT_ANSWERING} Nothing was connected."
    assert message.buttons == [["Try again"]]
    assert await accounts_stored(bot) == 0
    assert warnings_of(caplog) == [
        f"connecting offerup for user 351 failed: offerup token endpoint answered unreadably "
        f"({UNREADABLE[fault]})"
    ]
    assert world.offerup.client_secret not in caplog.text

    page, message = await connect(maya, "OfferUp", world.offerup.oauth)  # it behaves again
    assert page.status_code == 200
    assert message.text == "✅ OfferUp is connected as Maya's Mid-Century Finds."


@pytest.mark.parametrize("fault", ["unavailable", "slow_down"])
async def test_an_overloaded_token_endpoint_at_connect_is_not_answering_properly(
    world: SandboxWorld, bot: BotRuntime, fault: str
) -> None:
    """A 503 or a 429 from eBay's token endpoint is about load, not about the seller's grant."""
    world.ebay.oauth.token_faults.next(fault, grant_type="authorization_code")
    ana = world.telegram.seller(357, "Ana")
    page, message = await connect(ana, "eBay", world.ebay.oauth)
    sentence = "eBay isn't answering properly right now. Please try again in a few minutes."
    assert page.status_code == 503 and sentence in page.text
    assert message.text == f"⚠️ {sentence} Nothing was connected."
    assert world.ebay.oauth.token_faults.injected[fault] == 1
    assert await accounts_stored(bot) == 0


async def test_a_token_answer_lost_at_connect_says_it_took_too_long(
    world: SandboxWorld, settings: Settings, start_bot: Callable[..., BotRuntime],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    world.offerup.oauth.token_faults.hang_seconds = 5
    world.offerup.oauth.token_faults.next("hang_after_work", grant_type="authorization_code")
    async with impatient_bot(start_bot, settings) as bot:
        maya = world.telegram.seller(352, "Maya")
        page, message = await connect(maya, "OfferUp", world.offerup.oauth)
        assert await accounts_stored(bot) == 0
    sentence = "OfferUp took too long to answer. Please try again in a few minutes."
    assert page.status_code == 503 and sentence in page.text
    assert message.text == f"⚠️ {sentence} Nothing was connected."
    assert warnings_of(caplog) == ["connecting offerup for user 352 failed: offerup timed out "
                                   "(ReadTimeout)"]


async def test_a_refused_client_is_not_the_sellers_to_fix(
    world: SandboxWorld, settings: Settings, start_bot: Callable[..., BotRuntime],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refusal of our own credentials reads differently from a timeout (above) and from a
    refused code (which trying again can fix)."""
    caplog.set_level(logging.WARNING)
    wrong = dataclasses.replace(settings.marketplaces["offerup"], client_secret="not-the-secret")
    async with start_bot(marketplaces={**settings.marketplaces, "offerup": wrong}) as bot:
        maya = world.telegram.seller(353, "Maya")
        page, message = await connect(maya, "OfferUp", world.offerup.oauth)
        assert await accounts_stored(bot) == 0
    sentence = ("OfferUp did not accept Deal Scout's own credentials. That is for the bot's "
                "operator to fix, not you; please try again later.")
    assert page.status_code == 400 and sentence in page.text.replace("&#x27;", "'")
    assert message.text == f"⚠️ {sentence} Nothing was connected."
    assert warnings_of(caplog) == ["connecting offerup for user 353 failed: offerup refused our "
                                   "client credentials (invalid_client)"]
    assert "not-the-secret" not in caplog.text


@pytest.mark.parametrize(("granted", "missing"), [
    (("listings.read", "profile.read"), "post and change your listings (listings.write)"),
    (("dummy",), "post and change your listings (listings.write); see your listings "
                 "(listings.read); see your profile (profile.read)"),
])
async def test_a_narrower_grant_is_refused_naming_what_is_missing(
    world: SandboxWorld, bot: BotRuntime, granted: tuple[str, ...], missing: str
) -> None:
    world.offerup.oauth.token_faults.next("narrow_scope", scopes=granted)
    maya = world.telegram.seller(354, "Maya")
    page, message = await connect(maya, "OfferUp", world.offerup.oauth)

    sentence = (f"OfferUp gave Deal Scout only part of the access it needs. Missing: {missing}. "
                "Connect again and allow everything OfferUp asks about.")
    assert page.status_code == 400 and sentence in page.text
    assert message.text == f"⚠️ {sentence} Nothing was connected."
    assert message.buttons == [["Try again"]]
    assert await accounts_stored(bot) == 0
    (grant,) = world.offerup.oauth.grants()
    assert grant.scopes == granted and grant.revoked  # the narrow grant was given back

    await maya.send_command("accounts")
    assert "You haven't connected any marketplace yet." in (await maya.next_message()).text


async def test_an_answer_without_a_lifetime_is_refreshed_on_the_default_schedule(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock
) -> None:
    """No `expires_in`: the access token is taken to live an hour, so the refresh job renews
    it 20 minutes before that hour is up, as it would a dated one."""
    world.offerup.oauth.token_faults.next("no_expires_in", grant_type="authorization_code")
    await connected(world, 355)
    accounts = bot.application.services.accounts
    first = await accounts.get(355, "offerup")
    lifetime = first.expires_at - first.connected_at
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)

    clock.advance(timedelta(minutes=39))  # 21 minutes left: not yet due
    await run_job(bot, "refresh_tokens")
    assert (await accounts.get(355, "offerup")).access_token == first.access_token

    clock.advance(timedelta(minutes=2))  # 19 minutes left
    await run_job(bot, "refresh_tokens")
    renewed = await accounts.get(355, "offerup")
    assert renewed.access_token != first.access_token
    assert world.offerup.oauth.grant_for(renewed.access_token).account.account_id == MAYA


async def test_an_account_stored_without_a_lifetime_is_refreshed_at_the_next_run(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """Accounts connected before a lifetime was assumed have none stored: the job renews them
    at once, and from then on they have one."""
    await connected(world, 356)
    await bot.db.execute("UPDATE marketplace_accounts SET expires_at = NULL")  # as stored then
    accounts = bot.application.services.accounts
    before = await accounts.get(356, "offerup")

    await run_job(bot, "refresh_tokens")
    after = await accounts.get(356, "offerup")
    assert after.access_token != before.access_token
    assert after.expires_at is not None
    assert world.offerup.oauth.grant_for(after.access_token).account.account_id == MAYA


# ── When refreshing ───────────────────────────────────────────────────────────────────────────


async def due_for_refresh(bot: BotRuntime, clock: MovableClock) -> None:
    """Move the clock to 5 minutes before the first stored access token lapses."""
    rows = await bot.db.fetchall("SELECT expires_at FROM marketplace_accounts")
    soonest = min(from_db(row["expires_at"]) for row in rows)
    clock.advance(soonest - timedelta(minutes=5) - clock.now())


async def test_one_sellers_unreadable_refresh_never_stops_the_others(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    maya = await connected(world, 361, MAYA)
    garage = await connected(world, 362, GARAGE_GOLD)
    accounts = bot.application.services.accounts
    before = {uid: (await accounts.get(uid, "offerup")).access_token for uid in (361, 362)}
    world.offerup.oauth.token_faults.next("html_page", grant_type="refresh_token")
    await due_for_refresh(bot, clock)

    await run_job(bot, "refresh_tokens")
    after = {uid: await accounts.get(uid, "offerup") for uid in (361, 362)}
    renewed = [uid for uid in (361, 362) if after[uid].access_token != before[uid]]
    (failed,) = {361, 362} - set(renewed)
    assert len(renewed) == 1  # whichever came first took the HTML; the other was renewed
    assert after[failed].status == "connected"  # a bad answer is not a lost connection
    assert warnings_of(caplog) == [
        f"refreshing offerup for user {failed} failed for now: offerup token endpoint answered "
        "unreadably (HTTP 200 with a body that is not a JSON object)"
    ]

    await run_job(bot, "refresh_tokens")  # the next run renews the one that failed
    assert (await accounts.get(failed, "offerup")).access_token != before[failed]
    for seller in (maya, garage):
        assert not any("stopped accepting" in (m.text or "") for m in seller.bot_messages)


async def test_a_bug_in_one_sellers_refresh_never_stops_the_others(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock,
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not the provider this time but a fault of ours (standing in: the first refresh raises
    a RuntimeError): logged with its traceback for the operator, and the job goes on."""
    caplog.set_level(logging.WARNING)
    await connected(world, 365, MAYA)
    await connected(world, 366, GARAGE_GOLD)
    adapter = bot.application.services.marketplaces["offerup"]
    real_refresh, calls = adapter.refresh, []

    async def first_one_breaks(tokens: Tokens) -> Tokens:
        calls.append(tokens)
        if len(calls) == 1:
            raise RuntimeError("a bug of ours")
        return await real_refresh(tokens)

    monkeypatch.setattr(adapter, "refresh", first_one_breaks)
    accounts = bot.application.services.accounts
    before = {uid: (await accounts.get(uid, "offerup")).access_token for uid in (365, 366)}
    await due_for_refresh(bot, clock)
    await run_job(bot, "refresh_tokens")

    renewed = [uid for uid in (365, 366)
               if (await accounts.get(uid, "offerup")).access_token != before[uid]]
    assert len(calls) == 2 and len(renewed) == 1
    (failed,) = {365, 366} - set(renewed)
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == f"refreshing offerup for user {failed} failed unexpectedly"
    assert record.exc_info is not None and "a bug of ours" in str(record.exc_info[1])


async def test_check_during_an_unreadable_refresh_says_it_is_not_answering_properly(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    maya = await connected(world, 363)
    world.offerup.oauth.expire_access_tokens()  # the check has to refresh first
    world.offerup.oauth.token_faults.next("html_page", grant_type="refresh_token")

    await maya.send_command("accounts")
    overview = await maya.next_message()
    await maya.press("Check OfferUp")
    await maya.wait_for(lambda _: "couldn't check" in overview.text)
    assert overview.text.startswith(
        "OfferUp isn't answering properly right now, so I couldn't check. Try again in a bit."
    )
    assert overview.buttons[0] == ["Check OfferUp", "Disconnect OfferUp"]

    await maya.press("Check OfferUp")  # the provider behaves again
    await maya.wait_for(lambda _: "works — signed in as" in overview.text)
    assert overview.text.startswith("✅ OfferUp works — signed in as Maya's Mid-Century Finds.")


async def test_a_refresh_answer_lost_after_rotating_is_retried_with_the_same_token(
    world: SandboxWorld, settings: Settings, start_bot: Callable[..., BotRuntime],
    clock: MovableClock, caplog: pytest.LogCaptureFixture,
) -> None:
    """OfferUp rotated the refresh token and the answer never arrived. The same token is sent
    again a few seconds later, inside the 60 s reuse interval (docs/offerup-api.md §2.4), and
    gets the new pair; at the next scheduled run, 5 minutes on, it would revoke the grant."""
    caplog.set_level(logging.WARNING)
    oauth = world.offerup.oauth
    async with impatient_bot(start_bot, settings) as bot:
        maya = await connected(world, 364)
        oauth.token_faults.hang_seconds = 5
        oauth.token_faults.next("hang_after_work", grant_type="refresh_token")
        await due_for_refresh(bot, clock)
        await run_job(bot, "refresh_tokens")

        (grant,) = oauth.grants()
        stored = await bot.application.services.accounts.get(364, "offerup")
        assert stored.status == "connected" and not grant.revoked
        assert oauth.reuse_detected == 0
        assert stored.refresh_token == grant.refresh_token  # the pair the lost answer carried
        assert stored.access_token == grant.access_token
        assert [r["grant_type"] for r in oauth.token_requests] == [
            "authorization_code", "refresh_token", "refresh_token"]
        assert any(line.startswith("refreshing offerup timed out after 1.")
                   and line.endswith(": sending the same refresh token again in 2 s")
                   for line in warnings_of(caplog))

        await maya.send_command("accounts")
        overview = await maya.next_message()
        await maya.press("Check OfferUp")
        await maya.wait_for(lambda _: "works — signed in as" in overview.text)
    assert not any("stopped accepting" in (m.text or "") for m in maya.bot_messages)


async def test_tokens_no_configured_key_can_read_cost_only_their_seller_a_reconnect(
    world: SandboxWorld, bot: BotRuntime, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The operator dropped the key one seller's tokens were stored under: that seller is told
    once to connect again, with the button, and the other seller's refresh goes on."""
    caplog.set_level(logging.WARNING)
    maya = await connected(world, 367, MAYA)
    await connected(world, 368, GARAGE_GOLD)
    lost_key = TokenCipher([TokenCipher.generate_key()])
    await bot.db.execute(
        "UPDATE marketplace_accounts SET access_token_enc = ?, refresh_token_enc = ?"
        " WHERE telegram_id = 367",
        (lost_key.encrypt("access-secret-367"), lost_key.encrypt("refresh-secret-367")))
    accounts = bot.application.services.accounts
    before = (await accounts.get(368, "offerup")).access_token
    await due_for_refresh(bot, clock)

    await run_job(bot, "refresh_tokens")
    assert (await accounts.get(368, "offerup")).access_token != before
    row = await bot.db.fetchone(
        "SELECT status FROM marketplace_accounts WHERE telegram_id = 367")
    assert row["status"] == "needs_reconnect"
    await maya.wait_for(lambda messages: any(
        "I can no longer use your OfferUp" in (m.text or "") for m in messages))
    (notice,) = [m for m in maya.bot_messages if "I can no longer use" in (m.text or "")]
    assert notice.buttons == [["Reconnect"]]
    assert any(record.getMessage().startswith("user 367's offerup tokens cannot be decrypted")
               for record in caplog.records if record.levelno == logging.WARNING)
    assert not any("secret-367" in record.getMessage() for record in caplog.records)

    await run_job(bot, "refresh_tokens")  # told once
    assert sum("I can no longer use" in (m.text or "") for m in maya.bot_messages) == 1
