"""Storage: migrations that apply once and roll back whole, tokens encrypted at rest, and the
update ledger."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from marketplaces.media import MediaStore
from storage.crypto import InvalidKeyError, TokenCipher, TokenDecryptionError
from storage.db import Database
from storage.listings import ListingRepository
from storage.migrations import MigrationError, discover
from storage.updates import UpdateLedger
from tests.helpers import MovableClock


async def schema_of(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetchall("SELECT name, sql FROM sqlite_master ORDER BY name")
    return [(row["name"], row["sql"]) for row in rows]


async def test_migrations_applied_twice_change_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    first_schema = await schema_of(db)
    versions = await db.fetchall("SELECT version, applied_at FROM schema_migrations")
    assert await db.migrate() == []
    await db.close()

    db = await Database.open(path)
    assert await schema_of(db) == first_schema
    again = await db.fetchall("SELECT version, applied_at FROM schema_migrations")
    assert [tuple(r) for r in again] == [tuple(r) for r in versions]
    assert [r["version"] for r in again] == [m.version for m in discover()]
    await db.close()


async def test_database_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
    assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
    await db.close()


async def test_ping_reports_a_closed_database_as_down(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    assert await db.ping() is True
    await db.close()
    assert await db.ping() is False


async def test_failed_migration_rolls_back_whole(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_first.sql").write_text("CREATE TABLE kept (id INTEGER PRIMARY KEY);")
    (migrations / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO kept (id) VALUES (1);\n"
        "INSERT INTO no_such_table VALUES (1);\n"
    )
    db = await Database.open(tmp_path / "bot.sqlite3", migrate=False)
    with pytest.raises(MigrationError, match="0002_broken failed and was rolled back"):
        await db.migrate(migrations)

    tables = {name for name, _ in await schema_of(db)}
    assert "kept" in tables
    assert "half_done" not in tables
    assert await db.fetchall("SELECT * FROM kept") == []
    recorded = await db.fetchall("SELECT version FROM schema_migrations")
    assert [row["version"] for row in recorded] == [1]
    # The database is still usable and a fixed migration then applies.
    (migrations / "0002_broken.sql").write_text("CREATE TABLE half_done (id INTEGER);")
    assert [m.version for m in await db.migrate(migrations)] == [2]
    await db.close()


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    with pytest.raises(sqlite3.IntegrityError):
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


async def test_the_update_ledger_keeps_an_update_until_it_is_claimed_once(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
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
    assert [m.version for m in await db.migrate()] == [13, 14, 16, 18]
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
