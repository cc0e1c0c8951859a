"""One-time OAuth states: stored hashed, bound to a seller and a marketplace, consumed once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.crypto import TokenCipher
from storage.db import Database
from storage.timeutil import from_db, now_db, to_db, utcnow


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ConsumedState:
    telegram_id: int
    marketplace: str
    code_verifier: str | None
    expires_at: datetime

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or utcnow())


class OAuthStateRepository:
    def __init__(self, db: Database, cipher: TokenCipher) -> None:
        self._db = db
        self._cipher = cipher

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
            (state_hash(state), telegram_id, marketplace, verifier, now_db(),
             to_db(utcnow() + ttl)),
        )

    async def consume(self, state: str) -> ConsumedState | None:
        """Delete and return the state in one statement: of two concurrent uses, one wins."""
        row = await self._db.fetchone_write(
            "DELETE FROM oauth_states WHERE state_hash = ?"
            " RETURNING telegram_id, marketplace, code_verifier_enc, expires_at",
            (state_hash(state),),
        )
        if row is None:
            return None
        verifier = row["code_verifier_enc"]
        return ConsumedState(
            telegram_id=row["telegram_id"],
            marketplace=row["marketplace"],
            code_verifier=self._cipher.decrypt(verifier) if verifier else None,
            expires_at=from_db(row["expires_at"]),
        )

    async def purge_expired(self) -> int:
        return await self._db.execute("DELETE FROM oauth_states WHERE expires_at < ?", (now_db(),))
