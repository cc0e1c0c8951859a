"""Button presses the bot may answer: answerCallbackQuery accepts one answer per press, within
a window the test may set, and keeps count of the refused repeats."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from sandbox.telegram.errors import bad_request
from sandbox.telegram.params import Handler, Params
from sandbox.telegram.room import ChatRoom
from sandbox.telegram.seller import Seller

MAX_CALLBACK_ANSWER_LENGTH = 200
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class Press:
    """One tap on a callback button, as the callback_query the bot received."""

    seller: Seller  # who pressed: the answer pops up for them alone
    room: ChatRoom  # the chat of the message the button is on
    message_id: int
    data: str
    answered: bool = False
    answer_calls: int = 0  # every answerCallbackQuery for it, the refused ones included
    pressed_at: float = field(default_factory=time.monotonic)


class CallbacksApi:
    """answerCallbackQuery, and the presses it answers."""

    def __init__(self) -> None:
        self._presses: dict[str, Press] = {}
        # Telegram takes an answer to a press only for a short, undocumented while; None here
        # means no limit, a number of seconds models it.
        self.answer_seconds: float | None = None

    def methods(self) -> dict[str, Handler]:
        return {"answerCallbackQuery": self.answer_callback_query}

    def press(self, seller: Seller, message_id: int, data: str, *,
              room: ChatRoom | None = None) -> str:
        """Record a press (in `room`, the seller's private chat by default) and return the
        callback query id the bot must answer."""
        query_id = str(secrets.randbits(62))
        self._presses[query_id] = Press(seller, room or seller, message_id, data)
        return query_id

    def answered_more_than_once(self) -> list[tuple[int, str, int]]:
        """(user id, callback data, answerCallbackQuery calls) of presses answered twice or more."""
        return [(press.seller.user_id, press.data, press.answer_calls)
                for press in self._presses.values() if press.answer_calls > 1]

    async def answer_callback_query(self, params: Params) -> bool:
        query = self._presses.get(params.text("callback_query_id") or "")
        if query is not None:
            query.answer_calls += 1
        window = self.answer_seconds
        if (query is None or query.answered
                or (window is not None and time.monotonic() - query.pressed_at > window)):
            raise bad_request(QUERY_INVALID)
        text = params.text("text") or ""
        if len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        url = params.text("url")
        if url and not url.startswith(("https://t.me/", "tg://", "t.me/")):
            raise bad_request("URL_INVALID")
        query.answered = True
        answer = {"callback_query_id": params.text("callback_query_id"), "text": text or None,
                  "show_alert": params.boolean("show_alert"), "url": url,
                  "cache_time": params.integer("cache_time") or 0, "data": query.data,
                  "message_id": query.message_id}
        query.seller.callback_answers.append(answer)
        seen_by = "" if query.room is query.seller else f" to {query.seller.first_name}"
        if text:
            kind = "alert" if answer["show_alert"] else "toast"
            query.room.note(f"bot ⓘ ({kind}{seen_by}) {text}")
        if url:
            query.room.note(f"bot ⓘ (opens{seen_by}) {url}")
        query.seller.changed.notify()
        return True
