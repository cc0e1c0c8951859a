"""Three replicas of the bot (`python -m bot run --webhook` subprocesses) on one PostgreSQL
behind sandbox/balancer.py, the emulator delivering by webhook, six sellers connecting and
posting through /post while one replica is killed with SIGKILL and restarted: nothing lost,
nothing answered twice, no duplicate listing, each seller's updates taken on in order (the
bench's own checks, bench/chaos.py --replicas; figures in docs/RELIABILITY.md)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.runtime import LEADER_RETRY_SECONDS, BotRuntime
from sandbox.harness import free_port
from sandbox.world import SandboxWorld
from storage.updates import UpdateLedger
from tests.helpers import eventually, reply

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
@pytest.mark.timeout(330)
def test_three_replicas_behind_a_balancer_lose_nothing_and_answer_once() -> None:
    result = subprocess.run(
        [sys.executable, "bench/chaos.py", "--replicas", "3", "--sellers", "6", "--kills", "1",
         "--patience", "60"],
        cwd=ROOT, capture_output=True, text=True, timeout=330,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "1 kills (SIGKILL), 1 restarts" in result.stdout, out
    assert "3 replicas on PostgreSQL behind a load balancer (webhook), 6 sellers" in out
    assert "invariant violations: 0" in result.stdout, out
    # The balancer really spread the work: every replica answered requests.
    spread = re.search(r"requests each replica answered through the balancer: ([\d, ]+)", out)
    assert spread is not None, out
    assert all(int(count) > 0 for count in spread.group(1).split(", ")), out


# ── Two replicas in this process, on one PostgreSQL database ─────────────────────────────────

ON_POSTGRES = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _unknown(command: str) -> str:
    from bot import texts

    return texts.unknown_command(command)


async def _bot_api(world: SandboxWorld, method: str, **params: object) -> object:
    """A raw Bot API call, as a replica makes it."""
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await client.post(f"{world.telegram.base_url}{world.telegram.token}/{method}",
                                   json=params)
    body = answer.json()
    assert body["ok"], body
    return body["result"]


@ON_POSTGRES
async def test_polling_one_leader_polls_and_another_takes_over_when_it_stops(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime]
) -> None:
    ana = world.telegram.seller(501, "Ana")
    first = start_bot()
    second = start_bot(web_port=free_port())
    async with first, second:
        assert await eventually(lambda: _async(first.polling or second.polling), True)
        await asyncio.sleep(LEADER_RETRY_SECONDS + 0.5)  # the other asked, and was refused
        assert [first.polling, second.polling].count(True) == 1
        await ana.send_command("nonsense")
        await reply(ana, _unknown("/nonsense"))
        leader, survivor = (first, second) if first.polling else (second, first)
        await leader.stop()  # stopping twice (again at the block's end) is safe
        # The one still running becomes the leader and answers.
        assert await eventually(lambda: _async(survivor.polling), True,
                                seconds=LEADER_RETRY_SECONDS * 3)
        await ana.send_command("again")
        await reply(ana, _unknown("/again"))
    answers = [m.text for m in ana.bot_messages]
    assert answers == [_unknown("/nonsense"), _unknown("/again")]  # each answered once


WEBHOOK_SECRET = "replicas-share-this-secret"


def _delivered(world: SandboxWorld) -> list[dict]:
    """Every update Telegram delivers from now on, in order."""
    delivered: list[dict] = []
    world.telegram.update_watchers.append(delivered.extend)
    return delivered


def _two_webhook_replicas(
    settings: Settings, start_bot: Callable[..., BotRuntime]
) -> tuple[BotRuntime, BotRuntime]:
    """Two replicas sharing the webhook secret; the second's setWebhook keeps Telegram on the
    first's URL, so only a redelivery sent by hand reaches the second."""
    first = start_bot(webhook_secret=WEBHOOK_SECRET)
    second = start_bot(webhook_secret=WEBHOOK_SECRET, web_port=free_port(),
                       public_base_url=settings.public_base_url)
    return first, second


async def _async(value: bool) -> bool:
    return value


