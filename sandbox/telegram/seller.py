"""The human the tests play: one person in a private chat with the bot, who types, sends photos,
files and locations, presses buttons, opens links, and waits for the bot's answers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlencode

from sandbox.telegram.chat import MAX_ALBUM, ChatMessage, prefixed
from sandbox.telegram.errors import EmulatorError
from sandbox.telegram.files import StoredFile
from sandbox.telegram.formatting import command_entities, utf16_len
from sandbox.telegram.keyboards import KeyboardValidator
from sandbox.telegram.signals import Signal


class Chats(Protocol):
    """What a seller's side of a chat needs from the emulator (server.TelegramEmulator)."""

    token: str

    def bot_user(self, *, full: bool = False) -> dict[str, Any]: ...

    def from_seller(self, seller: Seller, message: ChatMessage) -> dict[str, Any]: ...

    def callback(self, seller: Seller, message: ChatMessage, data: str,
                 line: str) -> dict[str, Any]: ...

    def edited_by_seller(self, seller: Seller, message: ChatMessage) -> dict[str, Any]: ...

    async def store_photo(self, image: bytes) -> list[StoredFile]: ...

    async def store_document(self, data: bytes, *, file_name: str,
                             mime_type: str) -> dict[str, Any]: ...


def login_hash(fields: dict[str, str], token: str) -> str:
    """Telegram Login's signature over every field but `hash`."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()) if key != "hash")
    secret = hashlib.sha256(token.encode()).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


class Seller:
    """One person in a private chat with the bot; tests drive it as the human would."""

    def __init__(self, emulator: Chats, user_id: int, first_name: str, *,
                 username: str | None, last_name: str | None, language_code: str) -> None:
        self.user_id = user_id
        self.chat_id = user_id
        self.first_name = first_name
        self.username = username
        self.last_name = last_name
        self.language_code = language_code
        self.messages: list[ChatMessage] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.chat_actions: list[str] = []
        self.clipboard = ""  # what the last copy-text button or message copy put there
        self.chat_instance = str(-(10**18 + secrets.randbelow(8 * 10**18)))
        self.started = False
        self._emulator = emulator
        self._by_id: dict[int, ChatMessage] = {}
        self._from_bot: list[ChatMessage] = []
        self._last_message_id = 0
        self._cursor = 0
        self._log: list[str] = []
        self.changed = Signal()

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

    def _named(self, data: dict[str, Any]) -> dict[str, Any]:
        """The optional last_name and username added, as User and Chat objects carry them."""
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data

    def api_message(self, message: ChatMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """The Message object, current state, as Telegram would send or return it."""
        sender = self._emulator.bot_user() if message.from_bot else self.user()
        data: dict[str, Any] = {"message_id": message.message_id, "from": sender,
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

    # ---- acting as the human ------------------------------------------------------------

    async def send_text(self, text: str) -> dict[str, Any]:
        """Type and send a text; /commands in it get bot_command entities."""
        message = ChatMessage(text=text, entities=command_entities(text))
        return self._emulator.from_seller(self, message)

    async def send_command(self, command: str, args: str = "") -> dict[str, Any]:
        """Send "/command args", with the bot_command entity covering "/command"."""
        name = "/" + command.lstrip("/")
        text = f"{name} {args}" if args else name
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(name)}
        return self._emulator.from_seller(self, ChatMessage(text=text, entities=[entity]))

    async def send_photo(self, image: bytes, *, caption: str | None = None,
                         media_group_id: str | None = None) -> dict[str, Any]:
        """Send a photo; Telegram stores it as several JPEG sizes, each with its own file_id."""
        sizes = await self._emulator.store_photo(image)
        message = ChatMessage(photo_sizes=[size.photo_size() for size in sizes], caption=caption,
                              media_group_id=media_group_id)
        return self._emulator.from_seller(self, message)

    async def send_album(self, images: list[bytes], *,
                         caption: str | None = None) -> list[dict[str, Any]]:
        """Send 2-10 photos as one album: separate updates sharing a media_group_id."""
        if not 2 <= len(images) <= MAX_ALBUM:
            raise EmulatorError(f"An album holds 2-{MAX_ALBUM} photos, got {len(images)}")
        group = str(10**16 + secrets.randbelow(9 * 10**16))
        return [await self.send_photo(image, caption=caption if index == 0 else None,
                                      media_group_id=group)
                for index, image in enumerate(images)]

    async def send_document(self, data: bytes, *, file_name: str,
                            mime_type: str) -> dict[str, Any]:
        """Send a file as a document (uncompressed); images get a thumbnail, as in the apps."""
        document = await self._emulator.store_document(data, file_name=file_name,
                                                       mime_type=mime_type)
        return self._emulator.from_seller(self, ChatMessage(document=document))

    async def edit_text(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit one of the person's own text messages, as the apps allow (48 hours): Telegram
        sends the whole message again as an edited_message update."""
        message = self._by_id.get(message_id)
        if message is None or message.from_bot or message.text is None:
            raise EmulatorError(f"Message {message_id} is not a text this person sent")
        if message.text == text:
            raise EmulatorError("An edit must change the text")
        message.text, message.entities = text, command_entities(text)
        message.edits += 1
        message.edit_date = int(time.time())
        self.note(prefixed(f"{self.first_name} ✎ ", text.splitlines() or [""]))
        return self._emulator.edited_by_seller(self, message)

    async def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        """Share a location pin."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise EmulatorError(f"No such place: {latitude}, {longitude}")
        location = {"latitude": latitude, "longitude": longitude}
        return self._emulator.from_seller(self, ChatMessage(location=location))

    async def press(self, button_text: str, *, message_id: int | None = None) -> dict[str, Any]:
        """Tap a button: an inline callback button, or a reply keyboard's text button."""
        message, button = self._find_button(button_text, message_id)
        if "callback_data" in button:
            return self._emulator.callback(self, message, button["callback_data"],
                                           f"{self.first_name} ⟶ pressed [{button_text}]")
        if "url" in button:
            raise EmulatorError(f"[{button_text}] is a URL button ({button['url']}): it opens a "
                                "browser and sends nothing to the bot, so it cannot be pressed")
        if message.inline_markup is None:
            if any(button.get(name) for name in KeyboardValidator.REPLY_REQUESTS):
                raise EmulatorError(f"[{button_text}] asks for data (location, contact ...); "
                                    "use send_location or the matching send_* method")
            return await self.send_text(button_text)
        kinds = ", ".join(key for key in button if key != "text")
        raise EmulatorError(f"[{button_text}] is a {kinds} button, which the sandbox cannot press")

    def copy(self, button_text: str, *, message_id: int | None = None) -> str:
        """Tap a copy-text button: Telegram puts its text on the clipboard and tells the bot
        nothing. The clipboard's new text is returned (and noted in the transcript)."""
        _, button = self._find_button(button_text, message_id)
        if "copy_text" not in button:
            raise EmulatorError(f"[{button_text}] is not a copy-text button")
        self.clipboard = str(button["copy_text"]["text"])
        self.note(f"{self.first_name} ⟶ copied [{button_text}]")
        return self.clipboard

    def copy_message(self, message: ChatMessage) -> str:
        """Long-press a message and tap Copy: its whole text on the clipboard, nothing sent."""
        self.clipboard = message.text or message.caption or ""
        self.note(f"{self.first_name} ⟶ copied message #{message.message_id}")
        return self.clipboard

    def open_link(self, button_text: str, *, message_id: int | None = None) -> str:
        """The address a tap on a URL or Login URL button opens in the seller's browser.

        For a login_url button Telegram appends the seller's identity, signed the way the
        Telegram Login Widget signs it (HMAC-SHA256 of the sorted data-check-string, keyed
        with SHA-256 of the bot token), so the site can trust who opened the link.
        """
        _, button = self._find_button(button_text, message_id)
        self.note(f"{self.first_name} ⟶ opened [{button_text}]")
        if "url" in button:
            return str(button["url"])
        if "login_url" not in button:
            raise EmulatorError(f"[{button_text}] opens no link")
        fields = {"id": str(self.user_id), "first_name": self.first_name,
                  "auth_date": str(int(time.time()))}
        if self.username:
            fields["username"] = self.username
        if self.last_name:
            fields["last_name"] = self.last_name
        fields["hash"] = login_hash(fields, self._emulator.token)
        url = button["login_url"]["url"]
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}{urlencode(fields)}"

    async def press_data(self, message_id: int, data: str) -> dict[str, Any]:
        """Send raw callback data on a bot message, as a forged client could."""
        message = self._by_id.get(message_id)
        if message is None or not message.from_bot or message.deleted:
            raise EmulatorError(f"No live bot message #{message_id} in chat with "
                                f"{self.first_name}")
        return self._emulator.callback(self, message, data,
                                       f"{self.first_name} ⟶ sent callback data {data!r} on "
                                       f"#{message_id}")

    def _find_button(self, text: str,
                     message_id: int | None) -> tuple[ChatMessage, dict[str, Any]]:
        if message_id is not None:
            message = self._by_id.get(message_id)
            if message is None or not message.from_bot or message.deleted:
                raise EmulatorError(f"No live bot message #{message_id} in chat with "
                                    f"{self.first_name}")
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
        raise EmulatorError(f"No button [{text}] on {where} in chat with {self.first_name}. "
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
                    f"{what} in chat with {self.first_name} within {seconds} s. "
                    f"Chat so far:\n{self._tail()}"
                )
            await self.changed.wait(remaining)

    def _tail(self, lines: int = 20) -> str:
        return "\n".join(self._log[-lines:]) or "(nothing yet)"
