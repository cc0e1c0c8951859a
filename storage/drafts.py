"""Drafts of listings, saved at every step of /post, with their photos on disk.

A seller has at most one draft. Photo bytes live under `<data dir>/drafts/<seller>/`, named by
Telegram's file_unique_id, so a photo delivered twice is one file and one row.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import json
import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from storage.db import Database, Row
from storage.scope import ReadCache, forgets
from storage.timeutil import SYSTEM_CLOCK, Clock, from_db, to_db

EDITABLE = frozenset({
    "title", "description", "description_set", "price_cents", "currency", "condition",
    "category", "category_ids", "postal_code", "latitude", "longitude", "marketplaces",
    "category_path", "condition_ids", "condition_note", "condition_note_set", "aspects",
    "details_set", "package",
})
# A draft's age (the weekly purge's measure) need not move for each photo of an album.
TOUCH_AT_MOST_EVERY = timedelta(minutes=1)
_JSON = frozenset({"category_ids", "marketplaces", "condition_ids", "aspects", "package"})


class PhotoAdded(enum.Enum):
    ADDED = "added"
    REDELIVERED = "redelivered"  # the same update again: say nothing
    SAME_PICTURE = "same picture"  # sent again by the seller: say it is already there


@dataclass(frozen=True)
class DraftPhoto:
    file_unique_id: str
    file_id: str  # as received: a photo's, or a document's when it came as a file
    path: Path  # the cleaned JPEG
    width: int
    height: int
    photo_file_id: str | None = None  # a file id Telegram takes as a photo, once there is one


@dataclass(frozen=True)
class Draft:
    telegram_id: int
    version: int = 0  # the seller's count of drafts started: buttons are bound to it
    title: str | None = None
    description: str | None = None
    description_set: bool = False
    price_cents: int | None = None
    currency: str = "USD"
    condition: str | None = None
    category: str | None = None
    category_ids: dict[str, str] = field(default_factory=dict)
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    marketplaces: list[str] | None = None
    photos: tuple[DraftPhoto, ...] = ()
    updated_at: datetime | None = None
    category_path: str | None = None  # "Home & Garden › Lamps, Lighting & Ceiling Fans › Lamps"
    condition_ids: dict[str, str] = field(default_factory=dict)  # marketplace → its condition
    condition_note: str = ""  # a used item's wear, in the seller's words
    condition_note_set: bool = False
    aspects: dict[str, list[str]] = field(default_factory=dict)  # item specifics
    details_set: bool = False  # the optional item specifics were offered and answered
    package: dict[str, int] | None = None  # weight_ounces, length/width/height_inches

    @property
    def has_location(self) -> bool:
        return bool(self.postal_code) or (self.latitude is not None and self.longitude is not None)


@dataclass(frozen=True)
class SavedLocation:
    postal_code: str | None
    latitude: float | None
    longitude: float | None


class DraftRepository:
    def __init__(
        self, db: Database, directory: Path, clock: Clock = SYSTEM_CLOCK,
        cache: ReadCache | None = None,
    ) -> None:
        self._db = db
        self.directory = directory
        self._clock = clock
        self._cache = cache or ReadCache()

    def _folder(self, telegram_id: int) -> Path:
        return self.directory / str(telegram_id)

    async def get(self, telegram_id: int) -> Draft | None:
        """The seller's draft with its photos (read once per update, or kept between them:
        storage/scope.py)."""
        return await self._cache.read(("draft", telegram_id), lambda: self._read(telegram_id))

    async def _read(self, telegram_id: int) -> Draft | None:
        row = await self._db.fetchone("SELECT * FROM drafts WHERE telegram_id = ?", (telegram_id,))
        if row is None:
            return None
        photos = await self._db.fetchall(
            "SELECT file_unique_id, file_id, path, width, height, photo_file_id FROM draft_photos"
            " WHERE telegram_id = ? ORDER BY position, added_at, rowid",
            (telegram_id,),
        )
        return _draft(row, photos)

    @forgets("draft")
    async def start(self, telegram_id: int) -> Draft:
        """A fresh, empty draft with the next version (any previous one is discarded with its
        photos). The seller must exist: drafts belong to sellers."""
        now = self._clock.now_db()
        async with self._db.transaction() as tx:
            counted = await tx.fetchone(
                "UPDATE sellers SET drafts_started = drafts_started + 1 WHERE telegram_id = ?"
                " RETURNING drafts_started",
                (telegram_id,),
            )
            if counted is None:
                raise LookupError(f"no seller {telegram_id} to start a draft for")
            await tx.execute("DELETE FROM drafts WHERE telegram_id = ?", (telegram_id,))
            await tx.execute(
                "INSERT INTO drafts (telegram_id, version, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (telegram_id, counted[0], now, now),
            )
        self._cache.forget(("draft", telegram_id))  # now, not after the files are gone
        await asyncio.to_thread(shutil.rmtree, self._folder(telegram_id), True)
        return Draft(telegram_id=telegram_id, version=counted[0])

    async def update(self, telegram_id: int, **fields: Any) -> None:
        """Change fields of the draft; the row it leaves is what the next read gets (its photos
        did not change), so a step's write is not followed by a read of the same row."""
        unknown = set(fields) - EDITABLE
        if unknown:
            raise ValueError(f"not draft fields: {sorted(unknown)}")
        values = [
            json.dumps(value) if name in _JSON and value is not None else value
            for name, value in fields.items()
        ]
        assignments = ", ".join(f"{name} = ?" for name in fields)
        key = ("draft", telegram_id)
        try:
            row = await self._db.fetchone_write(
                f"UPDATE drafts SET {assignments}, updated_at = ? WHERE telegram_id = ?"
                " RETURNING *",
                (*values, self._clock.now_db(), telegram_id),
            )
        except BaseException:
            self._cache.forget(key)  # it may have been written all the same
            raise
        held = self._cache.peek(key)  # after the write: a photo added meanwhile forgot it
        write = self._cache.forget(key)
        if row is not None and isinstance(held, Draft):
            self._cache.written(key, _draft_with(row, held.photos), write)

    async def add_photo(
        self, telegram_id: int, file_unique_id: str, file_id: str, data: bytes,
        width: int, height: int, *, photo_file_id: str | None = None,
    ) -> PhotoAdded:
        """Keep a photo once: a redelivered update and the same picture sent again (which
        Telegram gives a new file id) are both recognised, by file id and by content. A photo
        kept is added to the draft as held, so the next step does not read it all again."""
        key = ("draft", telegram_id)
        digest = hashlib.sha256(data).hexdigest()
        path = self._folder(telegram_id) / f"{_safe_name(file_unique_id)}.jpg"
        try:
            if await self._holds(telegram_id, file_unique_id):
                return PhotoAdded.REDELIVERED  # its file is there already: not written again
            await asyncio.to_thread(_write, path, data)
            added = await self._db.fetchone_write(  # not when the same picture is there
                "INSERT INTO draft_photos (telegram_id, file_unique_id, file_id, path, width,"
                " height, added_at, digest, photo_file_id, position)"
                " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1"
                " FROM draft_photos WHERE telegram_id = ?) WHERE NOT EXISTS (SELECT 1 FROM"
                " draft_photos WHERE telegram_id = ? AND digest = ?)"
                " ON CONFLICT DO NOTHING RETURNING position",
                (telegram_id, file_unique_id, file_id, str(path), width, height,
                 self._clock.now_db(), digest, photo_file_id, telegram_id, telegram_id, digest),
            )
            if added is None:
                if await self._holds(telegram_id, file_unique_id, held=False):
                    return PhotoAdded.REDELIVERED  # the same update, handled meanwhile
                await asyncio.to_thread(path.unlink, True)
                return PhotoAdded.SAME_PICTURE
            row, touched = None, False
            held = self._cache.peek(key)
            if not (isinstance(held, Draft) and held.updated_at is not None
                    and held.updated_at > self._clock.now() - TOUCH_AT_MOST_EVERY):
                touched = True
                row = await self._db.fetchone_write(
                    "UPDATE drafts SET updated_at = ? WHERE telegram_id = ? RETURNING *",
                    (self._clock.now_db(), telegram_id),
                )
        except BaseException:
            self._cache.forget(key)
            raise
        held = self._cache.peek(key)
        write = self._cache.forget(key)
        if touched and row is None:  # the draft went meanwhile (the weekly purge)
            return PhotoAdded.ADDED
        if isinstance(held, Draft):
            photos = (*held.photos,
                      DraftPhoto(file_unique_id, file_id, path, width, height, photo_file_id))
            draft = replace(held, photos=photos) if row is None else _draft_with(row, photos)
            self._cache.written(key, draft, write)
        return PhotoAdded.ADDED

    async def _holds(self, telegram_id: int, file_unique_id: str, *, held: bool = True) -> bool:
        """Whether the draft has this very photo (by Telegram's id for the file): from the
        draft as held when it is (and `held` allows), else from the database."""
        draft = self._cache.peek(("draft", telegram_id)) if held else None
        if isinstance(draft, Draft):
            return any(p.file_unique_id == file_unique_id for p in draft.photos)
        row = await self._db.fetchone(
            "SELECT 1 FROM draft_photos WHERE telegram_id = ? AND file_unique_id = ?",
            (telegram_id, file_unique_id),
        )
        return row is not None

    @forgets("draft")
    async def remember_photo_file_ids(self, telegram_id: int, shown: dict[str, str]) -> None:
        """Keep the photo file ids Telegram gave the cleaned JPEGs uploaded for the preview
        (by file_unique_id), so each is uploaded once."""
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE draft_photos SET photo_file_id = ? WHERE telegram_id = ?"
                " AND file_unique_id = ?",
                [(file_id, telegram_id, unique) for unique, file_id in shown.items()],
            )

    @forgets("draft")
    async def remove_photo(self, telegram_id: int, file_unique_id: str) -> bool:
        """Take one photo out of the draft; False when it was not there (already removed)."""
        row = await self._db.fetchone_write(
            "DELETE FROM draft_photos WHERE telegram_id = ? AND file_unique_id = ? RETURNING path",
            (telegram_id, file_unique_id),
        )
        if row is None:
            return False
        self._cache.forget(("draft", telegram_id))
        await asyncio.to_thread(Path(row["path"]).unlink, True)
        await self._touch(telegram_id)
        return True

    @forgets("draft")
    async def move_to_front(self, telegram_id: int, file_unique_id: str) -> bool:
        """Make one photo the first (the cover marketplaces show); False when it is gone."""
        changed = await self._db.execute(
            "UPDATE draft_photos SET position = (SELECT MIN(position) - 1 FROM draft_photos"
            " WHERE telegram_id = ?) WHERE telegram_id = ? AND file_unique_id = ?",
            (telegram_id, telegram_id, file_unique_id),
        )
        if changed:
            await self._touch(telegram_id)
        return bool(changed)

    @forgets("draft")
    async def _touch(self, telegram_id: int) -> None:
        await self._db.execute(
            "UPDATE drafts SET updated_at = ? WHERE telegram_id = ?",
            (self._clock.now_db(), telegram_id),
        )

    @forgets("draft")
    async def clear_photos(self, telegram_id: int) -> None:
        await self._db.execute("DELETE FROM draft_photos WHERE telegram_id = ?", (telegram_id,))
        self._cache.forget(("draft", telegram_id))
        await asyncio.to_thread(shutil.rmtree, self._folder(telegram_id), True)

    async def photo_bytes(self, draft: Draft) -> tuple[bytes, ...]:
        return tuple(
            await asyncio.gather(*(asyncio.to_thread(p.path.read_bytes) for p in draft.photos))
        )

    @forgets("draft")
    async def delete(self, telegram_id: int) -> None:
        await self._db.execute("DELETE FROM drafts WHERE telegram_id = ?", (telegram_id,))
        self._cache.forget(("draft", telegram_id))
        await self.delete_files(telegram_id)

    async def delete_files(self, telegram_id: int) -> None:
        """The photo files of a draft whose row is gone (it became a listing, which has its
        own copies)."""
        await asyncio.to_thread(shutil.rmtree, self._folder(telegram_id), True)

    async def purge_older_than(self, age: timedelta) -> dict[int, str]:
        """Remove drafts untouched for `age`, with their files; return each one's seller and
        what the seller called it (its title, or "" for an untitled one)."""
        rows = await self._db.fetchall(
            "SELECT telegram_id, title FROM drafts WHERE updated_at < ?",
            (to_db(self._clock.now() - age),),
        )
        for row in rows:
            await self.delete(row["telegram_id"])
        return {row["telegram_id"]: row["title"] or "" for row in rows}

    async def saved_location(self, telegram_id: int) -> SavedLocation | None:
        row = await self._db.fetchone(
            "SELECT postal_code, latitude, longitude FROM seller_preferences"
            " WHERE telegram_id = ?",
            (telegram_id,),
        )
        return SavedLocation(**dict(row)) if row else None

    async def remember_location(
        self, telegram_id: int, postal_code: str | None, latitude: float | None,
        longitude: float | None,
    ) -> None:
        await self._db.execute(
            "INSERT INTO seller_preferences (telegram_id, postal_code, latitude, longitude,"
            " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (telegram_id) DO UPDATE SET"
            " postal_code = excluded.postal_code, latitude = excluded.latitude,"
            " longitude = excluded.longitude, updated_at = excluded.updated_at",
            (telegram_id, postal_code, latitude, longitude, self._clock.now_db()),
        )


