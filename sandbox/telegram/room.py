"""One chat as the people in it see it: its messages in order (edits and deletions applied in
place), the bot's among them, the transcript, the buttons on them, and waiting for the bot.

A private chat (seller.Seller) and a group, supergroup or channel (group.GroupChat) are both
rooms; they differ in the Chat object, in who a message is from, and in what reaches the bot.
"""

from __future__ import annotations

import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Protocol

from sandbox.telegram.chat import ChatMessage, prefixed
from sandbox.telegram.errors import EmulatorError
from sandbox.telegram.signals import Signal


class BotIdentity(Protocol):
    """What a room needs to know of the bot (server.TelegramEmulator)."""

    bot_username: str

    def bot_user(self, *, full: bool = False) -> dict[str, Any]: ...


class ChatRoom(ABC):
    """The messages of one chat and everything a test reads or waits for in it."""

    kind = "private"  # Chat.type: private, group, supergroup or channel

    def __init__(self, emulator: BotIdentity, chat_id: int, where: str) -> None:
        self.chat_id = chat_id
        self.where = where  # "chat with Ana", "group Flea market": for errors and transcripts
        self.messages: list[ChatMessage] = []
        self.chat_actions: list[str] = []
        self.chat_instance = str(-(10**18 + secrets.randbelow(8 * 10**18)))
        self.started = False  # the bot may write here (a seller wrote first, a group added it)
        self.changed = Signal()
        self._emulator = emulator
        self._by_id: dict[int, ChatMessage] = {}
        self._from_bot: list[ChatMessage] = []
        self._last_message_id = 0
        self._cursor = 0
        self._log: list[str] = []

    @property
    def is_private(self) -> bool:
        return self.kind == "private"

    @property
    def update_kind(self) -> str:
        """What a new message in this chat arrives as: "message" (a channel's: "channel_post")."""
        return "message"

    def reaches_bot(self, message: ChatMessage) -> bool:
        """Whether Telegram hands a person's message here to the bot: in a private chat, always."""
        return True

    # ---- what the bot sees (each kind of room fills these in) ---------------------------

    @abstractmethod
    def chat(self) -> dict[str, Any]:
        """The Chat object of this chat."""

    @abstractmethod
    def author(self, message: ChatMessage) -> dict[str, Any]:
        """Who a message not from the bot is from: {"from": User} or {"sender_chat": Chat}."""

    @abstractmethod
    def author_name(self, message: ChatMessage) -> str:
        """The name the transcript gives the author of a message."""

    def api_message(self, message: ChatMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """The Message object, current state, as Telegram would send or return it."""
        sender = ({"from": self._emulator.bot_user()} if message.from_bot
                  else self.author(message))
        data: dict[str, Any] = {"message_id": message.message_id, **sender,
                                "chat": self.chat(), "date": message.date}
        if message.edit_date:
            data["edit_date"] = message.edit_date
        if message.media_group_id:
            data["media_group_id"] = message.media_group_id
        if message.protected:
            data["has_protected_content"] = True
        replied = self._by_id.get(message.reply_to_message_id or 0)
        if with_reply and replied:
            data["reply_to_message"] = self.api_message(replied, with_reply=False)
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.photo_sizes:
            data["photo"] = message.photo_sizes
        if message.document:
            data["document"] = message.document
        if message.location:
            data["location"] = message.location
        if message.caption is not None:
            data["caption"] = message.caption
            if message.caption_entities:
                data["caption_entities"] = message.caption_entities
        if message.inline_markup:
            data["reply_markup"] = message.inline_markup
        return data

    # ---- the chat's state ---------------------------------------------------------------

    @property
    def bot_messages(self) -> list[ChatMessage]:
        """The bot's messages in order; deleted ones stay, flagged deleted."""
        return list(self._from_bot)

    def message(self, message_id: int) -> ChatMessage | None:
        return self._by_id.get(message_id)

    def transcript(self) -> str:
        return "\n".join(self._log)

    def add(self, message: ChatMessage, line_prefix: str) -> ChatMessage:
        """Give the message its id and date, append it, log it and wake waiters."""
        self._last_message_id += 1
        message.message_id = self._last_message_id
        message.date = int(time.time())
        self.messages.append(message)
        self._by_id[message.message_id] = message
        if message.from_bot:
            self._from_bot.append(message)
        self.note(prefixed(line_prefix, message.render()))
        return message

    def note(self, line: str) -> None:
        self._log.append(line)
        self.changed.notify()

    def find_button(self, text: str,
                    message_id: int | None) -> tuple[ChatMessage, dict[str, Any]]:
        """The live bot message (the one named, else the newest) with a button of this text."""
        if message_id is not None:
            message = self._by_id.get(message_id)
            if message is None or not message.from_bot or message.deleted:
                raise EmulatorError(f"No live bot message #{message_id} in {self.where}")
            candidates = [message]
        else:
            candidates = [m for m in reversed(self.bot_messages) if not m.deleted]
        for message in candidates:
            button = message.find_button(text)
            if button is not None:
                return message, button
        seen = "; ".join(f"#{m.message_id}: " + " ".join(f"[{t}]" for row in m.buttons for t in row)
                         for m in candidates if m.buttons) or "none"
        where = f"message #{message_id}" if message_id is not None else "any bot message"
        raise EmulatorError(f"No button [{text}] on {where} in {self.where}. "
                            f"Buttons there: {seen}")

    # ---- waiting for the bot ------------------------------------------------------------

    async def next_message(self, timeout: float = 5.0) -> ChatMessage:  # noqa: ASYNC109
        """The next bot message not yet returned by this method (FIFO), waiting up to timeout."""
        await self._wait_until(
            lambda: self._cursor < len(self._from_bot), timeout, "No new bot message"
        )
        self._cursor += 1
        return self._from_bot[self._cursor - 1]

    def read_all(self) -> list[ChatMessage]:
        """Every bot message `next_message` has not returned yet; they count as read now."""
        unread = self._from_bot[self._cursor:]
        self._cursor = len(self._from_bot)
        return unread

    async def wait_for(self, predicate: Callable[[list[ChatMessage]], bool],
                       timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until predicate(self.messages) holds; re-checked on every change, edits too."""
        await self._wait_until(lambda: predicate(self.messages), timeout, "Condition not met")

    async def _wait_until(self, check: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not check():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"{what} in {self.where} within {seconds} s. "
                    f"Chat so far:\n{self._tail()}"
                )
            await self.changed.wait(remaining)

    def _tail(self, lines: int = 20) -> str:
        return "\n".join(self._log[-lines:]) or "(nothing yet)"
