"""Storage, on SQLite and on PostgreSQL: migrations that apply once and roll back whole, tokens
encrypted at rest, the update ledger, and what each backend must keep exactly (64-bit ids,
doubles, insertion order, transactions)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from marketplaces.media import MediaStore
from sandbox.harness import free_port
from sandbox.postgres import LocalPostgres
from storage.accounts import AccountRepository
from storage.assisted import AssistedRepository
from storage.crypto import InvalidKeyError, TokenCipher, TokenDecryptionError
from storage.db import Database, DatabaseUnavailable, opened
from storage.drafts import DraftRepository
from storage.listings import ListingRepository
from storage.migrations import MigrationError, discover
from storage.persistence import DatabasePersistence
from storage.sellers import SellerRepository
from storage.updates import UpdateLedger
from tests.helpers import MovableClock, table_names

# What each backend raises when a constraint is broken.
INTEGRITY = {"sqlite": sqlite3.IntegrityError,
             "postgresql": asyncpg.IntegrityConstraintViolationError}


async def schema_of(db: Database) -> list[tuple[object, ...]]:
    """Every table's and index's definition, as the database reports it."""
    if db.dialect == "sqlite":
        rows = await db.fetchall("SELECT name, sql FROM sqlite_master ORDER BY name")
    else:
        rows = await db.fetchall(
            "SELECT table_name, column_name, data_type, column_default, is_nullable"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
            " UNION ALL SELECT indexname, indexdef, '', '', '' FROM pg_indexes"
            " WHERE schemaname = current_schema() ORDER BY 1, 2"
        )
    return [tuple(row) for row in rows]


@pytest.mark.both_databases
async def test_migrations_applied_twice_change_nothing(empty_database: str | Path) -> None:
    db = await Database.open(empty_database)
    first_schema = await schema_of(db)
    versions = await db.fetchall("SELECT version, applied_at FROM schema_migrations")
    assert await db.migrate() == []
    await db.close()

    db = await Database.open(empty_database)
    assert await schema_of(db) == first_schema
    again = await db.fetchall("SELECT version, applied_at FROM schema_migrations")
    assert [tuple(r) for r in again] == [tuple(r) for r in versions]
    assert [r["version"] for r in again] == [m.version for m in discover()]
    await db.close()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
    assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
    await db.close()


@pytest.mark.both_databases
async def test_foreign_keys_are_enforced(empty_database: str | Path, backend: str) -> None:
    async with opened(empty_database) as db:
        with pytest.raises(INTEGRITY[backend]):
            await db.execute("INSERT INTO drafts (telegram_id, created_at, updated_at)"
                             " VALUES (?, ?, ?)", (404, "now", "now"))
        assert await db.fetchall("SELECT * FROM drafts") == []


@pytest.mark.both_databases
async def test_ping_reports_a_closed_database_as_down(empty_database: str | Path) -> None:
    db = await Database.open(empty_database)
    assert await db.ping() is True
    await db.close()
    assert await db.ping() is False


@pytest.mark.both_databases
async def test_failed_migration_rolls_back_whole(
    empty_database: str | Path, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_first.sql").write_text("CREATE TABLE kept (id INTEGER PRIMARY KEY);")
    (migrations / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO kept (id) VALUES (1);\n"
        "INSERT INTO no_such_table VALUES (1);\n"
    )
    db = await Database.open(empty_database, migrate=False)
    with pytest.raises(MigrationError, match="0002_broken failed and was rolled back"):
        await db.migrate(migrations)

    tables = await table_names(db)
    assert "kept" in tables
    assert "half_done" not in tables
    assert await db.fetchall("SELECT * FROM kept") == []
    recorded = await db.fetchall("SELECT version FROM schema_migrations")
    assert [row["version"] for row in recorded] == [1]
    # The database is still usable and a fixed migration then applies.
    (migrations / "0002_broken.sql").write_text("CREATE TABLE half_done (id INTEGER);")
    assert [m.version for m in await db.migrate(migrations)] == [2]
    await db.close()


@pytest.mark.both_databases
async def test_transaction_rolls_back_on_error(
    empty_database: str | Path, backend: str
) -> None:
    db = await Database.open(empty_database)
    with pytest.raises(INTEGRITY[backend]):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO sellers (telegram_id, first_name, created_at, last_seen_at)"
                " VALUES (1, 'Ana', 'now', 'now')"
            )
            await tx.execute(
                "INSERT INTO sellers (telegram_id, first_name, created_at, last_seen_at)"
                " VALUES (1, 'Ana again', 'now', 'now')"
            )
    assert await db.fetchall("SELECT * FROM sellers") == []
    await db.close()


def test_encryption_round_trip_hides_the_token() -> None:
    cipher = TokenCipher([TokenCipher.generate_key()])
    secret = "v^1.1#i^1#r^1#p^3#f^0#I^3#t^Ul4xMF8xMTpBQ0U="
    stored = cipher.encrypt(secret)
    assert secret not in stored
    assert cipher.decrypt(stored) == secret
    # Fernet is randomised: the same token never encrypts to the same text twice.
    assert cipher.encrypt(secret) != stored


def test_rotation_old_ciphertext_still_reads_and_rotates_to_new_key() -> None:
    old_key, new_key = TokenCipher.generate_key(), TokenCipher.generate_key()
    before = TokenCipher([old_key]).encrypt("refresh-token-123")

    both = TokenCipher.from_setting(f"{new_key}, {old_key}")
    assert both.decrypt(before) == "refresh-token-123"
    rotated = both.rotate(before)
    assert TokenCipher([new_key]).decrypt(rotated) == "refresh-token-123"
    with pytest.raises(TokenDecryptionError):
        TokenCipher([old_key]).decrypt(rotated)


def test_tampered_ciphertext_is_refused_with_a_clear_error() -> None:
    cipher = TokenCipher([TokenCipher.generate_key()])
    stored = cipher.encrypt("access-token")
    middle = len(stored) // 2
    tampered = stored[:middle] + ("A" if stored[middle] != "A" else "B") + stored[middle + 1 :]
    with pytest.raises(TokenDecryptionError, match="altered"):
        cipher.decrypt(tampered)
    with pytest.raises(TokenDecryptionError, match="not in TOKEN_ENCRYPTION_KEY"):
        TokenCipher([TokenCipher.generate_key()]).decrypt(stored)
    with pytest.raises(TokenDecryptionError):
        cipher.decrypt("not even base64 ✗")


def test_malformed_key_is_named() -> None:
    with pytest.raises(InvalidKeyError, match="key #2 is not a valid Fernet key"):
        TokenCipher.from_setting(f"{TokenCipher.generate_key()},short")


@pytest.mark.both_databases
async def test_the_update_ledger_keeps_an_update_until_it_is_claimed_once(
    empty_database: str | Path,
) -> None:
    db = await Database.open(empty_database)
    clock = MovableClock()
    ledger = UpdateLedger(db, clock)
    await ledger.record([(7, 301, '{"update_id": 7}')])
    await ledger.record([(7, 301, '{"update_id": 7, "again": true}'),  # delivered twice
                         (8, 301, '{"update_id": 8}')])
    assert await ledger.unclaimed() == [(7, '{"update_id": 7}'), (8, '{"update_id": 8}')]

    assert await ledger.claim(7, 301) is True
    assert await ledger.claim(7, 301) is False
    await ledger.record([(7, 301, '{"update_id": 7}')])  # redelivered: nothing to redo
    assert await ledger.unclaimed() == [(8, '{"update_id": 8}')]
    assert await ledger.claim(9, 301) is True  # never recorded (queued before the inbox)
    row = await db.fetchone("SELECT payload, claimed_at FROM processed_updates WHERE update_id = 7")
    assert row["payload"] is None and row["claimed_at"] is not None  # the message text is gone

    # Days later: the purge forgets what was taken on, never what is still to be handled.
    assert await ledger.purge_older_than(timedelta(days=2)) == 0  # all of it is recent
    clock.advance(timedelta(days=3))
    assert await ledger.purge_older_than(timedelta(days=2)) == 2
    assert await ledger.unclaimed() == [(8, '{"update_id": 8}')]
    await db.close()


def test_derived_keys_are_separate_per_purpose_and_survive_a_rotation() -> None:
    old_key, new_key = TokenCipher.generate_key(), TokenCipher.generate_key()
    before = TokenCipher([old_key])
    after = TokenCipher([new_key, old_key])
    assert before.derived_key("media-urls") != before.derived_key("other")
    assert len(before.derived_key("media-urls")) == 32
    assert after.derived_key("media-urls") != before.derived_key("media-urls")
    assert after.derived_keys("media-urls")[1] == before.derived_key("media-urls")


async def test_a_media_url_signed_before_a_key_rotation_still_serves(tmp_path: Path) -> None:
    old_key, new_key = TokenCipher.generate_key(), TokenCipher.generate_key()
    before = TokenCipher([old_key]).derived_keys("media-urls")
    signed_before = await MediaStore(tmp_path, before[0], "http://bot.test").publish(b"jpeg")
    newest, *older = TokenCipher([new_key, old_key]).derived_keys("media-urls")
    rotated = MediaStore(tmp_path, newest, "http://bot.test", older_keys=older)
    stranger = MediaStore(tmp_path, TokenCipher([new_key]).derived_key("media-urls"),
                          "http://bot.test")
    token = signed_before.rsplit("/", 1)[1]
    assert rotated.resolve(token) is not None
    assert stranger.resolve(token) is None


# ── What each backend must keep exactly ──────────────────────────────────────────────────────


@pytest.mark.both_databases
async def test_ids_beyond_32_bits_and_exact_coordinates_are_kept(
    empty_database: str | Path, tmp_path: Path
) -> None:
    """Telegram user ids pass 2**32 and supergroup chat ids are -100…: SQLite's INTEGER is 64
    bits, and so must PostgreSQL's column be; a REAL is a double on both."""
    seller, chat = 7_000_000_001, -1_001_234_567_890
    async with opened(empty_database) as db:
        assert await SellerRepository(db).touch(seller, "Ana", "ana", "en") is True
        assert (await SellerRepository(db).get(seller)).first_name == "Ana"
        drafts = DraftRepository(db, tmp_path / "drafts")
        await drafts.remember_location(seller, None, 47.6062095, -122.3320708)
        assert tuple(vars(await drafts.saved_location(seller)).values()) == (
            None, 47.6062095, -122.3320708)
        persistence = DatabasePersistence(db)
        await persistence.update_chat_data(chat, {"seen": True})
        await persistence.update_user_data(seller, {"post_step": 3})
    async with opened(empty_database) as db:
        persistence = DatabasePersistence(db)
        assert await persistence.get_chat_data() == {chat: {"seen": True}}
        assert await persistence.get_user_data() == {seller: {"post_step": 3}}


