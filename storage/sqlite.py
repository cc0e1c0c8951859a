"""The embedded backend: one aiosqlite connection per process, in WAL mode, every statement
serialised.

SQLite has a single writer anyway; serialising on our side means a transaction opened by one
coroutine can never swallow a statement issued by another while it awaits.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import ClassVar

import aiosqlite

from storage.db import Database, DatabaseUnavailable, Params, Row, Transaction
from storage.migrations import MIGRATIONS_DIR, Migration, discover, failed

log = logging.getLogger(__name__)

_SCHEMA_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
)


class SQLiteTransaction(Transaction):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        try:
            return cursor.rowcount
        finally:
            await cursor.close()

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row, in one trip to the connection's thread (execute, fetch and close as
        three trips cost a third of an update's time under load: bench/README.md)."""
        return list(await self._conn.execute_fetchall(sql, params))


class SQLiteDatabase(Database):
    dialect = "sqlite"
    unavailable_errors: ClassVar[tuple[type[BaseException], ...]] = (aiosqlite.Error,)

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        super().__init__()
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path
        self._writer_lock: int | None = None  # the open lock file while this process is it
        self._writer_claimed = False

    def claim_sole_writer(self) -> bool:
        """Take the database's writer lock (an exclusive lock on `<file>.writer`, released
        when the database is closed or the process dies); False when another process holds
        it (a second bot on the same file, or one still shutting down) or this one already
        gave it out."""
        if self._writer_claimed:
            return False
        if str(self.path) != ":memory:":
            descriptor = os.open(f"{self.path}.writer", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(descriptor)
                return False
            self._writer_lock = descriptor
        self._writer_claimed = True
        return True

    @classmethod
    async def connect(cls, path: Path, *, migrate: bool = True) -> SQLiteDatabase:
        """Connect (creating the file and its folder), set the pragmas and apply migrations."""
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseUnavailable(f"Cannot open the SQLite database at {path}: {exc}") from exc
        conn.row_factory = aiosqlite.Row
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA busy_timeout=5000")
            if migrate:
                await _apply_migrations(conn, MIGRATIONS_DIR)
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise DatabaseUnavailable(f"Cannot use the SQLite database at {path}: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    @property
    def location(self) -> str:
        return str(self.path)

    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
        async with self._lock:
            return await _apply_migrations(self._conn, directory)

    async def server_version(self) -> str:
        row = await self.fetchone("SELECT sqlite_version()")
        return f"SQLite {row[0]}"

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()
        if self._writer_lock is not None:
            os.close(self._writer_lock)  # and with it the lock
            self._writer_lock = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE … COMMIT, rolled back whole if the block raises."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield SQLiteTransaction(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._lock:
            return await SQLiteTransaction(self._conn).execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._lock:
            return await SQLiteTransaction(self._conn).fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            return await SQLiteTransaction(self._conn).fetchall(sql, params)


async def _apply_migrations(conn: aiosqlite.Connection, directory: Path) -> list[Migration]:
    """Apply every migration not yet recorded; return the ones applied this time."""
    await conn.execute(_SCHEMA_MIGRATIONS)
    async with conn.execute("SELECT version FROM schema_migrations") as cursor:
        done = {row[0] for row in await cursor.fetchall()}
    applied = []
    for migration in discover(directory):
        if migration.version in done:
            continue
        # executescript runs statement by statement inside our explicit transaction, so a
        # failure part-way leaves the transaction open and the ROLLBACK undoes all of it.
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{migration.sql}\n;\n"
            f"INSERT INTO schema_migrations (version, name) "
            f"VALUES ({migration.version}, '{migration.name}');\n"
            "COMMIT;"
        )
        try:
            await conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise failed(migration, exc) from exc
        log.info("applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration)
    return applied
