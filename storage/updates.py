"""The ledger of Telegram updates taken on, so a redelivered update is handled once."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from storage.timeutil import now_db, to_db, utcnow


class UpdateLedger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, update_id: int, user_id: int | None) -> bool:
        """Record the update; False when it was already recorded (a duplicate delivery).

        The claim is made before the update is handled: a crash mid-handling then means the
        seller sends the message again, never that they are answered twice.
        """
        changed = await self._db.execute(
            "INSERT INTO processed_updates (update_id, user_id, received_at) VALUES (?, ?, ?)"
            " ON CONFLICT (update_id) DO NOTHING",
            (update_id, user_id, now_db()),
        )
        return changed == 1

    async def purge_older_than(self, age: timedelta) -> int:
        """Forget old entries; Telegram never redelivers an update after a day."""
        return await self._db.execute(
            "DELETE FROM processed_updates WHERE received_at < ?", (to_db(utcnow() - age),)
        )
