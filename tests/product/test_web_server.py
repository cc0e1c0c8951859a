"""The bot's web server probed from outside, over real HTTP on loopback: a secret header that
is not UTF-8, bodies python-telegram-bot cannot read, HEAD on one-time links, old Telegram
login data, and the headers every response carries."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
from aiohttp import web

from bot.runtime import BotRuntime
from bot.web.security import protect
from sandbox.browser import request_link
from sandbox.harness import free_port
from sandbox.telegram import Seller, login_hash
from sandbox.world import SandboxWorld
from tests.helpers import jpeg

SECRET = "s3cret-token_for-webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def webhook_bot(start_bot: Callable[..., BotRuntime]) -> AsyncIterator[BotRuntime]:
    port = free_port()
    runtime = start_bot(web_port=port, public_base_url=f"http://127.0.0.1:{port}",
                        webhook_secret=SECRET)
    async with runtime:
        yield runtime


def logged(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


async def test_a_secret_header_that_is_not_utf8_is_refused_like_any_wrong_secret(
    webhook_bot: BotRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{webhook_bot.web.url}/telegram/webhook",
                                   content=b'{"update_id": 5}',
                                   headers={SECRET_HEADER: b"\xff\xfe"})
    assert answer.status_code == 403
    assert answer.json() == {"ok": False, "error": "forbidden"}
    assert logged(caplog, logging.WARNING) == [
        "webhook call with a wrong or missing secret token from 127.0.0.1"]
    assert logged(caplog, logging.ERROR) == []  # no traceback for anyone to fill the log with


async def test_bodies_ptb_cannot_read_are_acknowledged_and_logged_once(
    webhook_bot: BotRuntime, world: SandboxWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram resends whatever is not answered 200, for ever: what carries the right secret
    is acknowledged, read or not, and the operator is told once, by update id if it has one."""
    caplog.set_level(logging.WARNING)
    nested = b"[" * 10_000 + b"]" * 10_000
    bodies = [b"null", b"[]", b'{"update_id": 77, "message": "hi"}', nested]
    async with httpx.AsyncClient() as client:
        answers = [
            await client.post(f"{webhook_bot.web.url}/telegram/webhook", content=body,
                              headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"})
            for body in bodies
        ]
    assert [(a.status_code, a.json()) for a in answers] == [(200, {"ok": True})] * 4
    assert logged(caplog, logging.WARNING) == [
        "acknowledged webhook JSON null, which python-telegram-bot cannot read",
        "acknowledged webhook JSON array, which python-telegram-bot cannot read",
        "acknowledged webhook update 77, which python-telegram-bot cannot read",
        "acknowledged a webhook body that is not readable JSON (20000 bytes)",
    ]
    assert logged(caplog, logging.ERROR) == []
    assert await webhook_bot.db.fetchone(
        "SELECT 1 FROM processed_updates WHERE update_id = 77") is None

    ana = world.telegram.seller(401, "Ana")  # the next real update is handled as ever
    await ana.send_command("start")
    assert (await ana.next_message()).text.startswith("👋 Hi Ana!")


async def test_head_never_uses_up_a_connect_link(world: SandboxWorld, bot: BotRuntime) -> None:
    """A link scanner or a messenger's preview sends HEAD first: the seller's own GET after it
    still connects."""
    maya = world.telegram.seller(402, "Maya")
    link = await request_link(maya, "OfferUp")
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        scanned = await browser.head(link)
        start = await browser.get(link)
        back = await world.offerup.oauth.consent(start.headers["location"])
        scanned_back = await browser.head(back)
        page = await browser.get(back)
    assert (scanned.status_code, scanned.headers["Allow"]) == (405, "GET")
    assert (scanned_back.status_code, scanned_back.headers["Allow"]) == (405, "GET")
    assert start.status_code == 302
    assert page.status_code == 200
    assert "Connected to OfferUp — you can go back to Telegram." in page.text
    assert (await maya.next_message()).text == (
        "✅ OfferUp is connected as Maya's Mid-Century Finds.")


def opened_at(seller: Seller, link: str, token: str, age: timedelta) -> str:
    """`link` as Telegram signs it for `seller`, tapped `age` ago."""
    raw = link.split("&id=", 1)[0]  # the button's address without Telegram's fields
    fields = {"id": str(seller.user_id), "first_name": seller.first_name,
              "auth_date": str(int(time.time() - age.total_seconds()))}
    fields["hash"] = login_hash(fields, token)
    return f"{raw}&{urlencode(fields)}"


async def test_telegram_login_data_older_than_five_minutes_is_refused(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    maya = world.telegram.seller(403, "Maya")
    link = await request_link(maya, "OfferUp")
    token = world.telegram.token
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        stale = await browser.get(opened_at(maya, link, token, timedelta(minutes=5, seconds=5)))
        assert (await bot.db.fetchone("SELECT browser_hash FROM oauth_states"))[0] is None
        recent = await browser.get(opened_at(maya, link, token, timedelta(minutes=4, seconds=50)))
    assert stale.status_code == 400
    assert "<h1>Link too old</h1>" in stale.text
    assert ("This link was opened more than 5 minutes after it was tapped in Telegram, so I "
            "can't be sure it's you. Open the link from the chat again.") in stale.text
    assert recent.status_code == 302  # the same link, opened in time, goes on to OfferUp
    assert recent.headers["location"].startswith(world.offerup.url)


async def test_every_response_says_nosniff_and_names_no_server_version(
    webhook_bot: BotRuntime,
) -> None:
    base = webhook_bot.web.url
    photo = await webhook_bot.application.services.media.publish(jpeg())
    async with httpx.AsyncClient(follow_redirects=False) as client:
        served = await client.get(photo)
        answers = {
            "photo": served,
            "photo not modified": await client.get(
                photo, headers={"If-Modified-Since": served.headers["Last-Modified"]}),
            "part of a photo": await client.get(photo, headers={"Range": "bytes=0-9"}),
            "HEAD of a photo": await client.head(photo),
            "forged photo": await client.get(f"{base}/media/forged.jpg"),
            "health": await client.get(f"{base}/healthz"),
            "no such page": await client.get(f"{base}/no/such/page"),
            "no such item": await client.get(f"{base}/items/NOPE-1"),
            "wrong method": await client.put(f"{base}/healthz"),
            "HEAD of a connect link": await client.head(f"{base}/oauth/offerup/start"),
            "unsigned connect link": await client.get(f"{base}/oauth/offerup/start?ref=x"),
            "wrong secret": await client.post(f"{base}/telegram/webhook", content=b"{}"),
            "too large": await client.post(f"{base}/telegram/webhook", content=b"x" * 2**21,
                                           headers={SECRET_HEADER: SECRET}),
        }
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "photo": 200, "photo not modified": 304, "part of a photo": 206, "HEAD of a photo": 200,
        "forged photo": 404, "health": 200, "no such page": 404, "no such item": 404,
        "wrong method": 405, "HEAD of a connect link": 405, "unsigned connect link": 400,
        "wrong secret": 403, "too large": 413,
    }
    for name, answer in answers.items():
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", name
        assert answer.headers.get("Server") == "Deal Scout", name
    assert answers["photo"].headers["Cache-Control"] == "private, max-age=3600"  # its own kept
    assert answers["health"].headers["Cache-Control"] == "no-store"


async def test_the_500_of_an_unexpected_error_carries_the_headers_too() -> None:
    """No route of the bot fails that way any more, so a route made to: the 500 aiohttp sends
    for an unhandled exception never passes a middleware, only the prepare hook."""

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    app = web.Application()
    protect(app)
    app.router.add_get("/broken", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{runner.addresses[0][1]}/broken")
    finally:
        await runner.cleanup()
    assert answer.status_code == 500
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Server"] == "Deal Scout"
    assert "a bug" not in answer.text
