"""The ExtBot the Application runs, forgiving about one thing: answering a press too late.

Telegram lets a bot answer a button press (answerCallbackQuery, which stops the spinner on the
seller's phone) only for a short while. A press handled after a restart, from the update inbox
or redelivered by Telegram, is past that; the refusal would abort its handler, and the seller
would lose what they pressed for. The spinner has long stopped by then, so the answer is
skipped and the handler carries on.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import BadRequest
from telegram.ext import AIORateLimiter, Defaults, ExtBot
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

QUERY_EXPIRED = "query is too old"

# What ApplicationBuilder would give the bot: a pool for concurrent handlers, one for polling.
CONNECTION_POOL_SIZE = 256


class DealScoutBot(ExtBot):
    async def answer_callback_query(self, callback_query_id: str, *args: Any,
                                    **kwargs: Any) -> bool:
        try:
            return await super().answer_callback_query(callback_query_id, *args, **kwargs)
        except BadRequest as exc:
            if QUERY_EXPIRED not in str(exc).lower():
                raise
            log.info("a press was handled too late to answer (after a restart); carrying on")
            return False


def build_bot(*, token: str, base_url: str, base_file_url: str, defaults: Defaults,
              rate_limiter: AIORateLimiter) -> DealScoutBot:
    """The bot with the settings ApplicationBuilder would have applied itself."""
    return DealScoutBot(
        token=token,
        base_url=base_url,
        base_file_url=base_file_url,
        defaults=defaults,
        rate_limiter=rate_limiter,
        request=HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
    )
