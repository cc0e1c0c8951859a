"""Copies the seller posts by hand (marketplaces without a listing API) and the reminders that
keep them in step: each copy's kit, the link the seller pasted, and what the seller still has
to do there (end it, change its price) until they say it is done."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database, Row
from storage.scope import ReadCache
from storage.timeutil import SYSTEM_CLOCK, Clock, to_db

PENDING = "pending"  # chosen; its kit not sent yet
KIT_SENT = "kit_sent"  # the kit is in the chat; waiting for the seller's link
TRACKED = "tracked"  # the seller pasted its link
SKIPPED = "skipped"
ENDED = "ended"  # the seller confirmed they ended it
ENDING = frozenset({"sold", "ended", "withdrawn"})  # reasons that end a copy once done
# After the first reminder: 15 minutes, 2 hours, then every 12 hours until Done.
REPEATS = (timedelta(minutes=15), timedelta(hours=2), timedelta(hours=12))


@dataclass(frozen=True)
class AssistedCopy:
    listing_id: int
    marketplace: str
    state: str
    url: str | None
    card_message_id: int | None
    telegram_id: int
    title: str


@dataclass(frozen=True)
class Reminder:
    id: int
    listing_id: int
    marketplace: str
    reason: str  # kit, sold, ended, withdrawn, price
    sold_on: str | None
    price_cents: int | None
    times_sent: int
    done: bool
    telegram_id: int
    title: str
    url: str | None  # the copy's link, once the seller pasted it


def next_due(times_sent: int, now: datetime) -> datetime:
    """When a reminder sent `times_sent` times comes again."""
    return now + REPEATS[min(times_sent, len(REPEATS)) - 1]


_COPY = (
    "SELECT a.listing_id, a.marketplace, a.state, a.url, a.card_message_id, l.telegram_id,"
    " l.title FROM assisted_copies a JOIN listings l ON l.id = a.listing_id"
)
_REMINDER = (
    "SELECT r.id, r.listing_id, r.marketplace, r.reason, r.sold_on, r.price_cents,"
    " r.times_sent, r.done_at IS NOT NULL AS done, l.telegram_id, l.title, a.url"
    " FROM reminders r JOIN listings l ON l.id = r.listing_id"
    " LEFT JOIN assisted_copies a ON a.listing_id = r.listing_id"
    " AND a.marketplace = r.marketplace"
)


class AssistedRepository:
    def __init__(
        self, db: Database, clock: Clock = SYSTEM_CLOCK, cache: ReadCache | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._cache = cache or ReadCache()

    # ── Copies ──

    async def copies(self, listing_id: int) -> list[AssistedCopy]:
        rows = await self._db.fetchall(
            f"{_COPY} WHERE a.listing_id = ? ORDER BY a.rowid", (listing_id,)
        )
        return [_copy(row) for row in rows]

    async def copy(self, listing_id: int, marketplace: str) -> AssistedCopy | None:
        row = await self._db.fetchone(
            f"{_COPY} WHERE a.listing_id = ? AND a.marketplace = ?", (listing_id, marketplace)
        )
        return _copy(row) if row else None

    async def awaiting_link(self, telegram_id: int) -> list[AssistedCopy]:
        """The seller's copies whose kit is out and whose link is not in, newest first."""
        rows = await self._db.fetchall(
            f"{_COPY} WHERE l.telegram_id = ? AND a.state = ?"
            " ORDER BY a.listing_id DESC, a.rowid",
            (telegram_id, KIT_SENT),
        )
        return [_copy(row) for row in rows]

    async def unsent_kits(self) -> list[int]:
        """Listings with a kit chosen but not sent: a crash came between Post and the kit."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT listing_id FROM assisted_copies WHERE state = ?", (PENDING,)
        )
        return [row[0] for row in rows]

    async def last_chosen(self, telegram_id: int) -> list[str]:
        """The kits the seller chose for their latest listing: offered again for the next
        (read once per update: storage/scope.py)."""
        async def read() -> tuple[str, ...]:
            rows = await self._db.fetchall(
                "SELECT marketplace FROM assisted_copies WHERE listing_id = ("
                " SELECT MAX(a.listing_id) FROM assisted_copies a"
                " JOIN listings l ON l.id = a.listing_id WHERE l.telegram_id = ?)"
                " ORDER BY rowid",
                (telegram_id,),
            )
            return tuple(row[0] for row in rows)

        return list(await self._cache.read(("last_kits", telegram_id), read))

    async def mark(
        self, listing_id: int, marketplace: str, state: str, *, url: str | None = None,
        card_message_id: int | None = None, only_from: Iterable[str] | None = None,
    ) -> bool:
        """Move a copy to `state` (from one of `only_from`, when given); True when it moved."""
        sql = ("UPDATE assisted_copies SET state = ?, url = COALESCE(?, url),"
               " card_message_id = COALESCE(?, card_message_id), updated_at = ?"
               " WHERE listing_id = ? AND marketplace = ?")
        params: list[object] = [state, url, card_message_id, self._clock.now_db(), listing_id,
                                marketplace]
        if only_from is not None:
            states = list(only_from)
            sql += f" AND state IN ({', '.join('?' * len(states))})"
            params += states
        return await self._db.execute(sql, tuple(params)) == 1

    # ── Reminders ──

    async def remind(
        self, listing_id: int, reason: str, *, marketplaces: Iterable[str] | None = None,
        sold_on: str | None = None, price_cents: int | None = None,
        states: Iterable[str] = (TRACKED, KIT_SENT), due: datetime | None = None,
    ) -> int:
        """A reminder for each of the listing's copies in `states` (and in `marketplaces`,
        when given), due at once unless `due`: by default every copy the seller posted or may
        have posted without pasting its link. It replaces the copy's open reminders: what the
        seller has to do there now is the newest thing. Returns how many were made."""
        copies = [c for c in await self.copies(listing_id)
                  if c.state in set(states) and (marketplaces is None or
                                                 c.marketplace in set(marketplaces))]
        now = self._clock.now()
        async with self._db.transaction() as tx:
            for copy in copies:
                await tx.execute(
                    "UPDATE reminders SET done_at = ? WHERE listing_id = ? AND marketplace = ?"
                    " AND done_at IS NULL",
                    (to_db(now), listing_id, copy.marketplace),
                )
                await tx.execute(
                    "INSERT INTO reminders (listing_id, marketplace, reason, sold_on,"
                    " price_cents, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (listing_id, copy.marketplace, reason, sold_on, price_cents,
                     to_db(due or now), to_db(now)),
                )
        return len(copies)

    async def due(self) -> list[Reminder]:
        rows = await self._db.fetchall(
            f"{_REMINDER} WHERE r.done_at IS NULL AND r.due_at <= ? ORDER BY r.due_at, r.id",
            (self._clock.now_db(),),
        )
        return [_reminder(row) for row in rows]

    async def get(self, reminder_id: int) -> Reminder | None:
        row = await self._db.fetchone(f"{_REMINDER} WHERE r.id = ?", (reminder_id,))
        return _reminder(row) if row else None

    async def sent(self, reminder: Reminder) -> None:
        """Told once more: it comes again later unless the seller says Done."""
        times = reminder.times_sent + 1
        await self._db.execute(
            "UPDATE reminders SET times_sent = ?, due_at = ? WHERE id = ? AND done_at IS NULL",
            (times, to_db(next_due(times, self._clock.now())), reminder.id),
        )

    async def done(self, reminder_id: int) -> bool:
        """The seller did it: never again. A copy ended for a sale, an end or a withdrawal
        counts as ended. True the first time only."""
        reminder = await self.get(reminder_id)
        if reminder is None or reminder.done:
            return False
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE reminders SET done_at = ? WHERE id = ? AND done_at IS NULL",
                (self._clock.now_db(), reminder_id),
            )
            if changed and reminder.reason in ENDING:
                await tx.execute(
                    "UPDATE assisted_copies SET state = ?, updated_at = ?"
                    " WHERE listing_id = ? AND marketplace = ?",
                    (ENDED, self._clock.now_db(), reminder.listing_id, reminder.marketplace),
                )
        return bool(changed)

    async def waiting(self, listing_id: int) -> dict[str, str]:
        """Each copy with something left for the seller to do there → the reason."""
        rows = await self._db.fetchall(
            "SELECT marketplace, reason FROM reminders WHERE listing_id = ? AND done_at IS NULL",
            (listing_id,),
        )
        return {row[0]: row[1] for row in rows}


def _copy(row: Row) -> AssistedCopy:
    return AssistedCopy(
        listing_id=row[0], marketplace=row[1], state=row[2], url=row[3],
        card_message_id=row[4], telegram_id=row[5], title=row[6],
    )


def _reminder(row: Row) -> Reminder:
    return Reminder(
        id=row[0], listing_id=row[1], marketplace=row[2], reason=row[3], sold_on=row[4],
        price_cents=row[5], times_sent=row[6], done=bool(row[7]), telegram_id=row[8],
        title=row[9], url=row[10],
    )
