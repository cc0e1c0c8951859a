"""A seller's rows kept between updates (storage/scope.py): what the bot reads from its memo is
what the database holds after every kind of write, a read that raced a write is never kept,
and replicas on one PostgreSQL database keep nothing between updates."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
from pathlib import Path

import pytest

from bot.config import Settings
from bot.services import build_services
from storage.accounts import AccountRepository
from storage.crypto import TokenCipher
from storage.db import opened
from storage.drafts import DraftRepository, PhotoAdded
from storage.listings import ListingRepository
from storage.scope import MISSING, ReadCache, SellerMemo, update_scope
from storage.sellers import SellerRepository
from tests.helpers import jpeg

ANA = 701


async def test_a_draft_kept_between_updates_reads_as_the_database_says(tmp_path: Path) -> None:
    """Every write through the repositories leaves the kept draft equal to a fresh read."""
    async with opened(tmp_path / "bot.sqlite3") as db:
        await SellerRepository(db).touch(ANA, "Ana", None, None)
        cache = ReadCache(SellerMemo())
        kept = DraftRepository(db, tmp_path / "drafts", cache=cache)
        fresh = DraftRepository(db, tmp_path / "drafts")  # no memo: reads the database

        async def same() -> None:
            assert await kept.get(ANA) == await fresh.get(ANA)

        assert await kept.get(ANA) is None
        await kept.start(ANA)
        await same()
        for n in (1, 2, 3):
            added = await kept.add_photo(ANA, f"u{n}", f"f{n}", jpeg(640 + n), 640 + n, 480)
            assert added is PhotoAdded.ADDED
            await same()
        assert await kept.add_photo(ANA, "u2", "f2", jpeg(642), 642, 480) is (
            PhotoAdded.REDELIVERED)
        assert await kept.add_photo(ANA, "u9", "f9", jpeg(643), 643, 480) is (
            PhotoAdded.SAME_PICTURE)
        assert sorted(p.name for p in (tmp_path / "drafts" / str(ANA)).iterdir()) == [
            "u1.jpg", "u2.jpg", "u3.jpg"]  # the same picture again left no file behind
        await kept.update(ANA, title="Brass lamp", price_cents=4500, aspects={"Color": ["Brass"]})
        await same()
        await kept.move_to_front(ANA, "u3")
        await same()
        await kept.remove_photo(ANA, "u1")
        await same()
        await kept.remember_photo_file_ids(ANA, {"u2": "photo-2"})
        await same()
        draft = await kept.get(ANA)
        assert draft is not None and draft.title == "Brass lamp"
        assert [(p.file_unique_id, p.photo_file_id) for p in draft.photos] == [
            ("u3", None), ("u2", "photo-2")]

        listings = ListingRepository(db, tmp_path / "listings", cache=cache)
        await kept.update(ANA, condition="good", marketplaces=[])
        await listings.create_from_draft(await kept.get(ANA), "SKU-701")
        assert await kept.get(ANA) is None  # the draft became the listing


async def test_accounts_kept_between_updates_follow_every_change(tmp_path: Path) -> None:
    cipher = TokenCipher([TokenCipher.generate_key()])
    async with opened(tmp_path / "bot.sqlite3") as db:
        await SellerRepository(db).touch(ANA, "Ana", None, None)
        kept = AccountRepository(db, cipher, cache=ReadCache(SellerMemo()))
        fresh = AccountRepository(db, cipher)
        assert await kept.for_seller(ANA) == []
        await kept.save_connection(
            telegram_id=ANA, marketplace="ebay", external_id="ana", display_name="Ana",
            access_token="access-1", refresh_token="refresh-1", expires_at=None,
            refresh_expires_at=None, scope="sell", extra={})
        assert await kept.for_seller(ANA) == await fresh.for_seller(ANA)
        await kept.update_tokens(ANA, "ebay", access_token="access-2", refresh_token="refresh-2",
                                 expires_at=None, refresh_expires_at=None)
        assert [a.access_token for a in await kept.for_seller(ANA)] == ["access-2"]
        assert await kept.mark_needs_reconnect(ANA, "ebay")
        assert [a.status for a in await kept.for_seller(ANA)] == ["needs_reconnect"]
        assert await kept.delete(ANA, "ebay")
        assert await kept.for_seller(ANA) == []


async def test_a_read_that_raced_a_write_is_not_kept() -> None:
    """A job reads the draft while the seller's answer is saved: the job gets what it read,
    and the next read gets the answer, not the job's older copy."""
    cache = ReadCache(SellerMemo())
    stored = {"title": "old"}
    reading, release = asyncio.Event(), asyncio.Event()

    async def slow_load() -> str:
        value = stored["title"]
        reading.set()
        await release.wait()
        return value

    async def load() -> str:
        return stored["title"]

    racing = asyncio.create_task(cache.read(("draft", ANA), slow_load))
    await reading.wait()
    stored["title"] = "new"
    cache.forget(("draft", ANA))
    release.set()
    assert await racing == "old"
    assert await cache.read(("draft", ANA), load) == "new"
    stored["title"] = "changed behind the cache's back"
    assert await cache.read(("draft", ANA), load) == "new"  # kept, not read again


