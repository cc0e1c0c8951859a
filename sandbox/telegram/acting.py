"""What a person does in a chat, as the Telegram app does it for them: type, send photos, files
and locations, press buttons, copy, open links. A seller in their private chat (seller.Seller)
and a member of a group (group.GroupMember) act the same way; only the room differs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from sandbox.telegram.chat import MAX_ALBUM, ChatMessage, prefixed
from sandbox.telegram.errors import EmulatorError
from sandbox.telegram.files import StoredFile
from sandbox.telegram.formatting import user_entities, utf16_len
from sandbox.telegram.keyboards import KeyboardValidator
from sandbox.telegram.room import ChatRoom

if TYPE_CHECKING:
    from sandbox.telegram.seller import Seller


class Chats(Protocol):
    """What a person's side of a chat needs from the emulator (server.TelegramEmulator)."""

    token: str
    bot_username: str

    def bot_user(self, *, full: bool = False) -> dict[str, Any]: ...

    def send_in(self, room: ChatRoom, person: Seller,
                message: ChatMessage) -> dict[str, Any] | None: ...

    def callback(self, seller: Seller, message: ChatMessage, data: str, line: str, *,
                 room: ChatRoom | None = None) -> dict[str, Any]: ...

    def edited_in(self, chat: ChatRoom, message: ChatMessage) -> dict[str, Any] | None: ...

    async def store_photo(self, image: bytes) -> list[StoredFile]: ...

    async def store_document(self, data: bytes, *, file_name: str,
                             mime_type: str) -> dict[str, Any]: ...


