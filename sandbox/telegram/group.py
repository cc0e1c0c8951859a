"""Groups, supergroups and channels the bot was added to, their members, and what of their
messages reaches the bot.

Privacy mode, as Telegram documents it (core.telegram.org/bots/features#privacy-mode, and
BotFather's /setprivacy): a bot in privacy mode, which is every bot by default unless it is an
admin of the group, receives only commands meant for it, replies to its own messages and
messages that mention it by username. Everything else members write stays in the group: the bot
never hears of it. A bot admin, or a bot with privacy mode off, receives every message; a channel
sends the bot every post. The emulator has one bot, so a general command ("/post") counts as
meant for it, as Telegram counts it when the bot was the last bot to write in the group;
"/post@OtherBot" never reaches it in privacy mode.
"""

from __future__ import annotations

from typing import Any

from sandbox.telegram.acting import ChatActions, Chats
from sandbox.telegram.chat import ChatMessage
from sandbox.telegram.errors import EmulatorError
from sandbox.telegram.room import ChatRoom
from sandbox.telegram.seller import Seller

CHAT_KINDS = ("group", "supergroup", "channel")


class GroupChat(ChatRoom):
    """A group, supergroup or channel with the bot in it; tests act in it through members."""

    def __init__(self, emulator: Chats, chat_id: int, title: str, *, kind: str,
                 privacy_mode: bool, bot_is_admin: bool) -> None:
        if kind not in CHAT_KINDS:
            raise ValueError(f"a group chat is one of {', '.join(CHAT_KINDS)}, not {kind!r}")
        super().__init__(emulator, chat_id, f"{kind} {title}")
        self._emulator: Chats = emulator
        self.kind = kind
        self.title = title
        self.privacy_mode = privacy_mode
        self.bot_is_admin = bot_is_admin or kind == "channel"  # a bot in a channel is an admin
        self.started = True  # the bot was added: it may write here
        self.members: dict[int, Seller] = {}

    def add_member(self, seller: Seller) -> GroupMember:
        self.members[seller.user_id] = seller
        return GroupMember(self, seller)

    def member(self, seller: Seller) -> GroupMember:
        """The seller acting in this chat; they must be a member."""
        if seller.user_id not in self.members:
            raise EmulatorError(f"{seller.first_name} is not a member of {self.where}")
        return GroupMember(self, seller)

    @property
    def update_kind(self) -> str:
        """What a member's new message arrives as."""
        return "channel_post" if self.kind == "channel" else "message"

    # ---- what the bot sees --------------------------------------------------------------

    def chat(self) -> dict[str, Any]:
        return {"id": self.chat_id, "type": self.kind, "title": self.title}

    def author(self, message: ChatMessage) -> dict[str, Any]:
        if self.kind == "channel":  # posts are signed by the channel, not the admin
            return {"sender_chat": self.chat()}
        return {"from": self.members[message.sender_id or 0].user()}

    def author_name(self, message: ChatMessage) -> str:
        if message.from_bot:
            return "bot"
        if self.kind == "channel":
            return self.title
        return self.members[message.sender_id or 0].first_name

    def reaches_bot(self, message: ChatMessage) -> bool:
        """Whether Telegram hands this member's message to the bot (privacy mode above)."""
        if not self.privacy_mode or self.bot_is_admin:
            return True
        replied = self.message(message.reply_to_message_id or 0)
        if replied is not None and replied.from_bot:
            return True
        text = message.text if message.text is not None else (message.caption or "")
        entities = message.entities if message.text is not None else message.caption_entities
        me = self._emulator.bot_username.casefold()
        for entity in entities:
            marked = _entity_text(text, entity)
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                _, _, addressee = marked.partition("@")
                if not addressee or addressee.casefold() == me:
                    return True
            if entity["type"] == "mention" and marked[1:].casefold() == me:
                return True
        return False


class GroupMember(ChatActions):
    """A person acting in a group: what they send goes to the group, the buttons they press are
    the group's, and answers to their presses pop up for them alone."""

    def __init__(self, group: GroupChat, seller: Seller) -> None:
        self._group = group
        self._seller = seller
        self._emulator = group._emulator

    @property
    def _room(self) -> ChatRoom:
        return self._group

    @property
    def _person(self) -> Seller:
        return self._seller

    @property
    def seller(self) -> Seller:
        return self._seller


def _entity_text(text: str, entity: dict[str, Any]) -> str:
    """The part of the text an entity covers (its offset and length are in UTF-16 units)."""
    units = text.encode("utf-16-le")
    start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
    return units[start:end].decode("utf-16-le")
