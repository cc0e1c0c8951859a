"""The Bot API methods that put, change or remove things in a chat: sending text, photos,
documents and albums, editing and deleting them, chat actions and getFile."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from sandbox.telegram.chat import MAX_ALBUM, ChatMessage, prefixed
from sandbox.telegram.errors import bad_request
from sandbox.telegram.formatting import FormattedText, format_text, utf16_len
from sandbox.telegram.keyboards import KeyboardValidator
from sandbox.telegram.media import MediaInput
from sandbox.telegram.params import INTEGER_SHAPE, Handler, Params, Upload
from sandbox.telegram.ratelimit import RateLimiter
from sandbox.telegram.room import ChatRoom

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class MessagesApi:
    """The methods that put, change or remove things in a chat."""

    def __init__(self, chats: Callable[[int], ChatRoom | None], media: MediaInput,
                 limiter: RateLimiter) -> None:
        self._chats = chats  # a chat by its id: a seller's private chat or a group
        self._media = media
        self._limiter = limiter
        self._keyboards = KeyboardValidator()

    def methods(self) -> dict[str, Handler]:
        return {
            "sendMessage": self.send_message, "sendPhoto": self.send_photo,
            "sendDocument": self.send_document, "sendMediaGroup": self.send_media_group,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message, "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
        }

    # ---- lookups and checks shared by the methods ---------------------------------------

    def _chat(self, params: Params) -> ChatRoom:
        raw = params.raw("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        text = str(raw).strip()
        chat = self._chats(int(text)) if INTEGER_SHAPE.fullmatch(text) else None
        if chat is None or not chat.started:
            raise bad_request("chat not found")
        return chat

    def _message(self, params: Params, missing: str) -> tuple[ChatRoom, ChatMessage]:
        """The chat and the message still in it that chat_id and message_id name."""
        chat = self._chat(params)
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.message(message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        return chat, message

    def _target(self, params: Params) -> tuple[ChatRoom, ChatMessage]:
        """The chat and bot message an edit names."""
        if params.text("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat, message = self._message(params, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    @staticmethod
    def _reply_target(chat: ChatRoom, params: Params) -> int | None:
        reply = params.structured("reply_parameters", "reply parameters")
        allow = params.boolean("allow_sending_without_reply")
        message_id: Any = params.integer("reply_to_message_id")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        message = chat.message(message_id) if isinstance(message_id, int) else None
        if message is None or message.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return message.message_id

    @staticmethod
    def _text(params: Params) -> FormattedText:
        source = params.text("text")
        if not source:
            raise bad_request("message text is empty")
        formatted = format_text(source, params.text("parse_mode"),
                                params.structured("entities", "entities"))
        if not formatted.text:
            raise bad_request("message text is empty")
        if utf16_len(formatted.text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return formatted

    @staticmethod
    def _caption(source: str | None, parse_mode: str | None,
                 entities: Any) -> FormattedText | None:
        if not source:
            return None
        formatted = format_text(source, parse_mode, entities)
        if utf16_len(formatted.text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return formatted if formatted.text else None

    def _params_caption(self, params: Params) -> FormattedText | None:
        return self._caption(params.text("caption"), params.text("parse_mode"),
                             params.structured("caption_entities", "caption entities"))

    def _markup(self, params: Params, chat: ChatRoom, *,
                inline_only: bool = False) -> dict[str, Any] | None:
        raw = params.structured("reply_markup", "reply keyboard markup")
        if inline_only:
            return self._keyboards.inline_only(raw)
        return self._keyboards.validate(raw, private=chat.is_private)

    def _post(self, chat: ChatRoom, params: Params, message: ChatMessage,
              markup: dict[str, Any] | None) -> dict[str, Any]:
        """Count the send against the rate limit and show the bot's message in the chat."""
        message.from_bot = True
        message.reply_markup = message.sent_markup = markup
        message.reply_to_message_id = self._reply_target(chat, params)
        message.protected = params.boolean("protect_content")
        self._limiter.acquire()
        chat.add(message, "bot → ")
        return chat.api_message(message)

    @staticmethod
    def _captioned(caption: FormattedText | None, source: str | None, parse_mode: str | None,
                   **content: Any) -> ChatMessage:
        """A photo or document message with its caption, as parsed and as sent."""
        return ChatMessage(**content, caption=caption.text if caption else None,
                           caption_entities=caption.entities if caption else [],
                           caption_html=source, parse_mode=parse_mode)

    @staticmethod
    def _edited(chat: ChatRoom, message: ChatMessage) -> dict[str, Any]:
        message.edits += 1
        message.edit_date = int(time.time())
        chat.note(prefixed("bot ✎ (edited) ", message.render()))
        return chat.api_message(message)

    # ---- sending ------------------------------------------------------------------------

    async def send_message(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        formatted = self._text(params)
        markup = self._markup(params, chat)
        message = ChatMessage(text=formatted.text, entities=formatted.entities,
                              html=params.text("text"), parse_mode=params.text("parse_mode"))
        return self._post(chat, params, message, markup)

    async def send_photo(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "photo")

    async def send_document(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "document")

    async def _send_media(self, params: Params, kind: str) -> dict[str, Any]:
        chat = self._chat(params)
        caption = self._params_caption(params)
        markup = self._markup(params, chat)
        content = await self._media_content(kind, self._media.reference(params, kind))
        message = self._captioned(caption, params.text("caption"), params.text("parse_mode"),
                                  **content)
        return self._post(chat, params, message, markup)

    async def _media_content(self, kind: str, source: Upload | str | None) -> dict[str, Any]:
        """The message fields for a photo or a document given as upload, file_id or URL."""
        if kind == "photo":
            return {"photo_sizes": [size.photo_size() for size in await self._media.photo(source)]}
        return {"document": await self._media.document(source)}

    async def send_media_group(self, params: Params) -> list[dict[str, Any]]:
        chat = self._chat(params)
        media = self._album_items(params.structured("media", "media"))
        prepared = []
        for item in media:
            caption = self._caption(item.get("caption"), item.get("parse_mode"),
                                    item.get("caption_entities"))
            content = await self._media_content(item["type"],
                                                self._media.attached(params, item["media"]))
            prepared.append(self._captioned(caption, item.get("caption"), item.get("parse_mode"),
                                            **content))
        reply_to = self._reply_target(chat, params)
        self._limiter.acquire()
        group = str(10**16 + secrets.randbelow(9 * 10**16))
        results = []
        for message in prepared:
            message.from_bot = True
            message.media_group_id = group
            message.reply_to_message_id = reply_to
            message.protected = params.boolean("protect_content")
            chat.add(message, "bot → ")
            results.append(chat.api_message(message))
        return results

    @staticmethod
    def _album_items(media: Any) -> list[dict[str, Any]]:
        if not media:
            raise bad_request("media to send are not specified")
        if not isinstance(media, list):
            raise bad_request("expected an Array of InputMedia")
        if not 2 <= len(media) <= MAX_ALBUM:
            raise bad_request("wrong number of media specified")
        for item in media:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise bad_request('can\'t parse InputMedia: Field "type" must be of type String')
            if item["type"] not in ("photo", "document"):
                raise bad_request(f"can't parse InputMedia: media type \"{item['type']}\" is not "
                                  "supported by the sandbox emulator")
            if not isinstance(item.get("media"), str):
                raise bad_request('can\'t parse InputMedia: Field "media" must be of type String')
        if len({item["type"] for item in media}) > 1:
            raise bad_request("document can't be mixed with other media types")
        return media

    # ---- changing and removing ----------------------------------------------------------

    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        chat, message = self._target(params)
        formatted = self._text(params)
        markup = self._markup(params, chat, inline_only=True)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        if (formatted.text, formatted.entities, markup) == (message.text, message.entities,
                                                            message.inline_markup):
            raise bad_request(NOT_MODIFIED)
        self._limiter.acquire()
        message.text, message.entities = formatted.text, formatted.entities
        message.html, message.parse_mode = params.text("text"), params.text("parse_mode")
        if markup is not None or message.inline_markup is not None:
            message.reply_markup = markup  # without reply_markup the inline keyboard goes
        return self._edited(chat, message)

    async def edit_message_caption(self, params: Params) -> dict[str, Any]:
        chat, message = self._target(params)
        caption = self._params_caption(params)
        markup = self._markup(params, chat, inline_only=True)
        if not (message.photo_sizes or message.document):
            raise bad_request("there is no caption in the message to edit")
        new_text = caption.text if caption else None
        new_entities = caption.entities if caption else []
        if (new_text, new_entities, markup) == (message.caption, message.caption_entities,
                                                message.inline_markup):
            raise bad_request(NOT_MODIFIED)
        self._limiter.acquire()
        message.caption, message.caption_entities = new_text, new_entities
        message.caption_html, message.parse_mode = params.text("caption"), params.text("parse_mode")
        if markup is not None or message.inline_markup is not None:
            message.reply_markup = markup
        return self._edited(chat, message)

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        chat, message = self._target(params)
        markup = self._markup(params, chat, inline_only=True)
        if markup == message.inline_markup:
            raise bad_request(NOT_MODIFIED)
        self._limiter.acquire()
        message.reply_markup = markup
        return self._edited(chat, message)

    async def delete_message(self, params: Params) -> bool:
        chat, message = self._message(params, "message to delete not found")
        message.deleted = True
        author = chat.author_name(message)
        chat.note(f"bot 🗑 deleted #{message.message_id} ({author}: {message.render()[0]})")
        return True

    # ---- the rest -----------------------------------------------------------------------

    async def send_chat_action(self, params: Params) -> bool:
        chat = self._chat(params)
        action = params.text("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.chat_actions.append(action)
        chat.changed.notify()
        return True

    async def get_file(self, params: Params) -> dict[str, Any]:
        file_id = params.text("file_id")
        if not file_id:
            raise bad_request("file_id is empty")
        stored = self._media.files.get(file_id)
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.file_size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return stored.file_object()
