"""What one replica does before handling a seller's update when others share the database.

Holding the seller's turn (storage/coordination.py), it first catches up: the seller's older
updates still unclaimed in the shared inbox (delivered to a replica that has not reached them,
or that died) are handled here, oldest first, so a seller's messages are answered in order
wherever each one landed. And since another replica may have moved the seller's conversation
on, the seller's conversation states are read back from the database before each update (their
user and chat data are read back by the persistence itself, python-telegram-bot's refresh hook).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import ConversationHandler

from storage.persistence import DatabasePersistence

if TYPE_CHECKING:
    from bot.context import DealScoutApplication

log = logging.getLogger(__name__)


class SellerCatchUp:
    """Runs under the seller's turn, before the update that brought the replica here."""

    def __init__(self, application: DealScoutApplication) -> None:
        self._application = application

    async def before(self, seller: int, update: object) -> None:
        await self.reload_conversations(seller)
        if not isinstance(update, Update):
            return
        app = self._application
        ledger = app.services.updates
        for update_id, payload in await ledger.unclaimed_of(seller, before=update.update_id):
            try:
                older = Update.de_json(json.loads(payload), app.bot)
                app.bot.insert_callback_data(older)
            except Exception:
                log.exception("update %s in the inbox is unreadable; dropped", update_id)
                await ledger.claim(update_id, seller)
                continue
            if not await ledger.claim(update_id, seller):
                continue  # another replica took it between the read and the claim
            log.info("seller %s: handling update %s before %s", seller, update_id,
                     update.update_id)
            await app.process_update(older)
            await app.update_persistence()

    async def reload_conversations(self, seller: int) -> None:
        """Each persistent conversation's state for the seller's private chat, as stored."""
        persistence = self._application.persistence
        if not isinstance(persistence, DatabasePersistence):
            return
        key = (seller, seller)  # (chat, user): a private chat's id is the user's
        states = await persistence.conversation_states(key)
        for handler in self._conversation_handlers():
            conversations = handler._conversations  # private: PTB has no refresh hook
            if handler.name in states:
                conversations.update_no_track({key: states[handler.name]})
            else:
                conversations.data.pop(key, None)  # untracked: nothing to write back

    def _conversation_handlers(self) -> list[ConversationHandler]:
        return [handler for group in self._application.handlers.values() for handler in group
                if isinstance(handler, ConversationHandler) and handler.persistent]
