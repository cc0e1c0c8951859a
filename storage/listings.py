"""Confirmed listings and their cross-posts (one per chosen marketplace)."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.db import Database, Row, Transaction
from storage.drafts import Draft
from storage.scope import ReadCache
from storage.timeutil import SYSTEM_CLOCK, Clock, from_db, to_db

UNFINISHED = ("pending", "in_flight")
PARKED = "crashed"  # error_kind of a copy set aside after interrupting the process twice


@dataclass(frozen=True)
class StoredListing:
    id: int
    telegram_id: int
    sku: str
    title: str
    description: str
    price_cents: int
    currency: str
    condition: str
    category: str | None
    category_ids: dict[str, str]
    postal_code: str | None
    latitude: float | None
    longitude: float | None
    state: str
    progress_message_id: int | None = None
    progress_chat_id: int | None = None  # the chat that message is in
    photo_paths: tuple[Path, ...] = ()
    photo_file_ids: tuple[str, ...] = ()
    condition_ids: dict[str, str] = field(default_factory=dict)
    condition_note: str = ""
    aspects: dict[str, list[str]] = field(default_factory=dict)
    package: dict[str, int] | None = None


@dataclass(frozen=True)
class CrossPost:
    listing_id: int
    marketplace: str
    state: str
    external_id: str | None = None
    url: str | None = None
    error_kind: str | None = None  # what went wrong (marketplaces.crosspost.Problem)
    error: str | None = None  # the marketplace's own reason, for a refusal
    error_fields: tuple[str, ...] = ()  # every field a refusal named, first the main one
    retryable: bool = False
    attempts: int = 0
    next_attempt_at: datetime | None = None
    # What the seller fixed for this marketplace alone (`FIX_COLUMNS` names → values), laid
    # over the listing's own values when this copy is published.
    fixes: dict[str, Any] = field(default_factory=dict)


# A field a marketplace refused → the listing value a fix for that marketplace replaces.
FIX_COLUMNS = {
    "title": "title", "description": "description", "price": "price_cents",
    "category": "category", "location": "postal_code", "aspects": "aspects",
}


class ListingRepository:
    def __init__(
        self, db: Database, directory: Path, clock: Clock = SYSTEM_CLOCK,
        cache: ReadCache | None = None,
    ) -> None:
        self._db = db
        self.directory = directory
        self._clock = clock
        self._cache = cache or ReadCache()  # shared with the drafts' and kits' repositories

    async def create_from_draft(
        self, draft: Draft, sku: str, *, progress: tuple[int, int] | None = None,
        assisted: Collection[str] = (),
    ) -> int:
        """Copy the draft's photos, then in ONE transaction: the listing (with the chat message
        that will show its progress: `progress` is its chat id and message id), its photos, a
        pending cross-post per chosen marketplace (a pending kit for those in `assisted`, which
        the seller posts by hand), and the draft gone."""
        folder = self.directory / sku
        paths = await asyncio.to_thread(_copy_photos, [p.path for p in draft.photos], folder)
        try:
            listing_id = await self._insert_from_draft(draft, sku, paths, progress, assisted)
        finally:  # forgotten even when cancelled during COMMIT: it may have happened
            self._cache.forget(("draft", draft.telegram_id))  # gone with the listing's creation
            self._cache.forget(("last_kits", draft.telegram_id))  # the kits offered next time
        return listing_id

    async def _insert_from_draft(
        self, draft: Draft, sku: str, paths: list[Path], progress: tuple[int, int] | None,
        assisted: Collection[str],
    ) -> int:
        now = self._clock.now_db()
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "INSERT INTO listings (telegram_id, sku, title, description, price_cents,"
                " currency, condition, category, category_ids, postal_code, latitude, longitude,"
                " progress_chat_id, progress_message_id, condition_ids, condition_note, aspects,"
                " package, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (draft.telegram_id, sku, draft.title, draft.description or "", draft.price_cents,
                 draft.currency, draft.condition, draft.category, json.dumps(draft.category_ids),
                 draft.postal_code, draft.latitude, draft.longitude, *(progress or (None, None)),
                 json.dumps(draft.condition_ids), draft.condition_note, json.dumps(draft.aspects),
                 json.dumps(draft.package) if draft.package else None, now, now),
            )
            listing_id = int(row["id"])
            await tx.executemany(
                "INSERT INTO listing_photos (listing_id, position, path, file_id)"
                " VALUES (?, ?, ?, ?)",
                [(listing_id, i, str(path), photo.file_id)
                 for i, (path, photo) in enumerate(zip(paths, draft.photos, strict=True))],
            )
            chosen = draft.marketplaces or []
            await tx.executemany(
                "INSERT INTO cross_posts (listing_id, marketplace, updated_at) VALUES (?, ?, ?)",
                [(listing_id, name, now) for name in chosen if name not in assisted],
            )
            await tx.executemany(
                "INSERT INTO assisted_copies (listing_id, marketplace, updated_at)"
                " VALUES (?, ?, ?)",
                [(listing_id, name, now) for name in chosen if name in assisted],
            )
            await tx.execute("DELETE FROM drafts WHERE telegram_id = ?", (draft.telegram_id,))
        return listing_id

    async def get(self, listing_id: int) -> StoredListing | None:
        row = await self._db.fetchone("SELECT * FROM listings WHERE id = ?", (listing_id,))
        if row is None:
            return None
        photos = await self._db.fetchall(
            "SELECT path, file_id FROM listing_photos WHERE listing_id = ? ORDER BY position",
            (listing_id,),
        )
        return _listing(row, photos)

    async def by_sku(self, sku: str) -> StoredListing | None:
        row = await self._db.fetchone("SELECT id FROM listings WHERE sku = ?", (sku,))
        return await self.get(row["id"]) if row else None

    async def cross_posts(self, listing_id: int) -> list[CrossPost]:
        rows = await self._db.fetchall(
            "SELECT * FROM cross_posts WHERE listing_id = ? ORDER BY rowid", (listing_id,)
        )
        return [_cross_post(row) for row in rows]

    async def mark(
        self,
        listing_id: int,
        marketplace: str,
        state: str,
        *,
        external_id: str | None = None,
        url: str | None = None,
        error_kind: str | None = None,
        error: str | None = None,
        error_fields: Sequence[str] = (),
        retryable: bool = False,
        attempted: bool = False,
        next_attempt_at: datetime | None = None,
    ) -> None:
        await self._db.execute(
            "UPDATE cross_posts SET state = ?, external_id = COALESCE(?, external_id),"
            " url = COALESCE(?, url), error_kind = ?, error = ?, error_fields = ?, retryable = ?,"
            " attempts = attempts + ?, next_attempt_at = ?, updated_at = ?"
            " WHERE listing_id = ? AND marketplace = ?",
            (state, external_id, url, error_kind, error,
             json.dumps(list(error_fields)) if error_fields else None, int(retryable),
             int(attempted),
             to_db(next_attempt_at) if next_attempt_at else None, self._clock.now_db(),
             listing_id, marketplace),
        )

    async def reset_attempts(self, listing_id: int, marketplaces: list[str]) -> None:
        """The seller pressed Retry: a fresh budget for these cross-posts."""
        marks = ", ".join("?" for _ in marketplaces)
        await self.mark_untold(listing_id)
        await self._db.execute(
            f"UPDATE cross_posts SET state = 'pending', attempts = 0, retryable = 0,"
            f" error_kind = NULL, error = NULL, error_fields = NULL, next_attempt_at = NULL,"
            f" updated_at = ?"
            f" WHERE listing_id = ? AND state = 'failed' AND marketplace IN ({marks})",
            (self._clock.now_db(), listing_id, *marketplaces),
        )

    async def for_seller(self, telegram_id: int, *, offset: int, limit: int) -> list[StoredListing]:
        """The seller's listings, newest first, one page."""
        rows = await self._db.fetchall(
            "SELECT id FROM listings WHERE telegram_id = ? ORDER BY created_at DESC, id DESC"
            " LIMIT ? OFFSET ?",
            (telegram_id, limit, offset),
        )
        return [listing for row in rows if (listing := await self.get(row["id"])) is not None]

    async def count_for_seller(self, telegram_id: int) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM listings WHERE telegram_id = ?", (telegram_id,)
        )
        return int(row[0])

    async def set_state(self, listing_id: int, state: str) -> None:
        await self._db.execute(
            "UPDATE listings SET state = ?, updated_at = ? WHERE id = ?",
            (state, self._clock.now_db(), listing_id),
        )

    async def fix_copy(
        self, listing_id: int, marketplace: str, refused: str, value: object
    ) -> tuple[str, ...]:
        """Keep the seller's fix of a field `marketplace` refused (a `FIX_COLUMNS` key) for
        that copy alone, and cross it off the refusal; the fields still refused come back."""
        column = FIX_COLUMNS[refused]
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT error_fields, fixes FROM cross_posts WHERE listing_id = ? AND"
                " marketplace = ?", (listing_id, marketplace),
            )
            if row is None:
                return ()
            fixes = json.loads(row["fixes"])
            if column == "aspects":  # one item specific at a time: added to those fixed before
                value = {**fixes.get("aspects", {}), **value}  # type: ignore[dict-item]
            fixes = {**fixes, column: value}
            left = [f for f in json.loads(row["error_fields"] or "[]") if f != refused]
            await tx.execute(
                "UPDATE cross_posts SET fixes = ?, error_fields = ?, updated_at = ?"
                " WHERE listing_id = ? AND marketplace = ?",
                (json.dumps(fixes), json.dumps(left) if left else None, self._clock.now_db(),
                 listing_id, marketplace),
            )
        return tuple(left)

    async def set_price(self, listing_id: int, price_cents: int) -> None:
        """A new price for the listing and every copy: a price fixed for one marketplace goes,
        because the seller has just chosen one for all."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE listings SET price_cents = ?, updated_at = ? WHERE id = ?",
                (price_cents, self._clock.now_db(), listing_id),
            )
            await _drop_fix(tx, listing_id, "price_cents")

    async def add_cross_post(
        self, listing_id: int, marketplace: str, *, progress: tuple[int, int] | None = None
    ) -> bool:
        """A pending cross-post to one more marketplace; False if it already has one.

        In the same transaction the listing has news to tell again and, when given, a new
        progress message (chat id, message id): a crash in between can never leave a message
        nobody edits."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "INSERT INTO cross_posts (listing_id, marketplace, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (listing_id, marketplace, self._clock.now_db()),
            )
            if changed != 1:
                return False
            if progress is None:
                await tx.execute(
                    "UPDATE listings SET outcome_told_at = NULL WHERE id = ?", (listing_id,)
                )
            else:
                await tx.execute(
                    "UPDATE listings SET outcome_told_at = NULL, progress_chat_id = ?,"
                    " progress_message_id = ? WHERE id = ?", (*progress, listing_id),
                )
        return True

    async def live_listing_ids(self) -> list[int]:
        """Active listings with at least one published copy: what the status check watches."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT l.id FROM listings l JOIN cross_posts c ON c.listing_id = l.id"
            " WHERE l.state = 'active' AND c.state = 'published'"
        )
        return [row["id"] for row in rows]

    async def live_on(
        self, marketplace: str, telegram_id: int, urls: list[str] | None = None
    ) -> list[int]:
        """The seller's active listings with a published copy on `marketplace` (only those
        copies at `urls`, when given)."""
        query = (
            "SELECT DISTINCT l.id FROM listings l JOIN cross_posts c ON c.listing_id = l.id"
            " WHERE l.state = 'active' AND c.state = 'published' AND c.marketplace = ?"
            " AND l.telegram_id = ?"
        )
        params: list[object] = [marketplace, telegram_id]
        if urls is not None:
            if not urls:
                return []
            query += f" AND c.url IN ({', '.join('?' * len(urls))})"
            params += urls
        return [row["id"] for row in await self._db.fetchall(query, tuple(params))]

    async def mark_told(self, listing_id: int) -> None:
        """The seller has seen how posting ended."""
        await self._db.execute(
            "UPDATE listings SET outcome_told_at = ? WHERE id = ?",
            (self._clock.now_db(), listing_id),
        )

    async def mark_untold(self, listing_id: int) -> None:
        """Posting starts again (Retry, a fix, another marketplace): there is news to tell."""
        await self._db.execute(
            "UPDATE listings SET outcome_told_at = NULL WHERE id = ?", (listing_id,)
        )

    async def untold(self) -> list[int]:
        """Listings whose seller has not yet seen how posting ended."""
        rows = await self._db.fetchall("SELECT id FROM listings WHERE outcome_told_at IS NULL")
        return [row["id"] for row in rows]

    async def set_progress_message(
        self, listing_id: int, chat_id: int | None, message_id: int | None
    ) -> None:
        """The message that is the listing's card now, in chat `chat_id` (None: none; the next
        news sends one)."""
        if message_id is None:
            chat_id = None
        await self._db.execute(
            "UPDATE listings SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, listing_id),
        )

    async def forget_card(self, chat_id: int, message_id: int) -> list[int]:
        """Message `message_id` of chat `chat_id` shows something else now: whichever listing
        had it as its card has none (the ids of those listings)."""
        rows = await self._db.fetchall(
            "SELECT id FROM listings WHERE progress_chat_id = ? AND progress_message_id = ?",
            (chat_id, message_id),
        )
        for row in rows:
            await self.set_progress_message(row["id"], None, None)
        return [row["id"] for row in rows]

    async def retry_due(self) -> list[tuple[int, datetime]]:
        """Listings with a failed, retryable cross-post, and when the earliest may run."""
        rows = await self._db.fetchall(
            "SELECT listing_id, MIN(next_attempt_at) AS due FROM cross_posts"
            " WHERE state = 'failed' AND retryable = 1 AND next_attempt_at IS NOT NULL"
            " GROUP BY listing_id"
        )
        return [(row["listing_id"], from_db(row["due"])) for row in rows]

    async def park_crash_loops(
        self, after: int = 2, *, only: set[int] | None = None
    ) -> list[tuple[int, str]]:
        """At start: count one more interruption for every copy found in flight (the process
        died while posting it) and set aside those interrupted `after` times or more (failed,
        retryable by the seller only), so a copy that kills the process cannot do so at
        every start. `only`: the listings to look at (with several replicas, those no replica
        is posting). Returns the (listing id, marketplace) set aside."""
        if only is not None and not only:
            return []
        among = "" if only is None else (
            f" AND listing_id IN ({', '.join(str(int(lid)) for lid in sorted(only))})")
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE cross_posts SET interrupted = interrupted + 1 WHERE state = 'in_flight'"
                + among
            )
            rows = await tx.fetchall(
                "SELECT listing_id, marketplace FROM cross_posts"
                " WHERE state = 'in_flight' AND interrupted >= ?" + among, (after,),
            )
            await tx.execute(
                "UPDATE cross_posts SET state = 'failed', retryable = 0, error_kind = ?,"
                " error = NULL, error_fields = NULL, next_attempt_at = NULL, updated_at = ?"
                " WHERE state = 'in_flight' AND interrupted >= ?" + among,
                (PARKED, self._clock.now_db(), after),
            )
        return [(row["listing_id"], row["marketplace"]) for row in rows]

    async def unfinished(self) -> list[tuple[int, str]]:
        """Cross-posts a crash may have interrupted: (listing id, marketplace)."""
        rows = await self._db.fetchall(
            "SELECT listing_id, marketplace FROM cross_posts WHERE state IN (?, ?)", UNFINISHED
        )
        return [(row["listing_id"], row["marketplace"]) for row in rows]

    async def photo_bytes(self, listing: StoredListing) -> tuple[bytes, ...]:
        return tuple(
            await asyncio.gather(*(asyncio.to_thread(p.read_bytes) for p in listing.photo_paths))
        )


async def _drop_fix(tx: Transaction, listing_id: int, column: str) -> None:
    rows = await tx.fetchall(
        "SELECT marketplace, fixes FROM cross_posts WHERE listing_id = ?", (listing_id,)
    )
    for row in rows:
        fixes = json.loads(row["fixes"])
        if fixes.pop(column, None) is not None:
            await tx.execute(
                "UPDATE cross_posts SET fixes = ? WHERE listing_id = ? AND marketplace = ?",
                (json.dumps(fixes), listing_id, row["marketplace"]),
            )


def _copy_photos(sources: list[Path], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for index, source in enumerate(sources):
        target = folder / f"{index:02d}.jpg"
        shutil.copyfile(source, target)
        copies.append(target)
    return copies


def _listing(row: Row, photos: list[Row]) -> StoredListing:
    return StoredListing(
        id=row["id"], telegram_id=row["telegram_id"], sku=row["sku"], title=row["title"],
        description=row["description"], price_cents=row["price_cents"],
        currency=row["currency"], condition=row["condition"], category=row["category"],
        category_ids=json.loads(row["category_ids"]), postal_code=row["postal_code"],
        latitude=row["latitude"], longitude=row["longitude"], state=row["state"],
        progress_message_id=row["progress_message_id"],
        progress_chat_id=row["progress_chat_id"],
        photo_paths=tuple(Path(p["path"]) for p in photos),
        photo_file_ids=tuple(p["file_id"] for p in photos),
        condition_ids=json.loads(row["condition_ids"]),
        condition_note=row["condition_note"],
        aspects=json.loads(row["aspects"]),
        package=json.loads(row["package"]) if row["package"] else None,
    )


def _cross_post(row: Row) -> CrossPost:
    return CrossPost(
        listing_id=row["listing_id"], marketplace=row["marketplace"], state=row["state"],
        external_id=row["external_id"], url=row["url"], error_kind=row["error_kind"],
        error=row["error"],
        error_fields=tuple(json.loads(row["error_fields"])) if row["error_fields"] else (),
        retryable=bool(row["retryable"]),
        attempts=row["attempts"],
        next_attempt_at=from_db(row["next_attempt_at"]) if row["next_attempt_at"] else None,
        fixes=json.loads(row["fixes"]),
    )
