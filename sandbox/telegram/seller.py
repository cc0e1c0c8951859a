"""The human the tests play: one person in a private chat with the bot, who types, sends photos,
files and locations, presses buttons, opens links (the bot's own t.me links too), and waits for
the bot's answers. The same person can also be a member of groups (group.GroupMember)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.telegram.acting import ChatActions, Chats, login_hash
from sandbox.telegram.chat import ChatMessage
from sandbox.telegram.errors import EmulatorError
from sandbox.telegram.room import ChatRoom

# What a deep link's start parameter may hold (the Bot API: "A-Z, a-z, 0-9, _ and -", 1-64).
_START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")

__all__ = ["Chats", "Seller", "login_hash"]


class Seller(ChatRoom, ChatActions):
    """One person in a private chat with the bot; tests drive it as the human would."""

    def __init__(self, emulator: Chats, user_id: int, first_name: str, *,
                 username: str | None, last_name: str | None, language_code: str) -> None:
        super().__init__(emulator, user_id, f"chat with {first_name}")
        self._emulator: Chats = emulator
        self.user_id = user_id
        self.first_name = first_name
        self.username = username
        self.last_name = last_name
        self.language_code = language_code
        self.callback_answers: list[dict[str, Any]] = []
        self.clipboard = ""  # what the last copy-text button or message copy put there

    @property
    def _room(self) -> ChatRoom:
        return self

    @property
    def _person(self) -> Seller:
        return self

    # ---- what the bot sees --------------------------------------------------------------

    def user(self) -> dict[str, Any]:
        """The User object Telegram sends for this person."""
        user = self._named({"id": self.user_id, "is_bot": False, "first_name": self.first_name})
        user["language_code"] = self.language_code
        return user

    def chat(self) -> dict[str, Any]:
        """The Chat object of the private chat."""
        chat = self._named({"id": self.chat_id, "first_name": self.first_name})
        chat["type"] = "private"
        return chat

    def author(self, message: ChatMessage) -> dict[str, Any]:
        return {"from": self.user()}

    def author_name(self, message: ChatMessage) -> str:
        return "bot" if message.from_bot else self.first_name

    def _named(self, data: dict[str, Any]) -> dict[str, Any]:
        """The optional last_name and username added, as User and Chat objects carry them."""
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data

    # ---- the bot's own links ------------------------------------------------------------

    async def open_bot_link(self, url: str) -> dict[str, Any]:
        """Open t.me/<bot>?start=<payload> (tapped anywhere: a group, a browser): Telegram opens
        the private chat with the bot and sends "/start <payload>" from it."""
        parts = urlsplit(url)
        username = parts.path.strip("/")
        if (parts.scheme != "https" or parts.hostname not in ("t.me", "telegram.me")
                or username.casefold() != self._emulator.bot_username.casefold()):
            raise EmulatorError(f"{url} is not a link to @{self._emulator.bot_username}")
        payload = parse_qs(parts.query).get("start", [""])[0]
        if payload and not _START_PAYLOAD.fullmatch(payload):
            raise EmulatorError(f"Telegram ignores the start parameter {payload!r} in {url}")
        self.note(f"{self.first_name} ⟶ opened {url}")
        return await self.send_command("start", payload)
