"""The ledger of Telegram updates: an inbox written before an update is queued, and the claim
made before it is handled, so an update is neither lost to a crash nor handled twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from storage.db import Database
from storage.timeutil import SYSTEM_CLOCK, Clock, to_db


class UpdateLedger:
    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._clock = clock

    async def record(self, updates: Sequence[tuple[int, int | None, str]]) -> None:
        """Keep received updates — (update id, user id, JSON) — until they are claimed, in one
        transaction; a second delivery of the same update changes nothing."""
        now = self._clock.now_db()
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO processed_updates (update_id, user_id, received_at, payload)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (update_id) DO NOTHING",
                [(update_id, user_id, now, payload) for update_id, user_id, payload in updates],
            )

    async def claim(self, update_id: int, user_id: int | None) -> bool:
        """Take the update on; False when it was claimed before (a duplicate delivery).

        The claim is made before the update is handled: a crash mid-handling then means the
        seller sends the message again, never that they are answered twice."""
        return update_id in await self.claim_many([(update_id, user_id)])

    async def claim_many(self, claims: Sequence[tuple[int, int | None]]) -> set[int]:
        """`claim` for several updates — (update id, user id) — in one statement, committed
        before it returns; the ids taken on now (not those claimed before)."""
        unique = dict(claims)  # one row per update: PostgreSQL refuses to touch one twice
        if not unique:
            return set()
        now = self._clock.now_db()
        values = ", ".join(["(?, ?, ?, ?)"] * len(unique))
        taken = await self._db.fetchall(  # RETURNING: the answer and the commit in one trip
            "INSERT INTO processed_updates (update_id, user_id, received_at, claimed_at)"
            f" VALUES {values} ON CONFLICT (update_id) DO UPDATE"
            " SET claimed_at = excluded.claimed_at, payload = NULL"
            " WHERE processed_updates.claimed_at IS NULL RETURNING update_id",
            [value for update_id, user in unique.items() for value in (update_id, user, now, now)],
        )
        return {row["update_id"] for row in taken}

    async def unclaimed(self) -> list[tuple[int, str]]:
        """(update id, payload) of updates received but never taken on (the bot died in
        between), oldest first: what a restart must handle before anything new."""
        rows = await self._db.fetchall(
            "SELECT update_id, payload FROM processed_updates WHERE claimed_at IS NULL"
            " AND payload IS NOT NULL ORDER BY update_id"
        )
        return [(row["update_id"], row["payload"]) for row in rows]

    async def unclaimed_of(self, user_id: int, *, before: int) -> list[tuple[int, str]]:
        """The user's updates older than `before` that no replica has taken on, oldest first:
        what must be handled before `before` is."""
        rows = await self._db.fetchall(
            "SELECT update_id, payload FROM processed_updates WHERE user_id = ?"
            " AND update_id < ? AND claimed_at IS NULL AND payload IS NOT NULL"
            " ORDER BY update_id",
            (user_id, before),
        )
        return [(row["update_id"], row["payload"]) for row in rows]

    async def unclaimed_since(self, received_before: datetime) -> list[tuple[int, str]]:
        """Unclaimed updates received before the given moment, oldest first: the ones whose
        replica died or is slow, for any replica to take on."""
        rows = await self._db.fetchall(
            "SELECT update_id, payload FROM processed_updates WHERE claimed_at IS NULL"
            " AND payload IS NOT NULL AND received_at < ? ORDER BY update_id",
            (to_db(received_before),),
        )
        return [(row["update_id"], row["payload"]) for row in rows]

    async def purge_older_than(self, age: timedelta) -> int:
        """Forget old entries that were taken on; Telegram never redelivers an update after a
        day. An unclaimed one stays until a start hands it to the bot, however old."""
        return await self._db.execute(
            "DELETE FROM processed_updates WHERE received_at < ? AND claimed_at IS NOT NULL",
            (to_db(self._clock.now() - age),),
        )
