"""One-time OAuth states: stored hashed, bound to a seller and a marketplace, consumed once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.crypto import TokenCipher
from storage.db import Database, Row
from storage.timeutil import SYSTEM_CLOCK, Clock, from_db, to_db

_RETURNED = "telegram_id, marketplace, code_verifier_enc, expires_at, browser_hash"


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PendingState:
    telegram_id: int
    marketplace: str
    code_verifier: str | None
    expires_at: datetime
    browser_hash: str | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


class OAuthStateRepository:
    def __init__(self, db: Database, cipher: TokenCipher, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock

    async def save(
        self,
        state: str,
        telegram_id: int,
        marketplace: str,
        code_verifier: str | None,
        ttl: timedelta,
    ) -> None:
        verifier = self._cipher.encrypt(code_verifier) if code_verifier else None
        await self._db.execute(
            "INSERT INTO oauth_states (state_hash, telegram_id, marketplace, code_verifier_enc,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (state_hash(state), telegram_id, marketplace, verifier, self._clock.now_db(),
             to_db(self._clock.now() + ttl)),
        )

    def _pending(self, row: Row) -> PendingState:
        verifier = row["code_verifier_enc"]
        return PendingState(
            telegram_id=row["telegram_id"],
            marketplace=row["marketplace"],
            code_verifier=self._cipher.decrypt(verifier) if verifier else None,
            expires_at=from_db(row["expires_at"]),
            browser_hash=row["browser_hash"],
        )

    async def bind_browser(
        self, state: str, telegram_id: int, browser_hash: str
    ) -> PendingState | None:
        """Tie the state to the first browser that opens it, for its owner only; None when
        the state is unknown, someone else's, or already opened elsewhere."""
        row = await self._db.fetchone_write(
            "UPDATE oauth_states SET browser_hash = ?"
            " WHERE state_hash = ? AND telegram_id = ? AND browser_hash IS NULL"
            f" RETURNING {_RETURNED}",
            (browser_hash, state_hash(state), telegram_id),
        )
        return self._pending(row) if row else None

    async def consume(self, state: str) -> PendingState | None:
        """Delete and return the state in one statement: of two concurrent uses, one wins."""
        row = await self._db.fetchone_write(
            f"DELETE FROM oauth_states WHERE state_hash = ? RETURNING {_RETURNED}",
            (state_hash(state),),
        )
        return self._pending(row) if row else None

    async def purge_expired(self) -> int:
        return await self._db.execute(
            "DELETE FROM oauth_states WHERE expires_at < ?", (self._clock.now_db(),)
        )