async def test_a_draft_purged_during_an_update_is_not_kept_by_it(tmp_path: Path) -> None:
    """The weekly purge (a job, outside the seller's update) deletes the draft the update
    holds: neither the update nor the memo after it goes on showing it (found in review)."""
    async with opened(tmp_path / "bot.sqlite3") as db:
        await SellerRepository(db).touch(ANA, "Ana", None, None)
        kept = DraftRepository(db, tmp_path / "drafts", cache=ReadCache(SellerMemo()))
        await kept.start(ANA)
        with update_scope():  # the seller's photo, being handled
            assert (await kept.get(ANA)) is not None
            purge = asyncio.get_running_loop().create_task(
                kept.delete(ANA), context=contextvars.Context())  # the job's own context
            await purge
            assert await kept.get(ANA) is None
        assert await kept.get(ANA) is None


async def test_one_process_at_a_time_keeps_rows_of_a_sqlite_file(tmp_path: Path) -> None:
    """A second bot on the same file (or one still shutting down) keeps nothing between
    updates: it would never see the first one's writes."""
    async with opened(tmp_path / "bot.sqlite3") as first, \
            opened(tmp_path / "bot.sqlite3") as second:
        assert first.claim_sole_writer()
        assert not first.claim_sole_writer()  # given out once
        assert not second.claim_sole_writer()
    async with opened(tmp_path / "bot.sqlite3") as after:
        assert after.claim_sole_writer()  # the first one closed: its lock went with it


def test_the_memo_lets_the_seller_seen_longest_ago_go() -> None:
    memo = SellerMemo(capacity=2)
    memo.keep(("draft", 1), "first")
    memo.keep(("draft", 2), "second")
    assert memo.recall(("draft", 1)) == "first"  # seen again: now the most recent
    memo.keep(("draft", 3), "third")
    assert memo.recall(("draft", 2)) is MISSING
    assert (memo.recall(("draft", 1)), memo.recall(("draft", 3))) == ("first", "third")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_replicas_keep_nothing_between_updates(settings: Settings) -> None:
    """Two replicas on one database: what one changes, the other's next update reads."""
    async with opened(settings.database_location) as db_a, \
            opened(settings.database_location) as db_b:
        replica_a = build_services(settings, db_a)
        replica_b = build_services(dataclasses.replace(settings), db_b)
        await replica_a.sellers.touch(ANA, "Ana", None, None)
        await replica_a.drafts.start(ANA)
        with update_scope():  # an update on replica A
            assert (await replica_a.drafts.get(ANA)).title is None
        await replica_b.drafts.update(ANA, title="Brass lamp")  # the next one, on B
        with update_scope():  # and the one after, on A again
            draft = await replica_a.drafts.get(ANA)
        assert draft is not None and draft.title == "Brass lamp"