@pytest.mark.both_databases
async def test_copies_come_back_in_the_order_the_seller_chose(
    empty_database: str | Path, tmp_path: Path
) -> None:
    """Cross-posts and kits are listed in the order they were added (SQLite's rowid; a rowid
    column on PostgreSQL), not sorted by name."""
    async with opened(empty_database) as db:
        await SellerRepository(db).touch(501, "Ana", None, None)
        drafts = DraftRepository(db, tmp_path / "drafts")
        await drafts.start(501)
        await drafts.update(501, title="Lamp", price_cents=4000, condition="good",
                            marketplaces=["offerup", "mercari", "ebay", "depop", "facebook"])
        listings = ListingRepository(db, tmp_path / "listings")
        listing_id = await listings.create_from_draft(
            await drafts.get(501), "sku-501", assisted=("mercari", "depop"))
        posts = await listings.cross_posts(listing_id)
        assert [(p.marketplace, p.state) for p in posts] == [
            ("offerup", "pending"), ("ebay", "pending"), ("facebook", "pending")]
        kits = AssistedRepository(db)
        assert [c.marketplace for c in await kits.copies(listing_id)] == ["mercari", "depop"]
        assert await kits.last_chosen(501) == ["mercari", "depop"]
        assert await drafts.get(501) is None  # the draft became the listing