def _draft(row: Row, photos: list[Row]) -> Draft:
    return _draft_with(row, tuple(
        DraftPhoto(p["file_unique_id"], p["file_id"], Path(p["path"]), p["width"], p["height"],
                   p["photo_file_id"])
        for p in photos
    ))


def _draft_with(row: Row, photos: tuple[DraftPhoto, ...]) -> Draft:
    return Draft(
        telegram_id=row["telegram_id"],
        version=row["version"],
        title=row["title"],
        description=row["description"],
        description_set=bool(row["description_set"]),
        price_cents=row["price_cents"],
        currency=row["currency"],
        condition=row["condition"],
        category=row["category"],
        category_ids=json.loads(row["category_ids"]),
        postal_code=row["postal_code"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        marketplaces=json.loads(row["marketplaces"]) if row["marketplaces"] else None,
        photos=photos,
        updated_at=from_db(row["updated_at"]),
        category_path=row["category_path"],
        condition_ids=json.loads(row["condition_ids"]),
        condition_note=row["condition_note"],
        condition_note_set=bool(row["condition_note_set"]),
        aspects=json.loads(row["aspects"]),
        details_set=bool(row["details_set"]),
        package=json.loads(row["package"]) if row["package"] else None,
    )


def _safe_name(file_unique_id: str) -> str:
    return "".join(ch for ch in file_unique_id if ch.isalnum() or ch in "-_")[:64] or "photo"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)