def login_hash(fields: dict[str, str], token: str) -> str:
    """Telegram Login's signature over every field but `hash`."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()) if key != "hash")
    secret = hashlib.sha256(token.encode()).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


class ChatActions(ABC):
    """A person's hands in one room: every action posts to that room or presses in it."""

    _emulator: Chats

    @property
    @abstractmethod
    def _room(self) -> ChatRoom:
        """The chat these hands act in."""

    @property
    @abstractmethod
    def _person(self) -> Seller:
        """Whose hands they are."""

    def _send(self, message: ChatMessage) -> dict[str, Any] | None:
        """Post the message in the room; its update, or None when the bot never gets it."""
        return self._emulator.send_in(self._room, self._person, message)

    async def send_text(self, text: str, *,
                        reply_to: ChatMessage | None = None) -> dict[str, Any] | None:
        """Type and send a text (as a reply to `reply_to` when given); /commands and @mentions
        in it get their entities, as the apps mark them."""
        message = ChatMessage(text=text, entities=user_entities(text))
        if reply_to is not None:
            message.reply_to_message_id = reply_to.message_id
        return self._send(message)

    async def send_command(self, command: str, args: str = "") -> dict[str, Any] | None:
        """Send "/command args", with the bot_command entity covering "/command" (which may
        name a bot: "post@DealScoutBot")."""
        name = "/" + command.lstrip("/")
        text = f"{name} {args}" if args else name
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(name)}
        return self._send(ChatMessage(text=text, entities=[entity]))

    async def send_photo(self, image: bytes, *, caption: str | None = None,
                         media_group_id: str | None = None) -> dict[str, Any] | None:
        """Send a photo; Telegram stores it as several JPEG sizes, each with its own file_id."""
        sizes = await self._emulator.store_photo(image)
        message = ChatMessage(photo_sizes=[size.photo_size() for size in sizes], caption=caption,
                              media_group_id=media_group_id)
        return self._send(message)

    async def send_album(self, images: list[bytes], *,
                         caption: str | None = None) -> list[dict[str, Any]]:
        """Send 2-10 photos as one album: separate updates sharing a media_group_id (those
        the bot receives)."""
        if not 2 <= len(images) <= MAX_ALBUM:
            raise EmulatorError(f"An album holds 2-{MAX_ALBUM} photos, got {len(images)}")
        group = str(10**16 + secrets.randbelow(9 * 10**16))
        return [update for index, image in enumerate(images)
                if (update := await self.send_photo(image, media_group_id=group,
                                                    caption=caption if index == 0 else None))]

    async def send_document(self, data: bytes, *, file_name: str,
                            mime_type: str) -> dict[str, Any] | None:
        """Send a file as a document (uncompressed); images get a thumbnail, as in the apps."""
        document = await self._emulator.store_document(data, file_name=file_name,
                                                       mime_type=mime_type)
        return self._send(ChatMessage(document=document))

    async def edit_text(self, message_id: int, text: str) -> dict[str, Any] | None:
        """Edit one of the person's own texts, as the apps allow (48 hours): Telegram sends the
        whole message again as an edited_message update."""
        message = self._room.message(message_id)
        mine = message is not None and not message.from_bot and message.text is not None and (
            self._room.is_private or message.sender_id == self._person.user_id)
        if not mine:
            raise EmulatorError(f"Message {message_id} is not a text this person sent")
        if message.text == text:
            raise EmulatorError("An edit must change the text")
        message.text, message.entities = text, user_entities(text)
        message.edits += 1
        message.edit_date = int(time.time())
        self._room.note(prefixed(f"{self._person.first_name} ✎ ", text.splitlines() or [""]))
        return self._emulator.edited_in(self._room, message)

    async def send_location(self, latitude: float, longitude: float) -> dict[str, Any] | None:
        """Share a location pin."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise EmulatorError(f"No such place: {latitude}, {longitude}")
        location = {"latitude": latitude, "longitude": longitude}
        return self._send(ChatMessage(location=location))

    async def press(self, button_text: str, *,
                    message_id: int | None = None) -> dict[str, Any] | None:
        """Tap a button: an inline callback button, or a reply keyboard's text button."""
        message, button = self._room.find_button(button_text, message_id)
        name = self._person.first_name
        if "callback_data" in button:
            return self._emulator.callback(self._person, message, button["callback_data"],
                                           f"{name} ⟶ pressed [{button_text}]", room=self._room)
        if "url" in button:
            raise EmulatorError(f"[{button_text}] is a URL button ({button['url']}): it opens a "
                                "browser and sends nothing to the bot, so it cannot be pressed")
        if message.inline_markup is None:
            if any(button.get(kind) for kind in KeyboardValidator.REPLY_REQUESTS):
                raise EmulatorError(f"[{button_text}] asks for data (location, contact ...); "
                                    "use send_location or the matching send_* method")
            return await self.send_text(button_text)
        kinds = ", ".join(key for key in button if key != "text")
        raise EmulatorError(f"[{button_text}] is a {kinds} button, which the sandbox cannot press")

    def copy(self, button_text: str, *, message_id: int | None = None) -> str:
        """Tap a copy-text button: Telegram puts its text on the clipboard and tells the bot
        nothing. The clipboard's new text is returned (and noted in the transcript)."""
        _, button = self._room.find_button(button_text, message_id)
        if "copy_text" not in button:
            raise EmulatorError(f"[{button_text}] is not a copy-text button")
        self._person.clipboard = str(button["copy_text"]["text"])
        self._room.note(f"{self._person.first_name} ⟶ copied [{button_text}]")
        return self._person.clipboard

    def copy_message(self, message: ChatMessage) -> str:
        """Long-press a message and tap Copy: its whole text on the clipboard, nothing sent."""
        self._person.clipboard = message.text or message.caption or ""
        self._room.note(f"{self._person.first_name} ⟶ copied message #{message.message_id}")
        return self._person.clipboard

    def open_link(self, button_text: str, *, message_id: int | None = None) -> str:
        """The address a tap on a URL or Login URL button opens in the person's browser.

        For a login_url button Telegram appends the person's identity, signed the way the
        Telegram Login Widget signs it (HMAC-SHA256 of the sorted data-check-string, keyed
        with SHA-256 of the bot token), so the site can trust who opened the link.
        """
        _, button = self._room.find_button(button_text, message_id)
        person = self._person
        self._room.note(f"{person.first_name} ⟶ opened [{button_text}]")
        if "url" in button:
            return str(button["url"])
        if "login_url" not in button:
            raise EmulatorError(f"[{button_text}] opens no link")
        fields = {"id": str(person.user_id), "first_name": person.first_name,
                  "auth_date": str(int(time.time()))}
        if person.username:
            fields["username"] = person.username
        if person.last_name:
            fields["last_name"] = person.last_name
        fields["hash"] = login_hash(fields, self._emulator.token)
        url = button["login_url"]["url"]
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}{urlencode(fields)}"

    async def press_data(self, message_id: int, data: str) -> dict[str, Any]:
        """Send raw callback data on a bot message, as a forged client could."""
        message = self._room.message(message_id)
        if message is None or not message.from_bot or message.deleted:
            raise EmulatorError(f"No live bot message #{message_id} in {self._room.where}")
        return self._emulator.callback(self._person, message, data,
                                       f"{self._person.first_name} ⟶ sent callback data "
                                       f"{data!r} on #{message_id}", room=self._room)