@pytest.mark.both_databases
async def test_tokens_are_stored_as_ciphertext_and_read_back(
    empty_database: str | Path,
) -> None:
    cipher = TokenCipher([TokenCipher.generate_key()])
    async with opened(empty_database) as db:
        await SellerRepository(db).touch(502, "Ana", None, None)
        accounts = AccountRepository(db, cipher)
        await accounts.save_connection(
            telegram_id=502, marketplace="ebay", external_id="ana-ebay", display_name="Ana",
            access_token="v^1.1#access-502", refresh_token="v^1.1#refresh-502",
            expires_at=None, refresh_expires_at=None, scope="sell", extra={"policy": "p1"})
        row = await db.fetchone(
            "SELECT access_token_enc, refresh_token_enc FROM marketplace_accounts")
        assert all(value.startswith("gAAAA") and "502" not in value for value in tuple(row))
        stored = await accounts.get(502, "ebay")
        assert (stored.access_token, stored.refresh_token, stored.extra) == (
            "v^1.1#access-502", "v^1.1#refresh-502", {"policy": "p1"})


@pytest.mark.both_databases
async def test_transactions_serialise_on_sqlite_and_run_side_by_side_on_postgresql(
    empty_database: str | Path, backend: str
) -> None:
    """SQLite's one connection makes a second transaction wait for the first; PostgreSQL gives
    each its own pooled connection, so it commits while the first is still open, and the first
    one's uncommitted row stays invisible to it."""
    async with opened(empty_database) as db:
        first_open, first_may_commit = asyncio.Event(), asyncio.Event()

        async def first() -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO sellers (telegram_id, first_name, created_at,"
                                 " last_seen_at) VALUES (1, 'Ana', 'now', 'now')")
                first_open.set()
                await first_may_commit.wait()

        async def second() -> int:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO sellers (telegram_id, first_name, created_at,"
                                 " last_seen_at) VALUES (2, 'Ben', 'now', 'now')")
                return len(await tx.fetchall("SELECT telegram_id FROM sellers"))

        holder = asyncio.create_task(first())
        await first_open.wait()
        other = asyncio.create_task(second())
        done, _ = await asyncio.wait({other}, timeout=1.0)
        if backend == "postgresql":
            assert done == {other} and other.result() == 1  # Ben's row only
        else:
            assert done == set()  # still waiting for the first transaction
        first_may_commit.set()
        await holder
        seen_by_second = await other
        assert seen_by_second == (1 if backend == "postgresql" else 2)
        rows = await db.fetchall("SELECT first_name FROM sellers ORDER BY telegram_id")
        assert [row[0] for row in rows] == ["Ana", "Ben"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_processes_starting_together_apply_each_migration_once(
    empty_database: str,
) -> None:
    """Replicas started at once against one server take turns under an advisory lock: all of
    them come up, and each migration is recorded once."""
    databases = await asyncio.gather(*(Database.open(empty_database) for _ in range(3)))
    try:
        rows = await databases[0].fetchall("SELECT version FROM schema_migrations")
        assert sorted(row[0] for row in rows) == [m.version for m in discover()]
    finally:
        for db in databases:
            await db.close()


async def test_an_unreachable_server_is_named_without_its_password(
    postgres_server: LocalPostgres,
) -> None:
    url = postgres_server.url().replace(f":{postgres_server.port}/", f":{free_port()}/")
    with pytest.raises(DatabaseUnavailable) as refused:
        await Database.open(url)
    message = str(refused.value)
    assert message.startswith("Cannot reach PostgreSQL at postgresql://deal_scout:***@127.0.0.1:")
    assert "connection refused" in message
    assert postgres_server.password not in message

    wrong = postgres_server.url().replace(postgres_server.password, "not-the-password")
    with pytest.raises(DatabaseUnavailable, match="refused the user name or password") as bad:
        await Database.open(wrong)
    assert "not-the-password" not in str(bad.value)


@pytest.mark.slow
def test_without_postgresql_its_tests_fail_saying_why(tmp_path: Path) -> None:
    """A machine without PostgreSQL must not pass the PostgreSQL tests by skipping them."""
    root = Path(__file__).parents[2]
    test = f"{Path(__file__).relative_to(root)}::test_foreign_keys_are_enforced[postgresql]"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:cacheprovider"],
        env={**os.environ, "PG_BINDIR": str(tmp_path)}, cwd=root, capture_output=True,
        text=True, timeout=120,
    )
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout and "skipped" not in result.stdout
    assert (f"PostgreSQL could not be started for the tests: PG_BINDIR ({tmp_path}) has no"
            " initdb and pg_ctl in it") in result.stdout


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_closing_does_not_wait_on_a_stuck_query(empty_database: str) -> None:
    """A stop ends a connection still busy after a while; its transaction never commits."""
    db = await Database.open(empty_database)
    db.close_timeout = 0.3
    inserted = asyncio.Event()

    async def stuck() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO sellers (telegram_id, first_name, created_at,"
                             " last_seen_at) VALUES (1, 'Ana', 'now', 'now')")
            inserted.set()
            await tx.execute("SELECT pg_sleep(30)")

    holder = asyncio.create_task(stuck())
    await inserted.wait()
    await asyncio.wait_for(db.close(), timeout=5)
    with pytest.raises(asyncpg.InterfaceError, match="connection is closed"):
        await holder  # the query was cut off with its connection
    async with opened(empty_database) as again:
        assert await again.fetchall("SELECT * FROM sellers") == []


