"""One aiosqlite connection per process, in WAL mode, with every statement serialised.

SQLite has a single writer anyway; serialising on our side means a transaction opened by one
coroutine can never swallow a statement issued by another while it awaits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import MIGRATIONS_DIR, Migration, apply_migrations

log = logging.getLogger(__name__)

PING_TIMEOUT_SECONDS = 2.0

Params = Sequence[Any] | dict[str, Any]


class Transaction:
    """The handle a `Database.transaction()` block receives; valid only inside that block."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        cursor = await self._conn.execute(sql, params)
        try:
            return cursor.rowcount
        finally:
            await cursor.close()

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Every row, in one trip to the connection's thread (execute, fetch and close as
        three trips cost a third of an update's time under load: bench/README.md)."""
        return list(await self._conn.execute_fetchall(sql, params))


class Database:
    """The process's database: open it once at start, share it, close it at exit."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path
        self.ping_timeout = PING_TIMEOUT_SECONDS

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Database:
        """Connect (creating the file and its folder), set the pragmas and apply migrations."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA busy_timeout=5000")
            if migrate:
                await apply_migrations(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
        """Apply pending migrations; return those applied (none when up to date)."""
        async with self._lock:
            return await apply_migrations(self._conn, directory)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE … COMMIT, rolled back whole if the block raises."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement, atomic on its own (autocommit); return the rows it changed."""
        async with self._lock:
            return await Transaction(self._conn).execute(sql, params)

    async def fetchone_write(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """A writing statement with RETURNING, committed before the row is handed back."""
        async with self.transaction() as tx:
            return await tx.fetchone(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._lock:
            return await Transaction(self._conn).fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return await Transaction(self._conn).fetchall(sql, params)

    async def ping(self) -> bool:
        """True when a trivial query answers in time: what /healthz reports as `db`."""
        try:
            async with asyncio.timeout(self.ping_timeout):
                row = await self.fetchone("SELECT 1")
        except (TimeoutError, ValueError, aiosqlite.Error) as exc:
            log.warning("database ping failed: %s", type(exc).__name__)
            return False
        return row is not None and row[0] == 1
