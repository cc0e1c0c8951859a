"""The ExtBot the Application runs: buttons carry typed values (bot/buttons.py), fetched
updates are written to the inbox before Telegram can be told they arrived, and a press answered
too late is forgiven.

Telegram lets a bot answer a button press (answerCallbackQuery, which stops the spinner on the
seller's phone) only for a short while. A press handled after a restart, from the update inbox
or redelivered by Telegram, is past that; the refusal would abort its handler, and the seller
would lose what they pressed for. The spinner has long stopped by then, so the answer is
skipped and the handler carries on.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import AIORateLimiter, Defaults, ExtBot
from telegram.request import HTTPXRequest

from bot.buttons import ButtonCodec
from bot.inbox import Inbox
from marketplaces.http import tls_context

log = logging.getLogger(__name__)

QUERY_EXPIRED = "query is too old"

# What ApplicationBuilder would give the bot: a pool for concurrent handlers, one for polling.
CONNECTION_POOL_SIZE = 256


class DealScoutBot(ExtBot):
    def __init__(self, *args: Any, inbox: Inbox | None = None, **kwargs: Any) -> None:
        super().__init__(*args, arbitrary_callback_data=True, **kwargs)
        # PTB's arbitrary callback data, kept in the buttons rather than in a process's memory.
        self._callback_data_cache = ButtonCodec(self)
        self._inbox = inbox
        self._fetched: list[dict[str, Any]] | None = None  # getUpdates' last answer, as sent

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Fetch, then write the batch down before the Updater queues it (and so before the
        next call confirms it to Telegram)."""
        self._fetched = None
        updates = await super().get_updates(*args, **kwargs)
        if updates and self._inbox is not None:
            await self._inbox.keep(updates, as_sent=self._fetched)
        return updates

    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        """Every API call; getUpdates' answer is also kept as Telegram sent it, for the inbox.
        Only the one polling loop calls getUpdates, so one slot is enough."""
        result = await super()._post(endpoint, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            self._fetched = result
        return result

    async def answer_callback_query(self, callback_query_id: str, *args: Any,
                                    **kwargs: Any) -> bool:
        try:
            return await super().answer_callback_query(callback_query_id, *args, **kwargs)
        except BadRequest as exc:
            if QUERY_EXPIRED not in str(exc).lower():
                raise
            # Telegram says the same for a press answered twice; the operator should see it.
            log.warning("answering a press was refused (too late after a restart, or answered "
                        "already); carrying on")
            return False


def build_bot(*, token: str, base_url: str, base_file_url: str, defaults: Defaults,
              rate_limiter: AIORateLimiter, inbox: Inbox) -> DealScoutBot:
    """The bot with the settings ApplicationBuilder would have applied itself; its two clients
    share the process's one TLS context (building one reads the whole CA bundle)."""
    tls = {"verify": tls_context()}
    return DealScoutBot(
        inbox=inbox,
        token=token,
        base_url=base_url,
        base_file_url=base_file_url,
        defaults=defaults,
        rate_limiter=rate_limiter,
        request=HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE, httpx_kwargs=tls),
        get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls),
    )
