"""Connecting accounts end to end: chat, browser, marketplace consent, our callback, database."""

from __future__ import annotations

from bot.runtime import BotRuntime
from sandbox.world import SandboxWorld
from tests.connect_flow import connect


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
