"""The update ledger's claims made together (bot/claims.py) and the inbox keeping updates as
Telegram sent them: faster per update, and still every update handled once and only once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence

from bot.claims import ClaimBatcher
from bot.runtime import BotRuntime
from sandbox.telegram import TelegramEmulator
from storage.db import Database
from storage.updates import UpdateLedger
from tests.helpers import HeldCommand, eventually, within

NOT_UNDERSTOOD = "I'm not sure what to do with that"


class FakeLedger:
    """claim_many that records each write; ids in `taken_before` were claimed earlier."""

    def __init__(self, taken_before: Sequence[int] = (), fail: bool = False) -> None:
        self.writes: list[list[int]] = []
        self.taken = set(taken_before)
        self.fail = fail

    async def claim_many(self, claims: Sequence[tuple[int, int | None]]) -> set[int]:
        self.writes.append([update_id for update_id, _ in claims])
        await asyncio.sleep(0)  # a trip to the database
        if self.fail:
            raise OSError("disk I/O error")
        new = {update_id for update_id, _ in claims} - self.taken
        self.taken |= new
        return new


async def test_claims_asked_for_together_go_in_one_write() -> None:
    ledger = FakeLedger(taken_before=[3])
    batcher = ClaimBatcher(ledger.claim_many)

    results = await asyncio.gather(*(batcher.claim(update_id, 100 + update_id)
                                     for update_id in range(1, 6)))

    assert results == [True, True, False, True, True]  # 3 was claimed before
    assert ledger.writes == [[1, 2, 3, 4, 5]]


async def test_claims_asked_for_during_a_write_go_in_the_next_one() -> None:
    ledger = FakeLedger()
    batcher = ClaimBatcher(ledger.claim_many)
    first = asyncio.create_task(batcher.claim(1, None))
    await asyncio.sleep(0)  # the first write is under way
    later = [asyncio.create_task(batcher.claim(n, None)) for n in (2, 3)]

    assert [await first, *[await task for task in later]] == [True, True, True]
    assert ledger.writes == [[1], [2, 3]]


async def test_the_same_update_claimed_twice_at_once_is_taken_once() -> None:
    ledger = FakeLedger()
    batcher = ClaimBatcher(ledger.claim_many)

    results = await asyncio.gather(batcher.claim(7, 1), batcher.claim(7, 1))

    assert sorted(results) == [False, True]
    assert ledger.writes == [[7]]


async def test_a_failed_write_reaches_every_claim_in_it_and_the_next_write_goes_ahead() -> None:
    ledger = FakeLedger(fail=True)
    batcher = ClaimBatcher(ledger.claim_many)

    results = await asyncio.gather(batcher.claim(1, None), batcher.claim(2, None),
                                   return_exceptions=True)

    assert [type(result) for result in results] == [OSError, OSError]
    ledger.fail = False
    assert await batcher.claim(3, None) is True


async def test_the_ledger_claims_many_in_one_statement(tmp_path: object) -> None:
    db = await Database.open(f"{tmp_path}/ledger.sqlite3")
    try:
        ledger = UpdateLedger(db)
        await ledger.record([(1, 10, '{"update_id": 1}'), (2, 20, '{"update_id": 2}')])
        assert await ledger.claim_many([(1, 10), (2, 20), (3, 30), (3, 30)]) == {1, 2, 3}
        assert await ledger.claim_many([(2, 20), (4, 40)]) == {4}
        assert await ledger.unclaimed() == []
        rows = await db.fetchall("SELECT update_id, claimed_at IS NOT NULL AS taken, payload"
                                 " FROM processed_updates ORDER BY update_id")
        assert [tuple(row) for row in rows] == [(n, 1, None) for n in (1, 2, 3, 4)]
        assert await ledger.claim(4, 40) is False
    finally:
        await db.close()


async def test_many_sellers_at_once_then_telegram_delivers_it_all_again(
    telegram: TelegramEmulator, bot: BotRuntime
) -> None:
    """Twelve sellers write at the same moment, and Telegram then delivers every one of those
    updates a second time: each seller is answered once, and every update is on the ledger as
    taken, its text gone."""
    sellers = [telegram.seller(470 + n, f"Seller {n}") for n in range(12)]
    sent = await asyncio.gather(*(seller.send_text(f"hello {n} 📦")
                                  for n, seller in enumerate(sellers)))
    for seller in sellers:
        assert NOT_UNDERSTOOD in (await seller.next_message()).text
    for update in sent:
        telegram.redeliver(update["update_id"])
    for seller in sellers:  # anything answered twice would come before the answer to this
        await seller.send_command("cancel")
        assert "nothing to cancel" in (await seller.next_message()).text

    assert all(len(seller.bot_messages) == 2 for seller in sellers)
    rows = await bot.db.fetchall(
        "SELECT claimed_at IS NOT NULL AS taken, payload FROM processed_updates WHERE update_id"
        f" IN ({', '.join('?' * len(sent))})", [update["update_id"] for update in sent])
    assert [tuple(row) for row in rows] == [(1, None)] * len(sent)


async def test_the_inbox_keeps_an_update_as_telegram_sent_it(
    telegram: TelegramEmulator, start_bot: Callable[..., BotRuntime]
) -> None:
    """What a restart would handle again is the update exactly as it came from Telegram."""
    held = HeldCommand()
    ana = telegram.seller(490, "Ana")
    async with start_bot(on_build=held.add_to) as bot:
        try:
            await ana.send_command("hold")
            await within(held.entered.wait())
            update = await ana.send_text("Lámpara de latón 💡 <b>50 €</b>")

            async def kept() -> object:
                row = await bot.db.fetchone(
                    "SELECT payload FROM processed_updates WHERE update_id = ?",
                    (update["update_id"],))
                return row is not None and row["payload"] is not None and json.loads(
                    row["payload"])

            assert await eventually(kept, update)
        finally:
            held.release.set()
        assert (await ana.next_message()).text == "released"
        assert NOT_UNDERSTOOD in (await ana.next_message()).text