async def test_migration_0013_keeps_a_stored_refusal_as_a_list_of_fields(tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for migration in discover():
        if migration.version < 13:
            (before / f"{migration.version:04d}_{migration.name}.sql").write_text(migration.sql)
    db = await Database.open(tmp_path / "bot.sqlite3", migrate=False)
    await db.migrate(before)
    now = "2025-05-02T10:00:00Z"
    await db.execute("INSERT INTO sellers (telegram_id, first_name, created_at, last_seen_at)"
                     " VALUES (1, 'Ana', ?, ?)", (now, now))
    await db.execute(
        "INSERT INTO listings (id, telegram_id, sku, title, price_cents, condition,"
        " progress_message_id, created_at, updated_at)"
        " VALUES (1, 1, 'SKU-1', 'Lamp', 2500, 'good', 7, ?, ?)", (now, now))
    for row in (("offerup", "failed", "title", now), ("ebay", "published", None, now)):
        await db.execute(
            "INSERT INTO cross_posts (listing_id, marketplace, state, error_field, updated_at)"
            " VALUES (1, ?, ?, ?, ?)", row)

    # 0013 and the later ones (photo order, the progress message's chat, the crash guard)
    # apply in order over it.
    assert [m.version for m in await db.migrate()] == [13, 14, 16, 18, 19]
    rows = await db.fetchall(
        "SELECT marketplace, error_fields, fixes, interrupted FROM cross_posts"
        " ORDER BY marketplace")
    assert [tuple(r) for r in rows] == [("ebay", None, "{}", 0), ("offerup", '["title"]', "{}", 0)]
    card = await db.fetchone("SELECT progress_chat_id, progress_message_id FROM listings")
    assert tuple(card) == (None, 7)  # a message id from before 0016 keeps no chat
    await db.close()


async def test_migration_0013_applies_after_the_later_ones(tmp_path: Path) -> None:
    """A database that already has 0014, 0016 and 0018 (from main) gets 0013 too."""
    before = tmp_path / "before"
    before.mkdir()
    for migration in discover():
        if migration.version != 13:
            (before / f"{migration.version:04d}_{migration.name}.sql").write_text(migration.sql)
    db = await Database.open(tmp_path / "bot.sqlite3", migrate=False)
    await db.migrate(before)

    assert [m.version for m in await db.migrate()] == [13]
    listings = ListingRepository(db, tmp_path / "photos")
    assert await listings.park_crash_loops() == []  # its columns (error_fields) are there
    await db.close()


async def test_a_fix_is_kept_for_its_copy_and_a_new_price_replaces_a_fixed_one(
    tmp_path: Path
) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    listings = ListingRepository(db, tmp_path / "photos")
    now = "2025-05-02T10:00:00Z"
    await db.execute("INSERT INTO sellers (telegram_id, first_name, created_at, last_seen_at)"
                     " VALUES (1, 'Ana', ?, ?)", (now, now))
    await db.execute(
        "INSERT INTO listings (id, telegram_id, sku, title, price_cents, condition, created_at,"
        " updated_at) VALUES (1, 1, 'SKU-1', 'Lamp', 2500, 'good', ?, ?)", (now, now))
    for marketplace in ("ebay", "offerup"):
        await db.execute("INSERT INTO cross_posts (listing_id, marketplace, updated_at)"
                         " VALUES (1, ?, ?)", (marketplace, now))
    await listings.mark(1, "offerup", "failed", error_kind="refused", error="No.",
                        error_fields=("title", "price", "photos"))

    assert await listings.fix_copy(1, "offerup", "title", "Brass lamp") == ("price", "photos")
    assert await listings.fix_copy(1, "offerup", "price", 3000) == ("photos",)
    copies = {c.marketplace: c for c in await listings.cross_posts(1)}
    assert copies["offerup"].fixes == {"title": "Brass lamp", "price_cents": 3000}
    assert copies["offerup"].error_fields == ("photos",)
    assert copies["ebay"].fixes == {}
    assert (await listings.get(1)).title == "Lamp"  # the listing keeps its own

    await listings.set_price(1, 4000)  # chosen for every copy: OfferUp's own price goes
    copies = {c.marketplace: c for c in await listings.cross_posts(1)}
    assert copies["offerup"].fixes == {"title": "Brass lamp"}
    assert (await listings.get(1)).price_cents == 4000
    await db.close()
