"""Marketplace connections, with tokens encrypted before they reach the database."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from storage.crypto import TokenCipher, TokenDecryptionError
from storage.db import Database, Row
from storage.scope import ReadCache, forgets
from storage.timeutil import SYSTEM_CLOCK, Clock, from_db, to_db

log = logging.getLogger(__name__)

CONNECTED = "connected"
NEEDS_RECONNECT = "needs_reconnect"

_COLUMNS = (
    "telegram_id, marketplace, external_id, display_name, access_token_enc, refresh_token_enc,"
    " expires_at, refresh_expires_at, scope, extra, status, status_notified_at,"
    " expiry_warned_at, connected_at"
)


@dataclass(frozen=True)
class StoredAccount:
    telegram_id: int
    marketplace: str
    external_id: str
    display_name: str
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime | None
    refresh_expires_at: datetime | None
    scope: str | None
    extra: dict[str, str]
    status: str
    status_notified_at: datetime | None
    expiry_warned_at: datetime | None
    connected_at: datetime


def _moment(value: datetime | None) -> str | None:
    return to_db(value) if value else None


def _parse(value: str | None) -> datetime | None:
    return from_db(value) if value else None


class AccountRepository:
    def __init__(
        self, db: Database, cipher: TokenCipher, clock: Clock = SYSTEM_CLOCK,
        cache: ReadCache | None = None,
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self._cache = cache or ReadCache()  # each seller's accounts, tokens decrypted once

    def _row(self, row: Row) -> StoredAccount:
        """The account as stored. Tokens no configured key decrypts (stored under a key the
        operator has since dropped) cannot be used by anyone: the account reads as needing a
        reconnect, without tokens, so one such seller never stops the others' work."""
        status = row["status"]
        try:
            access = self._cipher.decrypt(row["access_token_enc"])
            refresh = row["refresh_token_enc"]
            refresh = self._cipher.decrypt(refresh) if refresh else None
        except TokenDecryptionError:
            log.warning("user %s's %s tokens cannot be decrypted with TOKEN_ENCRYPTION_KEY"
                        " (stored under a key no longer configured?): they must connect again",
                        row["telegram_id"], row["marketplace"])
            access, refresh, status = "", None, NEEDS_RECONNECT
        return StoredAccount(
            telegram_id=row["telegram_id"],
            marketplace=row["marketplace"],
            external_id=row["external_id"],
            display_name=row["display_name"],
            access_token=access,
            refresh_token=refresh,
            expires_at=_parse(row["expires_at"]),
            refresh_expires_at=_parse(row["refresh_expires_at"]),
            scope=row["scope"],
            extra=json.loads(row["extra"]),
            status=status,
            status_notified_at=_parse(row["status_notified_at"]),
            expiry_warned_at=_parse(row["expiry_warned_at"]),
            connected_at=from_db(row["connected_at"]),
        )

    @forgets("accounts")
    async def save_connection(
        self,
        *,
        telegram_id: int,
        marketplace: str,
        external_id: str,
        display_name: str,
        access_token: str,
        refresh_token: str | None,
        expires_at: datetime | None,
        refresh_expires_at: datetime | None,
        scope: str | None,
        extra: Mapping[str, str],
    ) -> None:
        """Connect or reconnect: the new grant replaces the old one and clears any warning."""
        now = self._clock.now_db()
        await self._db.execute(
            f"INSERT INTO marketplace_accounts ({_COLUMNS}, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)"
            " ON CONFLICT (telegram_id, marketplace) DO UPDATE SET"
            " external_id = excluded.external_id, display_name = excluded.display_name,"
            " access_token_enc = excluded.access_token_enc,"
            " refresh_token_enc = excluded.refresh_token_enc, expires_at = excluded.expires_at,"
            " refresh_expires_at = excluded.refresh_expires_at, scope = excluded.scope,"
            " extra = excluded.extra, status = excluded.status, status_notified_at = NULL,"
            " expiry_warned_at = NULL, connected_at = excluded.connected_at,"
            " updated_at = excluded.updated_at",
            (
                telegram_id, marketplace, external_id, display_name,
                self._cipher.encrypt(access_token),
                self._cipher.encrypt(refresh_token) if refresh_token else None,
                _moment(expires_at), _moment(refresh_expires_at), scope,
                json.dumps(dict(extra), sort_keys=True), CONNECTED, now, now,
            ),
        )

    @forgets("accounts")
    async def update_tokens(
        self,
        telegram_id: int,
        marketplace: str,
        *,
        access_token: str,
        refresh_token: str | None,
        expires_at: datetime | None,
        refresh_expires_at: datetime | None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        """Store a refresh's result in one statement: with rotation, the new refresh token and
        the access token land together or not at all, so a crash cannot strand the account."""
        extra_sql = ", extra = ?" if extra is not None else ""
        extra_param = (json.dumps(dict(extra), sort_keys=True),) if extra is not None else ()
        await self._db.execute(
            "UPDATE marketplace_accounts SET access_token_enc = ?, refresh_token_enc = ?,"
            " expires_at = ?, refresh_expires_at = ?, status = 'connected',"
            f" status_notified_at = NULL, updated_at = ?{extra_sql}"
            " WHERE telegram_id = ? AND marketplace = ?",
            (
                self._cipher.encrypt(access_token),
                self._cipher.encrypt(refresh_token) if refresh_token else None,
                _moment(expires_at), _moment(refresh_expires_at), self._clock.now_db(),
                *extra_param, telegram_id, marketplace,
            ),
        )

    async def get(self, telegram_id: int, marketplace: str) -> StoredAccount | None:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM marketplace_accounts"
            " WHERE telegram_id = ? AND marketplace = ?",
            (telegram_id, marketplace),
        )
        return self._row(row) if row else None

    async def for_seller(self, telegram_id: int) -> list[StoredAccount]:
        """The seller's accounts, tokens decrypted (once per update: storage/scope.py)."""
        return list(await self._cache.read(("accounts", telegram_id),
                                           lambda: self._read_seller(telegram_id)))

    async def _read_seller(self, telegram_id: int) -> tuple[StoredAccount, ...]:
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM marketplace_accounts WHERE telegram_id = ?"
            " ORDER BY marketplace",
            (telegram_id,),
        )
        return tuple(self._row(row) for row in rows)

    async def on_marketplace(
        self, marketplace: str, *, user_id: str | None = None, username: str | None = None
    ) -> list[StoredAccount]:
        """The accounts connected to `marketplace` as that user (by the marketplace's user id
        or username; every account there when neither is given)."""
        if user_id is None and username is None:
            rows = await self._db.fetchall(
                f"SELECT {_COLUMNS} FROM marketplace_accounts WHERE marketplace = ?",
                (marketplace,),
            )
        else:
            rows = await self._db.fetchall(
                f"SELECT {_COLUMNS} FROM marketplace_accounts WHERE marketplace = ?"
                " AND (external_id = ? OR display_name = ?)",
                (marketplace, user_id or "", username or ""),
            )
        return [self._row(row) for row in rows]

    async def expiring_before(
        self, moment: datetime, marketplaces: Iterable[str], *, undated: bool = False
    ) -> list[StoredAccount]:
        """Connected accounts on these marketplaces whose access token lapses before `moment`;
        with `undated`, also those with a refresh token whose lapse was never known (stored
        before a lifetime was assumed for them), so they get one."""
        names = list(marketplaces)
        if not names:
            return []
        marks = ", ".join("?" for _ in names)
        lapse = "(expires_at IS NOT NULL AND expires_at < ?)"
        if undated:
            lapse = f"({lapse} OR (expires_at IS NULL AND refresh_token_enc IS NOT NULL))"
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM marketplace_accounts WHERE status = 'connected'"
            f" AND {lapse} AND marketplace IN ({marks})",
            (to_db(moment), *names),
        )
        return [self._row(row) for row in rows]

    @forgets("accounts")
    async def mark_needs_reconnect(self, telegram_id: int, marketplace: str) -> bool:
        """Flag the account; True only the first time, so the seller is told once."""
        changed = await self._db.execute(
            "UPDATE marketplace_accounts SET status = 'needs_reconnect',"
            " status_notified_at = ?, updated_at = ?"
            " WHERE telegram_id = ? AND marketplace = ? AND status = 'connected'",
            (self._clock.now_db(), self._clock.now_db(), telegram_id, marketplace),
        )
        return changed == 1

    @forgets("accounts")
    async def mark_expiry_warned(self, telegram_id: int, marketplace: str) -> bool:
        """Record the expiry warning; True only the first time."""
        changed = await self._db.execute(
            "UPDATE marketplace_accounts SET expiry_warned_at = ?, updated_at = ?"
            " WHERE telegram_id = ? AND marketplace = ? AND expiry_warned_at IS NULL",
            (self._clock.now_db(), self._clock.now_db(), telegram_id, marketplace),
        )
        return changed == 1

    @forgets("accounts")
    async def delete(self, telegram_id: int, marketplace: str) -> bool:
        changed = await self._db.execute(
            "DELETE FROM marketplace_accounts WHERE telegram_id = ? AND marketplace = ?",
            (telegram_id, marketplace),
        )
        return changed == 1
