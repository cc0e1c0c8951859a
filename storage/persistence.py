"""python-telegram-bot's `BasePersistence` on our database (SQLite or PostgreSQL, the same SQL).

Conversation states and user, chat and bot data are JSON documents, written through as PTB hands
them over, so a restart (or a crash after the write) resumes each seller where they were. Only
JSON-friendly values belong in `context.user_data`: drafts themselves live in their own tables.
"""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.db import Database
from storage.timeutil import now_db

Data = dict[str, Any]

# In `_written`: this process read the row and there is none (no JSON document is empty).
NO_ROW = ""
SELLER_TABLES = ("ptb_user_data", "ptb_chat_data")


class DatabasePersistence(BasePersistence[Data, Data, Data]):
    """Persists user, chat and bot data, callback data and conversations in `ptb_*` tables."""

    def __init__(
        self,
        db: Database,
        *,
        store_data: PersistenceInput | None = None,
        update_interval: float = 60,
        shared: bool = False,
    ) -> None:
        """`shared`: other replicas write the same rows, so data is read back before each
        update instead of trusting the copy in memory."""
        super().__init__(
            store_data=store_data or PersistenceInput(), update_interval=update_interval
        )
        self._db = db
        # What each row holds now, so an update that changed nothing writes nothing. PTB hands
        # over every user's and chat's data after each of their updates, changed or not.
        self._written: dict[tuple[str, object], str] = {}
        # Shared, PTB also hands over a user's and chat's data when the task that ran their
        # update ends, after the seller's turn: an update this replica skipped (a duplicate
        # another replica handled) or one long finished. A copy never read here is not the
        # seller's data (an empty dict, or what the row held at start): see `_upsert`.
        self.shared = shared

    async def get_user_data(self) -> dict[int, Data]:
        rows = await self._db.fetchall("SELECT user_id, data FROM ptb_user_data")
        self._written.update({("ptb_user_data", row["user_id"]): row["data"] for row in rows})
        return {row["user_id"]: json.loads(row["data"]) for row in rows}

    async def get_chat_data(self) -> dict[int, Data]:
        rows = await self._db.fetchall("SELECT chat_id, data FROM ptb_chat_data")
        self._written.update({("ptb_chat_data", row["chat_id"]): row["data"] for row in rows})
        return {row["chat_id"]: json.loads(row["data"]) for row in rows}

    async def get_bot_data(self) -> Data:
        row = await self._db.fetchone("SELECT data FROM ptb_bot_data WHERE id = 1")
        return json.loads(row["data"]) if row else {}

    async def get_callback_data(self) -> CDCData | None:
        row = await self._db.fetchone("SELECT data FROM ptb_callback_data WHERE id = 1")
        if row is None:
            return None
        buttons, mapping = json.loads(row["data"])
        return [tuple(entry) for entry in buttons], mapping

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await self._db.fetchall(
            "SELECT conv_key, state FROM ptb_conversations WHERE name = ?", (name,)
        )
        return {tuple(json.loads(row["conv_key"])): json.loads(row["state"]) for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        conv_key = json.dumps(list(key))
        if new_state is None:
            self._written.pop((f"conversation:{name}", conv_key), None)
            await self._db.execute(
                "DELETE FROM ptb_conversations WHERE name = ? AND conv_key = ?", (name, conv_key)
            )
            return
        state = json.dumps(new_state)
        if self._unchanged(f"conversation:{name}", conv_key, state):
            return
        await self._db.execute(
            "INSERT INTO ptb_conversations (name, conv_key, state, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name, conv_key) DO UPDATE SET state = excluded.state,"
            " updated_at = excluded.updated_at",
            (name, conv_key, state, now_db()),
        )
        self._written[(f"conversation:{name}", conv_key)] = state

    async def update_user_data(self, user_id: int, data: Data) -> None:
        await self._upsert("ptb_user_data", "user_id", user_id, data)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        await self._upsert("ptb_chat_data", "chat_id", chat_id, data)

    async def update_bot_data(self, data: Data) -> None:
        await self._upsert("ptb_bot_data", "id", 1, data)

    async def update_callback_data(self, data: CDCData) -> None:
        buttons, mapping = data
        await self._upsert("ptb_callback_data", "id", 1, [[list(b) for b in buttons], mapping])

    async def drop_chat_data(self, chat_id: int) -> None:
        self._written[("ptb_chat_data", chat_id)] = NO_ROW
        await self._db.execute("DELETE FROM ptb_chat_data WHERE chat_id = ?", (chat_id,))

    async def drop_user_data(self, user_id: int) -> None:
        self._written[("ptb_user_data", user_id)] = NO_ROW
        await self._db.execute("DELETE FROM ptb_user_data WHERE user_id = ?", (user_id,))

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Alone, the copy in memory is the truth; shared, another replica may have written."""
        if self.shared:
            await self._reload("ptb_user_data", "user_id", user_id, user_data)

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Alone, the copy in memory is the truth; shared, another replica may have written."""
        if self.shared:
            await self._reload("ptb_chat_data", "chat_id", chat_id, chat_data)

    async def conversation_states(self, conv_key: tuple[int, ...]) -> dict[str, object]:
        """Every conversation's stored state for `conv_key`, by conversation name; what this
        process last wrote is forgotten, so an equal state is written again when it changes."""
        key = json.dumps(list(conv_key))
        rows = await self._db.fetchall(
            "SELECT name, state FROM ptb_conversations WHERE conv_key = ?", (key,)
        )
        for cached in [k for k in self._written if k[1] == key and str(k[0]).startswith(
                "conversation:")]:
            del self._written[cached]
        for row in rows:
            self._written[(f"conversation:{row['name']}", key)] = row["state"]
        return {row["name"]: json.loads(row["state"]) for row in rows}

    async def _reload(self, table: str, key_column: str, key: int, data: Data) -> None:
        row = await self._db.fetchone(
            f"SELECT data FROM {table} WHERE {key_column} = ?", (key,)
        )
        data.clear()
        if row is None:
            self._written[(table, key)] = NO_ROW  # read: a first write must still happen
            return
        data.update(json.loads(row["data"]))
        self._written[(table, key)] = row["data"]

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Nothing to do: one process owns the data, so the copy in memory is the truth."""

    async def flush(self) -> None:
        """Nothing is buffered: every update above was written when PTB handed it over."""

    def _unchanged(self, table: str, key: object, document: str) -> bool:
        """True when the row already holds exactly `document`."""
        return self._written.get((table, key)) == document

    async def _upsert(self, table: str, key_column: str, key: int, data: object) -> None:
        document = json.dumps(data, default=str)
        if self._unchanged(table, key, document):
            return
        if self.shared and table in SELLER_TABLES and (table, key) not in self._written:
            # Never read here: no update of theirs ran on this replica, so this is not their
            # data, and writing it would wipe what another replica keeps (the category step's
            # offered categories: every press of one then answered "moved on").
            return
        await self._db.execute(
            f"INSERT INTO {table} ({key_column}, data, updated_at) VALUES (?, ?, ?)"
            f" ON CONFLICT ({key_column}) DO UPDATE SET data = excluded.data,"
            " updated_at = excluded.updated_at",
            (key, document, now_db()),
        )
        self._written[(table, key)] = document
