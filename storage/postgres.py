"""The server backend: PostgreSQL through an asyncpg connection pool.

Each transaction takes a pooled connection of its own, so transactions run side by side (there
is no lock of ours, unlike SQLite's single connection) and several bot processes can share the
server. Statements arrive in SQLite's SQL and are translated once each (storage/dialects.py);
asyncpg then keeps them prepared per connection. Isolation is PostgreSQL's default, READ
COMMITTED: every claim the repositories make is one statement (INSERT … ON CONFLICT, UPDATE …
WHERE still-unclaimed, DELETE … RETURNING), which is atomic at that level.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import ClassVar

import asyncpg

from storage.database_url import PostgresUrl
from storage.db import Database, DatabaseUnavailable, Params, Row, Transaction
from storage.dialects import UnportableSQL, postgres_schema, postgres_statement
from storage.migrations import MIGRATIONS_DIR, Migration, discover, failed

log = logging.getLogger(__name__)

POOL_SIZE = 10
# Connections that only hold advisory locks (a seller's turn, the polling leader) live in a pool
# of their own: a seller waiting for its turn must never take a connection the work needs.
LOCK_POOL_SIZE = 32
CONNECT_TIMEOUT_SECONDS = 10.0
CLOSE_TIMEOUT_SECONDS = 10.0
# Any fixed number: bot processes starting together take turns applying migrations under it.
MIGRATION_LOCK = 0x6465616C73636F  # "dealsco"
_SCHEMA_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL"
    " DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')))"
)
# InternalClientError: a connection the server just dropped can be handed out before asyncpg
# has noticed, and then fails with it.
DRIVER_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                 asyncpg.InternalClientError)
REFUSED_LOGIN = (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)


def rowcount(status: str) -> int:
    """Rows a statement changed, from its command tag ("UPDATE 3", "INSERT 0 1", "CREATE …")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTransaction(Transaction):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return rowcount(await self._conn.execute(postgres_statement(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        batch = [tuple(row) for row in rows]
        if batch:
            await self._conn.executemany(postgres_statement(sql), batch)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._conn.fetchrow(postgres_statement(sql), *params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.fetch(postgres_statement(sql), *params))


class PostgresDatabase(Database):
    dialect = "postgresql"
    unavailable_errors: ClassVar[tuple[type[BaseException], ...]] = DRIVER_ERRORS

    def __init__(self, pool: asyncpg.Pool, url: PostgresUrl) -> None:
        super().__init__()
        self._pool = pool
        self.url = url
        self.close_timeout = CLOSE_TIMEOUT_SECONDS
        self._lock_pool: asyncpg.Pool | None = None
        self._lock_pool_made = asyncio.Lock()

    @classmethod
    async def connect(
        cls, url: str, *, migrate: bool = True, pool_size: int = POOL_SIZE
    ) -> PostgresDatabase:
        """Open a pool (one connection at once, more as transactions need them) and apply
        pending migrations; `DatabaseUnavailable` when the server cannot be reached."""
        parsed = PostgresUrl.parse(url)
        try:
            pool = await asyncpg.create_pool(
                parsed.url, min_size=1, max_size=pool_size, timeout=CONNECT_TIMEOUT_SECONDS,
                server_settings=_application_name(parsed),
            )
        except DRIVER_ERRORS as exc:
            raise DatabaseUnavailable(
                f"Cannot reach PostgreSQL at {parsed.redacted}: {why(exc, parsed)}"
            ) from None
        db = cls(pool, parsed)
        if migrate:
            try:
                await db.migrate()
            except BaseException:
                await pool.close()
                raise
        return db

    @property
    def location(self) -> str:
        return self.url.redacted

    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
        async with self._pool.acquire() as conn:
            return await _apply_migrations(conn, directory)

    async def server_version(self) -> str:
        version = await self._pool.fetchval("SHOW server_version")
        return f"PostgreSQL {version.split()[0]}"

    async def close(self) -> None:
        """Close every connection once it is back in the pool; after `close_timeout`, end the
        ones still busy (a stop must not wait on a stuck query)."""
        pools = [self._pool] + ([self._lock_pool] if self._lock_pool is not None else [])
        for pool in pools:
            try:
                async with asyncio.timeout(self.close_timeout):
                    await pool.close()
            except TimeoutError:
                log.warning("database connections still busy %g s into the stop; ended them",
                            self.close_timeout)
                pool.terminate()

    @asynccontextmanager
    async def advisory_lock(self, key: int) -> AsyncIterator[None]:
        """Hold the session advisory lock `key` for the block, waiting for it in the server.

        It lives on a connection, so a replica that dies releases it with its connection;
        asyncpg's reset on release unlocks whatever a cancelled block left held."""
        async with (await self._locks()).acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", key)
            try:
                yield
            finally:
                # A connection that is gone took its lock with it: nothing left to unlock.
                with contextlib.suppress(*DRIVER_ERRORS):
                    await conn.execute("SELECT pg_advisory_unlock($1)", key)

    async def try_hold_lock(self, key: int) -> asyncpg.Connection | None:
        """A connection of its own holding the advisory lock `key`, or None when another
        session holds it. Closing the connection (or the process dying) lets the lock go."""
        conn = await connect_once(self.url)
        try:
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                return conn
        except BaseException:
            await conn.close()
            raise
        await conn.close()
        return None

    async def _locks(self) -> asyncpg.Pool:
        async with self._lock_pool_made:  # two sellers' first turns must not make two pools
            if self._lock_pool is None:
                self._lock_pool = await asyncpg.create_pool(
                    self.url.url, min_size=0, max_size=LOCK_POOL_SIZE,
                    timeout=CONNECT_TIMEOUT_SECONDS, server_settings=_application_name(self.url),
                )
        return self._lock_pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A pooled connection for the block, in BEGIN … COMMIT (ROLLBACK if it raises)."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield PostgresTransaction(conn)

    async def execute(self, sql: str, params: Params = ()) -> int:
        return rowcount(await self._pool.execute(postgres_statement(sql), *params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._pool.fetchrow(postgres_statement(sql), *params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._pool.fetch(postgres_statement(sql), *params))

    async def fetchone_write(self, sql: str, params: Params = ()) -> Row | None:
        # One statement outside a transaction block commits on its own: no BEGIN needed.
        return await self.fetchone(sql, params)


async def connect_once(url: PostgresUrl) -> asyncpg.Connection:
    """One connection outside the pool (for setting up a schema, say); `DatabaseUnavailable`
    when the server cannot be reached."""
    try:
        return await asyncpg.connect(url.url, timeout=CONNECT_TIMEOUT_SECONDS)
    except DRIVER_ERRORS as exc:
        raise DatabaseUnavailable(
            f"Cannot reach PostgreSQL at {url.redacted}: {why(exc, url)}"
        ) from None


async def _apply_migrations(conn: asyncpg.Connection, directory: Path) -> list[Migration]:
    """Apply every migration not yet recorded, each in its own transaction; return those
    applied. Processes starting together take turns under an advisory lock, so the second
    finds the work done instead of racing the first."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(_SCHEMA_MIGRATIONS)
        done = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for migration in discover(directory):
            if migration.version in done:
                continue
            try:
                async with conn.transaction():
                    # No parameters: the simple protocol, which runs several statements.
                    await conn.execute(postgres_schema(migration.sql))
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        migration.version, migration.name,
                    )
            except (asyncpg.PostgresError, UnportableSQL) as exc:
                raise failed(migration, exc) from exc
            log.info("applied migration %04d_%s", migration.version, migration.name)
            applied.append(migration)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


def _application_name(url: PostgresUrl) -> dict[str, str]:
    """Name our sessions in pg_stat_activity, unless the URL names them itself."""
    return {} if "application_name=" in url.url else {"application_name": "deal-scout"}


def why(exc: BaseException, url: PostgresUrl) -> str:
    """What went wrong reaching the server, in words an operator acts on, password masked."""
    # asyncpg tries each address a name resolves to and may raise them together as one OSError.
    if isinstance(exc, ConnectionRefusedError) or "Connect call failed" in str(exc):
        return "nothing answers there (connection refused): is the server running, and are " \
               "the host and port right?"
    if isinstance(exc, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT_SECONDS:g} s"
    if isinstance(exc, REFUSED_LOGIN):
        return f"the server refused the user name or password ({url.hide_password(str(exc))})"
    return url.hide_password(f"{type(exc).__name__}: {exc}")
