"""The database the repositories talk to: SQLite (embedded, the default) or PostgreSQL (when
`DATABASE_URL` names one), behind one small interface of plain SQL and transactions.

Repositories write SQLite's SQL with `?` placeholders; the PostgreSQL backend translates it
(storage/dialects.py). A transaction is the unit of atomicity on both: on SQLite it holds the
one connection, serialised (SQLite has a single writer anyway, and a transaction opened by one
coroutine must not swallow a statement issued by another while it awaits); on PostgreSQL it
takes a pooled connection of its own, so transactions run side by side and the server keeps
them apart. Nothing above this module knows which one it is talking to.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar, Protocol

from storage.database_url import is_postgres_url
from storage.migrations import MIGRATIONS_DIR, Migration

log = logging.getLogger(__name__)

PING_TIMEOUT_SECONDS = 2.0

Params = Sequence[Any]


class Row(Protocol):
    """A result row, read by column name or position (sqlite3.Row and asyncpg.Record both)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened or reached. The message says where, never with a
    password, and why, in the driver's words."""


class Transaction(ABC):
    """The handle a `Database.transaction()` block receives; valid only inside that block."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement once per row of parameters."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...


class Database(ABC):
    """The process's database: open it once at start, share it, close it at exit."""

    dialect: ClassVar[str]  # "sqlite" or "postgresql"
    # What the driver raises when the database is gone; ping() reports those as down.
    unavailable_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self) -> None:
        self.ping_timeout = PING_TIMEOUT_SECONDS

    def claim_sole_writer(self) -> bool:
        """Whether the caller is now sure to be the only one writing this database until it is
        closed (no other process, and no earlier caller in this one); only then may it keep
        rows between reads (storage/scope.py)."""
        return False

    @classmethod
    async def open(cls, location: str | Path, *, migrate: bool = True) -> Database:
        """Open the database at `location` (a SQLite file, or a postgresql:// URL) and apply
        pending migrations; `DatabaseUnavailable` when it cannot be opened or reached."""
        if is_postgres_url(location):
            from storage.postgres import PostgresDatabase  # asyncpg only when it is used

            return await PostgresDatabase.connect(str(location), migrate=migrate)
        from storage.sqlite import SQLiteDatabase

        return await SQLiteDatabase.connect(Path(location), migrate=migrate)

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the database is, fit to print: a file path, or a URL without its password."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """BEGIN … COMMIT, rolled back whole if the block raises."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement, atomic on its own (autocommit); return the rows it changed."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
        """Apply pending migrations; return those applied (none when up to date)."""

    @abstractmethod
    async def server_version(self) -> str:
        """The engine and its version, e.g. "PostgreSQL 15.18": what `check` reports."""

    @abstractmethod
    async def close(self) -> None: ...

    async def fetchone_write(self, sql: str, params: Params = ()) -> Row | None:
        """A writing statement with RETURNING, committed before the row is handed back."""
        async with self.transaction() as tx:
            return await tx.fetchone(sql, params)

    async def ping(self) -> bool:
        """True when a trivial query answers in time: what /healthz reports as `db`."""
        try:
            async with asyncio.timeout(self.ping_timeout):
                row = await self.fetchone("SELECT 1")
        except (TimeoutError, ValueError, *self.unavailable_errors) as exc:
            log.warning("database ping failed: %s", type(exc).__name__)
            return False
        return row is not None and row[0] == 1


@asynccontextmanager
async def opened(location: str | Path, *, migrate: bool = True) -> AsyncIterator[Database]:
    """`Database.open`, closed again when the block ends."""
    db = await Database.open(location, migrate=migrate)
    try:
        yield db
    finally:
        await db.close()
