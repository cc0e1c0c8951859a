"""Sellers: the Telegram users who have talked to the bot."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.timeutil import SYSTEM_CLOCK, Clock


@dataclass(frozen=True)
class Seller:
    telegram_id: int
    first_name: str
    username: str | None
    language_code: str | None
    created_at: str
    last_seen_at: str


class SellerRepository:
    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._clock = clock
        self._seen: set[int] = set()

    async def touch_once(
        self,
        telegram_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
    ) -> None:
        """`touch`, but only the first time this process sees the seller."""
        if telegram_id in self._seen:
            return
        await self.touch(telegram_id, first_name, username, language_code)
        self._seen.add(telegram_id)

    async def touch(
        self,
        telegram_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
    ) -> bool:
        """Create the seller or refresh their name and last-seen time; True when new."""
        now = self._clock.now_db()
        async with self._db.transaction() as tx:
            existed = await tx.fetchone(
                "SELECT 1 FROM sellers WHERE telegram_id = ?", (telegram_id,)
            )
            await tx.execute(
                "INSERT INTO sellers (telegram_id, first_name, username, language_code,"
                " created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (telegram_id) DO UPDATE SET first_name = excluded.first_name,"
                " username = excluded.username, language_code = excluded.language_code,"
                " last_seen_at = excluded.last_seen_at",
                (telegram_id, first_name, username, language_code, now, now),
            )
        return existed is None

    async def get(self, telegram_id: int) -> Seller | None:
        row = await self._db.fetchone(
            "SELECT telegram_id, first_name, username, language_code, created_at, last_seen_at"
            " FROM sellers WHERE telegram_id = ?",
            (telegram_id,),
        )
        return Seller(**dict(row)) if row else None
