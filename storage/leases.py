"""Leases on shared work: a named job is held by one replica until its lease expires, so a job
is done by exactly one replica and a replica killed mid-work hands it on by going silent."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from storage.timeutil import SYSTEM_CLOCK, Clock, to_db


class LeaseRepository:
    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._clock = clock

    async def claim(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew the lease on `name` for `ttl`; False while another holder's lease runs.

        One statement, so two replicas claiming at once cannot both win: the row's conflict
        decides, and the WHERE lets only an expired lease or its own holder through."""
        now = self._clock.now()
        changed = await self._db.execute(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at"
            " WHERE job_leases.expires_at < ? OR job_leases.holder = excluded.holder",
            (name, holder, to_db(now + ttl), to_db(now)),
        )
        return changed == 1

    async def release(self, name: str, holder: str) -> None:
        """Give the lease up at once (the job is done); another holder's lease stays."""
        await self._db.execute(
            "DELETE FROM job_leases WHERE name = ? AND holder = ?", (name, holder)
        )

    async def holder(self, name: str) -> str | None:
        """Who holds `name` now (expired or not): what tests and operators look at."""
        row = await self._db.fetchone("SELECT holder FROM job_leases WHERE name = ?", (name,))
        return row["holder"] if row else None
