"""How replicas sharing one database keep out of each other's way, and the same calls for one
process on SQLite, where they cost nothing.

- A seller's turn: one replica at a time handles a seller's updates (PostgreSQL's advisory
  lock keyed by the seller, held on a connection, so a dead replica's turn ends with it).
- Leases on shared jobs: a publish or a periodic check is done by the one replica holding its
  lease (storage/leases.py); a killed replica's lease expires and another takes the job.
- The polling leader: one replica holds a lock on a connection of its own and polls Telegram.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from storage.db import Database
from storage.leases import LeaseRepository
from storage.timeutil import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from storage.postgres import PostgresDatabase

log = logging.getLogger(__name__)

# Advisory lock keys are 64-bit; Telegram ids stay below 2^53, so this one is never a seller's.
LEADER_LOCK_KEY = 2**62 + 15


class Coordination:
    """One process alone on its database: its own locks suffice and every job is its own."""

    shared = False

    def __init__(self) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    def seller_turn(self, seller: int) -> AbstractAsyncContextManager[None]:
        """Held while one of the seller's updates is handled (the process's own per-seller
        lock already orders them)."""
        return contextlib.nullcontext()

    async def claim(self, name: str, ttl: timedelta) -> bool:
        """Take (or renew) the job `name` for `ttl`; always ours when we are alone."""
        return True

    async def release(self, name: str) -> None:
        """The job is done: another replica may take it at once."""

    async def try_lead(self) -> bool:
        """Become the replica that polls Telegram; alone, we are it."""
        return True

    async def resign(self) -> None:
        """Stop leading (at stop)."""


class SharedCoordination(Coordination):
    """Several replicas on one PostgreSQL database."""

    shared = True

    def __init__(self, db: PostgresDatabase, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__()
        self._db = db
        self._leases = LeaseRepository(db, clock)
        self._leader: Any = None  # the connection holding the leader lock

    def seller_turn(self, seller: int) -> AbstractAsyncContextManager[None]:
        return self._db.advisory_lock(seller)

    async def claim(self, name: str, ttl: timedelta) -> bool:
        return await self._leases.claim(name, self.holder, ttl)

    async def release(self, name: str) -> None:
        await self._leases.release(name, self.holder)

    async def try_lead(self) -> bool:
        if self._leader is not None and not self._leader.is_closed():
            return True
        self._leader = await self._db.try_hold_lock(LEADER_LOCK_KEY)
        if self._leader is not None:
            log.info("this replica (%s) polls Telegram for all of them", self.holder)
        return self._leader is not None

    async def resign(self) -> None:
        if self._leader is not None:
            with contextlib.suppress(Exception):
                await self._leader.close()
            self._leader = None


def coordination_for(db: Database, clock: Clock = SYSTEM_CLOCK) -> Coordination:
    """Shared coordination on PostgreSQL (any number of replicas); none needed on SQLite."""
    if db.dialect == "postgresql":
        return SharedCoordination(db, clock)  # type: ignore[arg-type]
    return Coordination()