@ON_POSTGRES
async def test_webhook_an_update_redelivered_to_another_replica_is_handled_once(
    world: SandboxWorld, settings: Settings, start_bot: Callable[..., BotRuntime]
) -> None:
    ana = world.telegram.seller(502, "Ana")
    delivered = _delivered(world)
    first, second = _two_webhook_replicas(settings, start_bot)
    async with first, second:  # the second's setWebhook points Telegram at the first's URL
        await ana.send_command("nonsense")
        await reply(ana, _unknown("/nonsense"))
        (update,) = delivered
        # Telegram retries the same update (it saw no answer in time); the balancer sends it
        # to the other replica, which says OK and handles nothing.
        async with httpx.AsyncClient(timeout=5) as client:
            again = await client.post(
                f"http://127.0.0.1:{second.settings.web_port}/telegram/webhook", json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert again.status_code == 200
        await asyncio.sleep(1.0)
        assert [m.text for m in ana.bot_messages] == [_unknown("/nonsense")]
        row = await first.db.fetchone(
            "SELECT claimed_at, payload FROM processed_updates WHERE update_id = ?",
            (update["update_id"],))
        assert row["claimed_at"] is not None and row["payload"] is None


@ON_POSTGRES
async def test_webhook_a_sellers_older_update_kept_by_a_dead_replica_is_answered_first(
    world: SandboxWorld, settings: Settings, start_bot: Callable[..., BotRuntime]
) -> None:
    """Update N reached a replica that recorded it in the shared inbox and died before
    handling it; N+1 reaches a live replica, which handles N first, then N+1."""
    ana = world.telegram.seller(503, "Ana")
    async with start_bot(webhook_secret=WEBHOOK_SECRET) as live:
        webhook = f"{settings.public_base_url}/telegram/webhook"
        await _bot_api(world, "deleteWebhook")
        await ana.send_command("first")  # N: taken by the replica that is about to die
        (older,) = await _bot_api(world, "getUpdates")
        await UpdateLedger(live.db).record(
            [(older["update_id"], ana.user_id, json.dumps(older))])
        await _bot_api(world, "getUpdates", offset=older["update_id"] + 1)  # confirmed
        await _bot_api(world, "setWebhook", url=webhook, secret_token=WEBHOOK_SECRET)
        await ana.send_command("second")  # N+1, at once: well within the inbox's grace
        await reply(ana, _unknown("/first"))
        await reply(ana, _unknown("/second"))
        await asyncio.sleep(0.5)
    assert [m.text for m in ana.bot_messages] == [_unknown("/first"), _unknown("/second")]


@ON_POSTGRES
async def test_webhook_a_duplicate_skipped_by_another_replica_leaves_the_sellers_data_alone(
    world: SandboxWorld, settings: Settings, start_bot: Callable[..., BotRuntime]
) -> None:
    """PTB marks an update's user and chat for writing when the task that ran it ends, after
    the seller's turn: the replica that skipped a duplicate, never having read the seller's
    data, must not write its empty copy over the row on its next write (it wiped the category
    step's offered categories in bench/chaos.py --replicas 3: every press "moved on")."""
    ana = world.telegram.seller(504, "Ana")
    delivered = _delivered(world)
    first, second = _two_webhook_replicas(settings, start_bot)
    async with first, second:
        await ana.send_command("nonsense")
        await reply(ana, _unknown("/nonsense"))
        await asyncio.sleep(0.5)
        # Meanwhile the seller moved on (on the first replica, say): the row holds that.
        moved_on = json.dumps({"post_step": 3})
        await first.db.execute(
            "UPDATE ptb_user_data SET data = ? WHERE user_id = ?", (moved_on, ana.user_id))
        (update,) = delivered
        async with httpx.AsyncClient(timeout=5) as client:  # Telegram's retry, to the other
            again = await client.post(
                f"http://127.0.0.1:{second.settings.web_port}/telegram/webhook", json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert again.status_code == 200
        await asyncio.sleep(1.0)  # skipped as already handled
        assert second.application is not None
        await second.application.update_persistence()  # as after any other seller's update
        after = await first.db.fetchone(
            "SELECT data FROM ptb_user_data WHERE user_id = ?", (ana.user_id,))
        assert after["data"] == moved_on
