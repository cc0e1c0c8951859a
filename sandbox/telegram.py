"""A strict Telegram Bot API emulator, served over real HTTP with aiohttp.

Why: the bot's tests and demo must run the real python-telegram-bot stack against something that
fails the way api.telegram.org fails. The emulator refuses what Telegram refuses, with Telegram's
status codes and description texts, and sends every field PTB needs to parse an update (PTB drops
an update with only a log line when one is missing).

Point PTB at it::

    emulator = TelegramEmulator()
    await emulator.start()
    app = (ApplicationBuilder().token(emulator.token).base_url(emulator.base_url)
           .base_file_url(emulator.base_file_url).build())

and play the human with ``emulator.seller(...)``: ``send_text``, ``send_photo``, ``press`` ...

Where the emulator knowingly differs from api.telegram.org:

* Webhook URLs may be http or https, on any host and port, like the local Bot API server
  (``telegram-bot-api --local``); api.telegram.org wants https on ports 80, 88, 443 or 8443.
* URL buttons may point at loopback (the sandbox marketplaces live there). ``sendPhoto`` and
  ``sendDocument`` fetch an http(s) URL only when it is on loopback, so nothing leaves the machine.
* A bare "&" in HTML text is refused, as the Bot API documentation demands ("All <, > and &
  symbols that are not a part of a tag or an HTML entity must be replaced"); the real server
  lets it through as a literal. Escaping with ``html.escape`` satisfies both.
* Webhook delivery is one update at a time, in order; a failed post is retried
  ``WEBHOOK_ATTEMPTS`` times with a short backoff, then the update is dropped and the error is
  shown by getWebhookInfo (Telegram keeps trying for hours). max_connections is only stored.
* Rate limit: one sliding one-second window over the sending methods (sendMessage, sendPhoto,
  sendDocument, sendMediaGroup and the three editMessage* methods), one count per call.
  sendChatAction, answerCallbackQuery and deleteMessage are not limited. Telegram also limits
  per chat; the emulator does not.
* Telegram accepts an answer to a button press only for a short while, and does not document
  how long; the emulator sets no limit unless ``callback_answer_seconds`` is given one.
* Only private chats with sellers exist. Text lengths are counted in UTF-16 code units, after
  entity parsing and after trimming surrounding whitespace, as Telegram trims.
* Only parse_mode HTML and plain text (with or without explicit entities) are modelled: a
  text or caption sent with parse_mode MarkdownV2 or Markdown is refused with 400 "parse_mode
  ... is not modelled by the sandbox emulator", where Telegram would parse it.
* Inline mode, games, payments, video and audio are not modelled; they are refused clearly.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import io
import ipaddress
import itertools
import json
import math
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp import web
from PIL import Image, ImageOps

DEFAULT_TOKEN = "123456789:AAE-sandbox-token-for-local-use-only0"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100
MAX_ALBUM = 10
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_PHOTO_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PHOTO_SIDES = (90, 320, 800, 1280)
WEBHOOK_ATTEMPTS = 5
WEBHOOK_BACKOFF_SECONDS = 0.05

CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
UPDATE_TYPES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages",
    "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
    "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
    "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost",
})
DEFAULT_ALLOWED_UPDATES = UPDATE_TYPES - {"chat_member", "message_reaction",
                                          "message_reaction_count"}
# The Markdown dialects the bot never sends: refused by name rather than parsed.
UNMODELLED_PARSE_MODES = {"markdownv2": "MarkdownV2", "markdown": "Markdown"}
COMMAND_SCOPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})

_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_SHAPE = re.compile(r"[a-z0-9_]{1,32}")
_INTEGER_SHAPE = re.compile(r"\s*-?\d+\s*")
_COMMAND_IN_TEXT = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)


class ApiError(Exception):
    """A refusal worded as Telegram words it; becomes the HTTP error response."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends with this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code,
                                "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    """Telegram prefixes every 400 description with "Bad Request: "."""
    return ApiError(400, f"Bad Request: {text}")


class EmulatorError(Exception):
    """A test asked the seller to do something a human could not (press a missing button ...)."""


def utf16_len(text: str) -> int:
    """Telegram measures offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def login_hash(fields: dict[str, str], token: str) -> str:
    """Telegram Login's signature over every field but `hash`."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()) if key != "hash")
    secret = hashlib.sha256(token.encode()).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def _now() -> int:
    return int(time.time())


def _opaque(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_http_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


# --------------------------------------------------------------------------------------------
# Formatted text: Telegram's HTML dialect, with its error texts.
# --------------------------------------------------------------------------------------------


@dataclass
class FormattedText:
    """Plain text plus MessageEntity dicts, as Telegram stores a message after parsing."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


class _TextBuilder:
    """Accumulates plain text and knows its length in UTF-16 units (entity offsets)."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.utf16 = 0

    def add(self, text: str) -> None:
        self._parts.append(text)
        self.utf16 += utf16_len(text)

    def text(self) -> str:
        return "".join(self._parts)


def _entities_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def _sorted_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda entity: (entity["offset"], -entity["length"]))


def _link_url(url: str) -> str | None:
    """The URL a text link ends up with, or None when Telegram would drop the link."""
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url if "://" in url or url.startswith("tg:") else f"http://{url}")
    if parts.scheme in ("http", "https"):
        return parts.geturl() if parts.hostname else None
    return url if parts.scheme in ("tg", "ton", "mailto") else None


@dataclass
class _OpenTag:
    name: str
    start: int
    argument: str = ""


class HtmlParser:
    """Telegram's HTML dialect: its tag set, its entity rules and its error texts."""

    ENTITY_TYPES: ClassVar[dict[str, str]] = {
        "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
        "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
        "del": "strikethrough", "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link",
        "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
    }
    NAMED: ClassVar[dict[str, str]] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
    _REFERENCE = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z]{1,8}));")
    _PLAIN_RUN = re.compile(r"[^&<]+")
    _NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")

    def __init__(self, source: str) -> None:
        self._src = source
        self._pos = 0
        self._out = _TextBuilder()
        self._stack: list[_OpenTag] = []
        self._entities: list[dict[str, Any]] = []

    def parse(self) -> FormattedText:
        """Plain text and entities, or ApiError with Telegram's byte offset of the fault."""
        src = self._src
        while self._pos < len(src):
            run = self._PLAIN_RUN.match(src, self._pos)
            if run:
                self._out.add(run.group())
                self._pos = run.end()
            elif src[self._pos] == "&":
                self._reference()
            elif src.startswith("</", self._pos):
                self._end_tag()
            else:
                self._start_tag()
        if self._stack:
            raise _entities_error(
                f'Can\'t find end tag corresponding to start tag "{self._stack[-1].name}"'
            )
        for entity in self._entities:
            entity.pop("_language", None)
        return FormattedText(self._out.text(), _sorted_entities(self._entities))

    def _at(self, index: int) -> int:
        return len(self._src[:index].encode("utf-8"))

    def _decode(self, index: int) -> tuple[str, int] | None:
        match = self._REFERENCE.match(self._src, index)
        if not match:
            return None
        if match.group(3):
            char = self.NAMED.get(match.group(3))
            return (char, match.end()) if char else None
        code = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end()

    def _reference(self) -> None:
        decoded = self._decode(self._pos)
        if decoded is None:
            raise _entities_error(
                f'Character "&" at byte offset {self._at(self._pos)} must be escaped as "&amp;"'
            )
        self._out.add(decoded[0])
        self._pos = decoded[1]

    def _start_tag(self) -> None:
        src, begin = self._src, self._pos
        end = begin + 1
        while end < len(src) and not src[end].isspace() and src[end] != ">":
            end += 1
        if end >= len(src):
            raise _entities_error(f"Unclosed start tag at byte offset {self._at(begin)}")
        name = src[begin + 1:end].lower()
        if name not in self.ENTITY_TYPES:
            raise _entities_error(
                f'Unsupported start tag "{name}" at byte offset {self._at(begin)}'
            )
        attributes, self._pos = self._attributes(name, begin, end)
        self._stack.append(_OpenTag(name, self._out.utf16, self._argument(name, attributes,
                                                                          begin)))

    def _attributes(self, name: str, begin: int, pos: int) -> tuple[dict[str, str], int]:
        src, attributes = self._src, {}
        while True:
            while pos < len(src) and src[pos].isspace():
                pos += 1
            if pos >= len(src):
                raise _entities_error(
                    f'Unclosed start tag "{name}" at byte offset {self._at(begin)}'
                )
            if src[pos] == ">":
                return attributes, pos + 1
            name_end = pos
            while name_end < len(src) and not src[name_end].isspace() and src[name_end] not in "=>":
                name_end += 1
            attribute = src[pos:name_end].lower()
            if not attribute:
                raise _entities_error(
                    f'Empty attribute name in the tag "{name}" at byte offset {self._at(begin)}'
                )
            pos = name_end
            while pos < len(src) and src[pos].isspace():
                pos += 1
            value = ""
            if pos < len(src) and src[pos] == "=":
                pos += 1
                while pos < len(src) and src[pos].isspace():
                    pos += 1
                if pos >= len(src):
                    raise _entities_error(
                        f'Unclosed start tag "{name}" at byte offset {self._at(begin)}'
                    )
                value, pos = self._attribute_value(begin, pos)
            attributes[attribute] = value

    def _attribute_value(self, begin: int, pos: int) -> tuple[str, int]:
        src = self._src
        if src[pos] in "\"'":
            quote, pos, chars = src[pos], pos + 1, []
            while pos < len(src) and src[pos] != quote:
                decoded = self._decode(pos) if src[pos] == "&" else None
                if decoded:
                    chars.append(decoded[0])
                    pos = decoded[1]
                else:
                    chars.append(src[pos])
                    pos += 1
            if pos >= len(src):
                raise _entities_error(f"Unclosed start tag at byte offset {self._at(begin)}")
            return "".join(chars), pos + 1
        token = self._NAME_TOKEN.match(src, pos)
        assert token is not None  # the pattern also matches the empty string
        end = token.end()
        if end >= len(src) or not (src[end].isspace() or src[end] == ">"):
            raise _entities_error(f"Unexpected end of name token at byte offset {self._at(end)}")
        return token.group().lower(), end

    def _argument(self, name: str, attributes: dict[str, str], begin: int) -> str:
        if name == "a":
            return attributes.get("href", "")
        if name == "code":
            css = attributes.get("class", "")
            return css.removeprefix("language-") if css.startswith("language-") else ""
        if name == "span":
            if attributes.get("class") != "tg-spoiler":
                raise _entities_error(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {self._at(begin)}'
                )
            return ""
        if name == "tg-emoji":
            emoji_id = attributes.get("emoji-id", "")
            if not emoji_id.isdigit():
                raise _entities_error(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                    f"{self._at(begin)}"
                )
            return emoji_id
        if name == "blockquote":
            return "expandable" if "expandable" in attributes else ""
        return ""

    def _end_tag(self) -> None:
        src, begin = self._src, self._pos
        if not self._stack:
            raise _entities_error(f"Unexpected end tag at byte offset {self._at(begin)}")
        end = begin + 2
        while end < len(src) and not src[end].isspace() and src[end] != ">":
            end += 1
        end_name = src[begin + 2:end].lower()
        while end < len(src) and src[end].isspace():
            end += 1
        if end >= len(src) or src[end] != ">":
            raise _entities_error(f"Unclosed end tag at byte offset {self._at(begin)}")
        tag = self._stack.pop()
        if end_name and end_name != tag.name:
            raise _entities_error(
                f'Unmatched end tag at byte offset {self._at(begin)}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        self._close(tag)
        self._pos = end + 1

    def _close(self, tag: _OpenTag) -> None:
        length = self._out.utf16 - tag.start
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": self.ENTITY_TYPES[tag.name], "offset": tag.start,
                                  "length": length}
        if tag.name == "a":
            url = _link_url(tag.argument)
            if url is None:
                return
            entity["url"] = url
        elif tag.name == "code" and tag.argument:
            entity["_language"] = tag.argument
        elif tag.name == "pre":
            # <pre><code class="language-x">...</code></pre> is one pre entity with a language.
            inner = self._entities[-1] if self._entities else None
            if (inner and inner["type"] == "code" and inner["offset"] == tag.start
                    and inner["length"] == length):
                self._entities.pop()
                if inner.get("_language"):
                    entity["language"] = inner["_language"]
        elif tag.name == "blockquote" and tag.argument:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        self._entities.append(entity)


def _explicit_entities(raw: Any, text: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    total, entities = utf16_len(text), []
    for item in raw:
        if not (isinstance(item, dict) and isinstance(item.get("type"), str)
                and isinstance(item.get("offset"), int) and isinstance(item.get("length"), int)):
            raise bad_request("can't parse MessageEntity JSON object")
        start, end = max(item["offset"], 0), min(item["offset"] + item["length"], total)
        if end > start:
            entities.append({**item, "offset": start, "length": end - start})
    return _sorted_entities(entities)


def _trimmed(formatted: FormattedText) -> FormattedText:
    """Telegram strips whitespace around a message; entities shift and shrink with it."""
    text = formatted.text
    stripped = text.strip()
    lead = utf16_len(text[:len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def format_text(source: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """Parse text the way sendMessage does for the given parse_mode (None: plain text)."""
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        parsed = HtmlParser(source).parse()
    elif mode in UNMODELLED_PARSE_MODES:
        raise bad_request(f"parse_mode {UNMODELLED_PARSE_MODES[mode]} is not modelled by the "
                          "sandbox emulator; send HTML or plain text")
    elif mode:
        raise bad_request("unsupported parse_mode")
    else:
        parsed = FormattedText(source, _explicit_entities(entities, source))
    return _trimmed(parsed)


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities, as Telegram's apps mark every /command in a user's text."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[:match.start()]),
         "length": utf16_len(match.group())}
        for match in _COMMAND_IN_TEXT.finditer(text)
    ]


# --------------------------------------------------------------------------------------------
# Reply markup
# --------------------------------------------------------------------------------------------


class KeyboardValidator:
    """Checks reply_markup the way Telegram does before it accepts a message."""

    INLINE_ACTIONS = (
        "url", "callback_data", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
        "callback_game", "pay",
    )
    REPLY_REQUESTS = (
        "request_users", "request_chat", "request_contact", "request_location", "request_poll",
        "web_app",
    )

    def validate(self, markup: Any) -> dict[str, Any] | None:
        """The markup as stored, or ApiError; None when no markup was sent."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return self._inline(markup)
        if "keyboard" in markup:
            return self._reply_keyboard(markup)
        if markup.get("remove_keyboard") is True:
            return {"remove_keyboard": True, **self._flags(markup, ("selective",))}
        if markup.get("force_reply") is True:
            return {"force_reply": True,
                    **self._flags(markup, ("input_field_placeholder", "selective"))}
        raise bad_request("can't parse reply keyboard markup JSON object")

    def inline_only(self, markup: Any) -> dict[str, Any] | None:
        """Edits accept only an inline keyboard."""
        checked = self.validate(markup)
        if checked is not None and "inline_keyboard" not in checked:
            raise bad_request("inline keyboard expected")
        return checked

    @staticmethod
    def _flags(markup: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        return {name: markup[name] for name in names if markup.get(name) is not None}

    @staticmethod
    def _rows(markup: dict[str, Any], key: str, owner: str) -> list[list[Any]]:
        rows = markup.get(key)
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(f'field "{key}" of the {owner} should be an Array of Arrays')
        if any(not row for row in rows):
            raise bad_request("REPLY_MARKUP_INVALID")
        if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
        return rows

    def _inline(self, markup: dict[str, Any]) -> dict[str, Any]:
        rows = self._rows(markup, "inline_keyboard", "InlineKeyboardMarkup")
        return {"inline_keyboard": [[self._inline_button(button) for button in row]
                                    for row in rows]}

    def _inline_button(self, button: Any) -> dict[str, Any]:
        if not isinstance(button, dict):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be "
                              "an Object")
        self._button_text(button, "inline keyboard button")
        actions = [name for name in self.INLINE_ACTIONS if button.get(name) is not None]
        if not actions:
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in "
                              "the inline keyboard")
        if len(actions) > 1:
            raise bad_request("can't parse inline keyboard button: exactly one of the optional "
                              f"fields must be used, found {', '.join(actions)}")
        action = actions[0]
        value = button[action]
        if action == "callback_data":
            size = len(value.encode()) if isinstance(value, str) else 0
            if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
        elif action == "url":
            self._button_url(value)
        elif action in ("web_app", "login_url"):
            if not isinstance(value, dict) or not isinstance(value.get("url"), str):
                raise bad_request(f'can\'t parse inline keyboard button: Field "url" of {action} '
                                  "must be of type String")
            self._button_url(value["url"], https_only=action == "web_app")
        elif action == "copy_text":
            text = value.get("text") if isinstance(value, dict) else None
            if not isinstance(text, str) or not 1 <= len(text) <= 256:
                raise bad_request("can't parse inline keyboard button: copy_text must have a text "
                                  "of 1-256 characters")
        elif action in ("callback_game", "pay"):
            raise bad_request(f"{action} buttons are not supported by the sandbox emulator")
        return {"text": button["text"], action: value}

    @staticmethod
    def _button_text(button: dict[str, Any], what: str) -> None:
        text = button.get("text")
        if not isinstance(text, str):
            raise bad_request(f'can\'t parse {what}: Field "text" must be of type String')
        if not text.strip():
            raise bad_request("BUTTON_TEXT_INVALID")

    @staticmethod
    def _button_url(url: Any, *, https_only: bool = False) -> None:
        if not isinstance(url, str):
            raise bad_request('can\'t parse inline keyboard button: Field "url" must be of type '
                              "String")
        parts = urlsplit(url)
        allowed = ("https",) if https_only else ("http", "https", "tg")
        if parts.scheme not in allowed:
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Unsupported URL "
                              "protocol")
        if parts.scheme != "tg" and not parts.hostname:
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _reply_keyboard(self, markup: dict[str, Any]) -> dict[str, Any]:
        rows = self._rows(markup, "keyboard", "ReplyKeyboardMarkup")
        keyboard = []
        for row in rows:
            checked_row = []
            for button in row:
                if isinstance(button, str):
                    button = {"text": button}
                if not isinstance(button, dict):
                    raise bad_request("can't parse keyboard button: KeyboardButton must be a "
                                      "String or an Object")
                self._button_text(button, "keyboard button")
                requests = [name for name in self.REPLY_REQUESTS if button.get(name)]
                if len(requests) > 1:
                    raise bad_request("can't parse keyboard button: only one request type may "
                                      "be used")
                checked_row.append({key: value for key, value in button.items()
                                    if value is not None})
            keyboard.append(checked_row)
        extras = ("is_persistent", "resize_keyboard", "one_time_keyboard",
                  "input_field_placeholder", "selective")
        return {"keyboard": keyboard, **self._flags(markup, extras)}


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


@dataclass
class StoredFile:
    """One file Telegram holds: what getFile describes and the download path serves."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str
    file_name: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def photo_size(self) -> dict[str, Any]:
        """The PhotoSize object."""
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": self.file_size, "width": self.width, "height": self.height}

    def file_object(self) -> dict[str, Any]:
        """The File object getFile returns."""
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": self.file_size, "file_path": self.file_path}


@dataclass
class RenderedPhoto:
    """A photo as Telegram keeps it: the original's size and JPEGs, smallest first."""

    width: int
    height: int
    sizes: list[tuple[bytes, int, int]]


def _jpeg(image: Image.Image) -> tuple[bytes, int, int]:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=87)
    return buffer.getvalue(), image.width, image.height


def render_photo(data: bytes) -> RenderedPhoto | None:
    """Make the sizes Telegram makes (90/320/800/1280 px boxes, none larger than the original).

    Runs Pillow, so callers run it in a thread. None when the bytes are not an image.
    """
    try:
        with Image.open(io.BytesIO(data)) as source:
            image = ImageOps.exif_transpose(source).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    longest, sizes = max(image.size), []
    for side in PHOTO_SIDES:
        if longest <= side:
            sizes.append(_jpeg(image))
            break
        smaller = image.copy()
        smaller.thumbnail((side, side), Image.Resampling.LANCZOS)
        sizes.append(_jpeg(smaller))
    return RenderedPhoto(image.width, image.height, sizes)


class FileStore:
    """Every file the emulator knows, by file_id and by download path."""

    _KINDS: ClassVar[dict[str, tuple[str, int, int]]] = {
        # kind: (folder, file_id type byte, file_unique_id type byte)
        "photo": ("photos", 2, 1), "document": ("documents", 5, 2),
        "thumbnail": ("thumbnails", 2, 1),
    }

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photos: dict[str, list[StoredFile]] = {}
        self._numbers = itertools.count()

    def add(self, data: bytes, *, kind: str, mime_type: str, file_name: str | None = None,
            width: int | None = None, height: int | None = None) -> StoredFile:
        """Store bytes under fresh opaque ids, as Telegram does for every upload."""
        folder, id_type, unique_type = self._KINDS[kind]
        suffix = ".jpg" if mime_type == "image/jpeg" else ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1][:10]
        stored = StoredFile(
            file_id=_opaque(bytes([id_type, 0, 2, 2, 0, 3, 25, 1, 0]) + secrets.token_bytes(48)),
            file_unique_id=_opaque(bytes([unique_type, 0, 3]) + secrets.token_bytes(9)),
            file_path=f"{folder}/file_{next(self._numbers)}{suffix}",
            data=data, mime_type=mime_type, file_name=file_name, width=width, height=height,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def add_photo(self, rendered: RenderedPhoto) -> list[StoredFile]:
        """One StoredFile per size; any of their file_ids resends the whole photo."""
        sizes = [self.add(data, kind="photo", mime_type="image/jpeg", width=width, height=height)
                 for data, width, height in rendered.sizes]
        for stored in sizes:
            self._photos[stored.file_id] = sizes
        return sizes

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def photo(self, file_id: str) -> list[StoredFile] | None:
        return self._photos.get(file_id)


# --------------------------------------------------------------------------------------------
# Updates, delivery and limits
# --------------------------------------------------------------------------------------------


class _Signal:
    """Wakes every waiter on each change; waiters then re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float | None) -> None:
        """Return on the next change, or after seconds (None: no limit)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)


@dataclass
class _Queued:
    update: dict[str, Any]
    redelivered: bool = False
    returned: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


class UpdateQueue:
    """Pending updates with Telegram's confirm-by-offset rule, shared by polling and webhook."""

    def __init__(self) -> None:
        self._pending: list[_Queued] = []
        self.changed = _Signal()
        # How often each update went out (a bot that dies before confirming gets it again), and
        # who wants to know the moment a batch goes out: what crash tests need to see.
        self.deliveries: Counter[int] = Counter()
        self.watchers: list[Callable[[list[dict[str, Any]]], None]] = []

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, update: dict[str, Any], *, redelivered: bool = False) -> None:
        self._pending.append(_Queued(update, redelivered))
        self.changed.notify()

    def confirm(self, offset: int) -> None:
        """Forget what the offset confirms; a negative offset keeps only the last -offset."""
        if offset < 0:
            self._pending = self._pending[offset:]
            return
        # A redelivered update keeps its old id: it is confirmable only once it went out again.
        self._pending = [item for item in self._pending
                         if item.update_id >= offset or (item.redelivered and not item.returned)]

    def take(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """Up to limit updates at or after offset, oldest first; they stay until confirmed."""
        ready = [item for item in self._pending
                 if offset <= 0 or item.update_id >= offset
                 or (item.redelivered and not item.returned)]
        ready.sort(key=lambda item: item.update_id)
        batch = ready[:limit]
        for item in batch:
            item.returned = True
        updates = [item.update for item in batch]
        self.delivered(updates)
        return updates

    def delivered(self, updates: list[dict[str, Any]]) -> None:
        """Count a delivery of each update and tell the watchers."""
        if not updates:
            return
        self.deliveries.update(int(update["update_id"]) for update in updates)
        for watch in list(self.watchers):
            watch(updates)

    def head(self) -> _Queued | None:
        return self._pending[0] if self._pending else None

    def discard(self, item: _Queued) -> None:
        with contextlib.suppress(ValueError):
            self._pending.remove(item)

    def clear(self) -> None:
        self._pending.clear()


class RateLimiter:
    """A sliding one-second window over sending calls; past the limit Telegram says 429."""

    def __init__(self, per_second: int | None) -> None:
        self.per_second = per_second
        self._stamps: deque[float] = deque()

    def acquire(self) -> None:
        """Count one call, or raise Too Many Requests with a whole-second retry_after."""
        if self.per_second is None:
            return
        now = time.monotonic()
        while self._stamps and self._stamps[0] <= now - 1.0:
            self._stamps.popleft()
        if len(self._stamps) >= self.per_second:
            retry_after = max(1, math.ceil(self._stamps[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                           {"retry_after": retry_after})
        self._stamps.append(now)


@dataclass
class WebhookConfig:
    """What setWebhook stored; getWebhookInfo reports it with the last delivery error."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None
    has_custom_certificate: bool = False
    last_error_date: int | None = None
    last_error_message: str | None = None

    def public(self) -> dict[str, Any]:
        return {"url": self.url, "secret_token": self.secret_token,
                "max_connections": self.max_connections, "allowed_updates": self.allowed_updates,
                "ip_address": self.ip_address}


class WebhookPusher:
    """Posts queued updates to the webhook one at a time, in order, retrying a failed post."""

    def __init__(self, queue: UpdateQueue, session: aiohttp.ClientSession,
                 config: WebhookConfig) -> None:
        self._queue = queue
        self._session = session
        self._config = config
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="telegram-webhook-pusher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            item = self._queue.head()
            if item is None:
                await self._queue.changed.wait(None)
                continue
            await self._deliver(item)
            self._queue.discard(item)

    async def _deliver(self, item: _Queued) -> bool:
        headers = {}
        if self._config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._config.secret_token
        for attempt in range(WEBHOOK_ATTEMPTS):
            self._queue.delivered([item.update])
            try:
                async with self._session.post(self._config.url, json=item.update,
                                              headers=headers) as response:
                    if 200 <= response.status < 300:
                        return True
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}: {exc}"
            self._config.last_error_date = _now()
            self._config.last_error_message = error
            if attempt + 1 < WEBHOOK_ATTEMPTS:
                await asyncio.sleep(WEBHOOK_BACKOFF_SECONDS * 2 ** attempt)
        return False


# --------------------------------------------------------------------------------------------
# The chat side
# --------------------------------------------------------------------------------------------


@dataclass
class ChatMessage:
    """One message as the chat shows it now: edits and deletions are applied in place."""

    message_id: int = 0
    from_bot: bool = False
    date: int = 0
    text: str | None = None
    html: str | None = None
    caption: str | None = None
    caption_html: str | None = None
    photo_sizes: list[dict[str, Any]] = field(default_factory=list)
    document: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    media_group_id: str | None = None
    reply_markup: dict[str, Any] | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None
    reply_to_message_id: int | None = None
    protected: bool = False
    edits: int = 0
    edit_date: int | None = None
    deleted: bool = False

    @property
    def photo(self) -> list[str]:
        """file_ids of the photo's sizes, smallest first."""
        return [size["file_id"] for size in self.photo_sizes]

    @property
    def buttons(self) -> list[list[str]]:
        """Button texts by row, from an inline keyboard or a reply keyboard."""
        return [[button["text"] for button in row] for row in self._rows()]

    @property
    def inline_markup(self) -> dict[str, Any] | None:
        markup = self.reply_markup
        return markup if markup and "inline_keyboard" in markup else None

    def find_button(self, text: str) -> dict[str, Any] | None:
        """The first button with exactly this text."""
        return next((button for row in self._rows() for button in row
                     if button["text"] == text), None)

    def _rows(self) -> list[list[dict[str, Any]]]:
        markup = self.reply_markup or {}
        return markup.get("inline_keyboard") or markup.get("keyboard") or []

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly view for the control surface."""
        data = asdict(self)
        data["photo"] = self.photo
        data["buttons"] = self.buttons
        return data

    def render(self) -> list[str]:
        """Lines for the transcript."""
        lines: list[str] = []
        album = f" (album {self.media_group_id[-4:]})" if self.media_group_id else ""
        if self.photo_sizes:
            largest = self.photo_sizes[-1]
            lines.append(f"📷 photo {largest['width']}×{largest['height']}{album}")
        if self.document:
            lines.append(f"📎 {self.document.get('file_name') or 'file'} "
                         f"({self.document.get('mime_type')}, {self.document['file_size']} bytes)"
                         f"{album}")
        if self.location:
            lines.append(f"📍 location {self.location['latitude']}, {self.location['longitude']}")
        body = self.text if self.text is not None else self.caption
        if body:
            lines.extend(body.splitlines())
        links = [e["url"] for e in (self.entities or []) if e.get("type") == "text_link"]
        lines.extend(f"  ↳ {url}" for url in links)  # where the message's links lead
        lines.extend(" ".join(f"[{text}]" for text in row) for row in self.buttons)
        if self.reply_markup and self.reply_markup.get("remove_keyboard"):
            lines.append("(keyboard removed)")
        return lines or ["(empty message)"]


def _prefixed(prefix: str, lines: list[str]) -> str:
    return "\n".join([prefix + lines[0], *("      " + line for line in lines[1:])])


@dataclass
class _Query:
    seller: Seller
    message_id: int
    data: str
    answered: bool = False
    answer_calls: int = 0  # every answerCallbackQuery for it, the refused ones included
    pressed_at: float = field(default_factory=time.monotonic)


class Seller:
    """One person in a private chat with the bot; tests drive it as the human would."""

    def __init__(self, emulator: TelegramEmulator, user_id: int, first_name: str, *,
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
        self.chat_instance = str(-(10**18 + secrets.randbelow(8 * 10**18)))
        self.started = False
        self._emulator = emulator
        self._by_id: dict[int, ChatMessage] = {}
        self._from_bot: list[ChatMessage] = []
        self._last_message_id = 0
        self._cursor = 0
        self._log: list[str] = []
        self.changed = _Signal()

    # ---- what the bot sees --------------------------------------------------------------

    def user(self) -> dict[str, Any]:
        """The User object Telegram sends for this person."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        user["language_code"] = self.language_code
        return user

    def chat(self) -> dict[str, Any]:
        """The Chat object of the private chat."""
        chat: dict[str, Any] = {"id": self.chat_id, "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        chat["type"] = "private"
        return chat

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
        message.date = _now()
        self.messages.append(message)
        self._by_id[message.message_id] = message
        if message.from_bot:
            self._from_bot.append(message)
        self.note(_prefixed(line_prefix, message.render()))
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

    def open_link(self, button_text: str, *, message_id: int | None = None) -> str:
        """The address a tap on a URL or Login URL button opens in the seller's browser.

        For a login_url button Telegram appends the seller's identity, signed the way the
        Telegram Login Widget signs it (HMAC-SHA256 of the sorted data-check-string, keyed
        with SHA-256 of the bot token), so the site can trust who opened the link.
        """
        _, button = self._find_button(button_text, message_id)
        if "url" in button:
            return str(button["url"])
        if "login_url" not in button:
            raise EmulatorError(f"[{button_text}] opens no link")
        fields = {"id": str(self.user_id), "first_name": self.first_name,
                  "auth_date": str(_now())}
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


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


@dataclass
class Upload:
    """One file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str
    data: bytes


class Params:
    """Request parameters read as Telegram reads them: strings from forms, natives from JSON."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self._values = values
        self._uploads = uploads

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        """Merge the query string with a JSON, urlencoded or multipart body."""
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise bad_request("can't parse JSON encoded request body") from exc
                if isinstance(body, dict):
                    values.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded",
                                          "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = Upload(key, value.filename, value.content_type,
                                              value.file.read())
                    else:
                        values[key] = value
        return cls(values, uploads)

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, (dict, list)) else str(value)

    def integer(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INTEGER_SHAPE.fullmatch(value):
            return int(value)
        raise bad_request(f'field "{name}" must be of type Integer')

    def number(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f'field "{name}" must be of type Number') from exc

    def boolean(self, name: str) -> bool:
        value = self._values.get(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if str(value).lower() in ("true", "1"):
            return True
        if str(value).lower() in ("false", "0", ""):
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def structured(self, name: str, what: str) -> Any:
        """A JSON-serialized parameter (reply_markup, media ...), decoded."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {what} JSON object") from exc

    def upload(self, name: str) -> Upload | None:
        return self._uploads.get(name)

    def for_record(self) -> dict[str, Any]:
        """Decoded parameters for ``TelegramEmulator.calls``."""
        record: dict[str, Any] = {}
        for key, value in self._values.items():
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            record[key] = value
        for key, upload in self._uploads.items():
            record[key] = f"<upload {upload.filename or key}, {len(upload.data)} bytes>"
        return record


@dataclass
class ApiCall:
    """One Bot API request as the emulator answered it."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    description: str | None = None
    result: Any = None


@dataclass
class _Described:
    """A result with the description some methods (setWebhook ...) add to the response."""

    result: Any
    description: str


Handler = Callable[[Params], Awaitable[Any]]


class UpdatesApi:
    """getUpdates and the webhook methods: who receives queued updates, and how."""

    def __init__(self) -> None:
        self.queue = UpdateQueue()
        self.session: aiohttp.ClientSession | None = None  # set while the server runs
        self.closing = False
        self._allowed: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._allowed_explicit: list[str] | None = None
        self._config: WebhookConfig | None = None
        self._pusher: WebhookPusher | None = None
        self._poller: object | None = None

    def methods(self) -> dict[str, Handler]:
        return {"getUpdates": self.get_updates, "setWebhook": self.set_webhook,
                "deleteWebhook": self.delete_webhook, "getWebhookInfo": self.get_webhook_info}

    @property
    def webhook(self) -> dict[str, Any] | None:
        return self._config.public() if self._config else None

    def offer(self, update: dict[str, Any], kind: str) -> None:
        """Queue a new update; like Telegram, one of a type the bot did not ask for is dropped."""
        if kind in self._allowed:
            self.queue.push(update)

    async def close(self) -> None:
        """Answer waiting long polls now and stop webhook delivery."""
        self.closing = True
        self.queue.changed.notify()
        if self._pusher:
            await self._pusher.stop()
            self._pusher = None

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self._config:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.integer("offset") or 0
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        self._set_allowed(params.structured("allowed_updates", "allowed updates"))
        self.queue.confirm(offset)
        ticket = object()
        self._poller = ticket
        self.queue.changed.notify()  # an older waiting poll learns it was superseded
        deadline = time.monotonic() + timeout
        while True:
            if self._poller is not ticket:
                raise ApiError(409, POLL_CONFLICT)
            if self._config:
                raise ApiError(409, WEBHOOK_CONFLICT)
            batch = self.queue.take(offset, limit)
            remaining = deadline - time.monotonic()
            if batch or self.closing or remaining <= 0:
                return batch
            await self.queue.changed.wait(remaining)

    def _set_allowed(self, allowed: Any) -> None:
        if allowed is None:  # not sent: the previous setting stays, as Telegram remembers it
            return
        if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
            raise bad_request("can't parse allowed updates JSON object")
        self._allowed_explicit = allowed
        self._allowed = (frozenset(allowed) & UPDATE_TYPES) or DEFAULT_ALLOWED_UPDATES

    async def set_webhook(self, params: Params) -> _Described:
        url = (params.text("url") or "").strip()
        if not url:  # an empty URL removes the webhook, as the Bot API documents
            return await self.delete_webhook(params)
        self._check_url(url)
        secret = params.text("secret_token") or None
        if secret is not None and not _SECRET_SHAPE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("invalid max_connections specified")
        self._set_allowed(params.structured("allowed_updates", "allowed updates"))
        if params.boolean("drop_pending_updates"):
            self.queue.clear()
        same = self._config is not None and self._config.url == url
        await self._replace(WebhookConfig(
            url=url, secret_token=secret, max_connections=max_connections,
            allowed_updates=self._allowed_explicit, ip_address=params.text("ip_address"),
            has_custom_certificate=params.upload("certificate") is not None,
        ))
        return _Described(True, "Webhook is already set" if same else "Webhook was set")

    @staticmethod
    def _check_url(url: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise bad_request("bad webhook: Wrong port number specified in the URL") from exc
        if parts.scheme not in ("http", "https"):
            raise bad_request("bad webhook: Unsupported URL protocol")
        if not parts.hostname or port == 0:
            raise bad_request("bad webhook: Wrong URL host")

    async def _replace(self, config: WebhookConfig | None) -> None:
        if self._pusher:
            await self._pusher.stop()
            self._pusher = None
        self._config = config
        if config and self.session:
            self._pusher = WebhookPusher(self.queue, self.session, config)
            self._pusher.start()
        self.queue.changed.notify()

    async def delete_webhook(self, params: Params) -> _Described:
        if params.boolean("drop_pending_updates"):
            self.queue.clear()
        existed = self._config is not None
        await self._replace(None)
        return _Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        config = self._config
        info: dict[str, Any] = {
            "url": config.url if config else "",
            "has_custom_certificate": bool(config and config.has_custom_certificate),
            "pending_update_count": len(self.queue),
        }
        if config:
            info["max_connections"] = config.max_connections
            info["ip_address"] = config.ip_address or "127.0.0.1"
            if config.allowed_updates is not None:
                info["allowed_updates"] = config.allowed_updates
            if config.last_error_date:
                info["last_error_date"] = config.last_error_date
                info["last_error_message"] = config.last_error_message
        return info


class MediaInput:
    """Turns a photo or document parameter (upload, attach://, file_id, URL) into stored files."""

    def __init__(self, files: FileStore) -> None:
        self.files = files
        self.session: aiohttp.ClientSession | None = None  # set while the server runs

    @staticmethod
    def attached(params: Params, reference: str) -> Upload | str:
        """Resolve "attach://name" to the multipart part of that name."""
        if reference.startswith("attach://"):
            upload = params.upload(reference.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return upload
        return reference

    def reference(self, params: Params, name: str) -> Upload | str | None:
        """The parameter as an uploaded part, or as a file_id/URL string."""
        found = params.upload(name) or params.text(name)
        return self.attached(params, found) if isinstance(found, str) else found

    async def photo(self, source: Upload | str | None) -> list[StoredFile]:
        """The stored sizes for a photo given as upload, file_id or loopback URL."""
        if source is None or source == "":
            raise bad_request("there is no photo in the request")
        if isinstance(source, str):
            existing = self.files.photo(source)
            if existing:
                return existing
            if self.files.get(source):
                raise bad_request("type of file mismatch")
            if not _is_http_url(source):
                raise bad_request("wrong file identifier/HTTP URL specified")
            data = await self._fetch(source)
        else:
            data = source.data
        if len(data) > MAX_PHOTO_UPLOAD_BYTES:
            raise bad_request("file is too big")
        rendered = await asyncio.to_thread(render_photo, data)
        if rendered is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = rendered.width, rendered.height
        if width + height > 10000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return self.files.add_photo(rendered)

    async def document(self, source: Upload | str | None) -> dict[str, Any]:
        """The Document object for a document given as upload, file_id or loopback URL."""
        if source is None or source == "":
            raise bad_request("there is no document in the request")
        if isinstance(source, str):
            existing = self.files.get(source)
            if existing:
                return self.document_object(existing)
            if not _is_http_url(source):
                raise bad_request("wrong file identifier/HTTP URL specified")
            name = urlsplit(source).path.rsplit("/", 1)[-1] or "file"
            source = Upload("document", name, "application/octet-stream",
                            await self._fetch(source))
        if not source.data:
            raise bad_request("file must be non-empty")
        stored = self.files.add(source.data, kind="document",
                                mime_type=source.content_type or "application/octet-stream",
                                file_name=source.filename)
        return self.document_object(stored)

    @staticmethod
    def document_object(stored: StoredFile) -> dict[str, Any]:
        document: dict[str, Any] = {"file_id": stored.file_id,
                                    "file_unique_id": stored.file_unique_id,
                                    "file_size": stored.file_size,
                                    "mime_type": stored.mime_type}
        if stored.file_name:
            document["file_name"] = stored.file_name
        return document

    async def _fetch(self, url: str) -> bytes:
        # Only loopback: the sandbox never reaches out of the machine.
        if not _is_loopback(urlsplit(url).hostname) or self.session is None:
            raise bad_request("failed to get HTTP URL content")
        try:
            async with self.session.get(url) as response:
                if response.status != 200:
                    raise bad_request("failed to get HTTP URL content")
                return await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise bad_request("failed to get HTTP URL content") from exc


class MessagesApi:
    """The methods that put, change or remove things in a chat, and answer button presses."""

    def __init__(self, sellers: dict[int, Seller], media: MediaInput, limiter: RateLimiter,
                 queries: dict[str, _Query]) -> None:
        self._sellers = sellers
        self._media = media
        self._limiter = limiter
        self._queries = queries
        self._keyboards = KeyboardValidator()
        # Telegram takes an answer to a press only for a short, undocumented while; None here
        # means no limit, a number of seconds models it.
        self.callback_answer_seconds: float | None = None

    def methods(self) -> dict[str, Handler]:
        return {
            "sendMessage": self.send_message, "sendPhoto": self.send_photo,
            "sendDocument": self.send_document, "sendMediaGroup": self.send_media_group,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action, "getFile": self.get_file,
        }

    # ---- lookups and checks shared by the methods ---------------------------------------

    def _chat(self, params: Params) -> Seller:
        raw = params.raw("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        text = str(raw).strip()
        seller = self._sellers.get(int(text)) if _INTEGER_SHAPE.fullmatch(text) else None
        if seller is None or not seller.started:
            raise bad_request("chat not found")
        return seller

    def _target(self, params: Params, missing: str) -> tuple[Seller, ChatMessage]:
        """The chat and bot message an edit names."""
        if params.text("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        seller = self._chat(params)
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = seller.message(message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return seller, message

    @staticmethod
    def _reply_target(seller: Seller, params: Params) -> int | None:
        reply = params.structured("reply_parameters", "reply parameters")
        allow = params.boolean("allow_sending_without_reply")
        message_id: Any = params.integer("reply_to_message_id")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        message = seller.message(message_id) if isinstance(message_id, int) else None
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

    def _markup(self, params: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
        raw = params.structured("reply_markup", "reply keyboard markup")
        return self._keyboards.inline_only(raw) if inline_only else self._keyboards.validate(raw)

    def _post(self, seller: Seller, params: Params, message: ChatMessage,
              markup: dict[str, Any] | None) -> dict[str, Any]:
        """Count the send against the rate limit and show the bot's message in the chat."""
        message.from_bot = True
        message.reply_markup = markup
        message.reply_to_message_id = self._reply_target(seller, params)
        message.protected = params.boolean("protect_content")
        self._limiter.acquire()
        seller.add(message, "bot → ")
        return seller.api_message(message)

    @staticmethod
    def _edited(seller: Seller, message: ChatMessage) -> dict[str, Any]:
        message.edits += 1
        message.edit_date = _now()
        seller.note(_prefixed("bot ✎ (edited) ", message.render()))
        return seller.api_message(message)

    # ---- sending ------------------------------------------------------------------------

    async def send_message(self, params: Params) -> dict[str, Any]:
        seller = self._chat(params)
        formatted = self._text(params)
        markup = self._markup(params)
        message = ChatMessage(text=formatted.text, entities=formatted.entities,
                              html=params.text("text"), parse_mode=params.text("parse_mode"))
        return self._post(seller, params, message, markup)

    async def send_photo(self, params: Params) -> dict[str, Any]:
        seller = self._chat(params)
        caption = self._params_caption(params)
        markup = self._markup(params)
        sizes = await self._media.photo(self._media.reference(params, "photo"))
        message = ChatMessage(photo_sizes=[size.photo_size() for size in sizes],
                              caption=caption.text if caption else None,
                              caption_entities=caption.entities if caption else [],
                              caption_html=params.text("caption"),
                              parse_mode=params.text("parse_mode"))
        return self._post(seller, params, message, markup)

    async def send_document(self, params: Params) -> dict[str, Any]:
        seller = self._chat(params)
        caption = self._params_caption(params)
        markup = self._markup(params)
        document = await self._media.document(self._media.reference(params, "document"))
        message = ChatMessage(document=document, caption=caption.text if caption else None,
                              caption_entities=caption.entities if caption else [],
                              caption_html=params.text("caption"),
                              parse_mode=params.text("parse_mode"))
        return self._post(seller, params, message, markup)

    async def send_media_group(self, params: Params) -> list[dict[str, Any]]:
        seller = self._chat(params)
        media = self._album_items(params.structured("media", "media"))
        prepared = []
        for item in media:
            caption = self._caption(item.get("caption"), item.get("parse_mode"),
                                    item.get("caption_entities"))
            source = self._media.attached(params, item["media"])
            content: dict[str, Any] = (
                {"photo_sizes": [size.photo_size() for size in await self._media.photo(source)]}
                if item["type"] == "photo" else {"document": await self._media.document(source)}
            )
            prepared.append(ChatMessage(**content, caption=caption.text if caption else None,
                                        caption_entities=caption.entities if caption else [],
                                        caption_html=item.get("caption"),
                                        parse_mode=item.get("parse_mode")))
        reply_to = self._reply_target(seller, params)
        self._limiter.acquire()
        group = str(10**16 + secrets.randbelow(9 * 10**16))
        results = []
        for message in prepared:
            message.from_bot = True
            message.media_group_id = group
            message.reply_to_message_id = reply_to
            message.protected = params.boolean("protect_content")
            seller.add(message, "bot → ")
            results.append(seller.api_message(message))
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
        seller, message = self._target(params, "message to edit not found")
        formatted = self._text(params)
        markup = self._markup(params, inline_only=True)
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
        return self._edited(seller, message)

    async def edit_message_caption(self, params: Params) -> dict[str, Any]:
        seller, message = self._target(params, "message to edit not found")
        caption = self._params_caption(params)
        markup = self._markup(params, inline_only=True)
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
        return self._edited(seller, message)

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        seller, message = self._target(params, "message to edit not found")
        markup = self._markup(params, inline_only=True)
        if markup == message.inline_markup:
            raise bad_request(NOT_MODIFIED)
        self._limiter.acquire()
        message.reply_markup = markup
        return self._edited(seller, message)

    async def delete_message(self, params: Params) -> bool:
        seller = self._chat(params)
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = seller.message(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        author = "bot" if message.from_bot else seller.first_name
        seller.note(f"bot 🗑 deleted #{message_id} ({author}: {message.render()[0]})")
        return True

    # ---- the rest -----------------------------------------------------------------------

    async def answer_callback_query(self, params: Params) -> bool:
        query = self._queries.get(params.text("callback_query_id") or "")
        if query is not None:
            query.answer_calls += 1
        window = self.callback_answer_seconds
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
        if text:
            kind = "alert" if answer["show_alert"] else "toast"
            query.seller.note(f"bot ⓘ ({kind}) {text}")
        else:
            query.seller.changed.notify()
        return True

    async def send_chat_action(self, params: Params) -> bool:
        seller = self._chat(params)
        action = params.text("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        seller.chat_actions.append(action)
        seller.changed.notify()
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


class CommandsApi:
    """setMyCommands and friends: command lists stored per scope and language."""

    def __init__(self) -> None:
        self._lists: dict[tuple[str, str], list[dict[str, str]]] = {}

    def methods(self) -> dict[str, Handler]:
        return {"setMyCommands": self.set_my_commands, "getMyCommands": self.get_my_commands,
                "deleteMyCommands": self.delete_my_commands}

    def default(self) -> list[dict[str, str]]:
        """The list for the default scope and no language."""
        return list(self._lists.get((self._scope_key(None), ""), []))

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        if scope["type"].startswith("chat") and "chat_id" not in scope:
            raise bad_request("chat_id is empty")
        return json.dumps({key: scope[key] for key in ("type", "chat_id", "user_id")
                           if key in scope}, sort_keys=True)

    def _key(self, params: Params) -> tuple[str, str]:
        language = params.text("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return self._scope_key(params.structured("scope", "BotCommandScope")), language

    async def set_my_commands(self, params: Params) -> bool:
        commands = params.structured("commands", "BotCommand array")
        if commands is None:
            commands = []
        if not isinstance(commands, list):
            raise bad_request("can't parse BotCommand array JSON object")
        if len(commands) > MAX_COMMANDS:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        self._lists[self._key(params)] = [self._checked(command) for command in commands]
        return True

    @staticmethod
    def _checked(command: Any) -> dict[str, str]:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        for key in ("command", "description"):
            if not isinstance(command.get(key), str):
                raise bad_request(f'can\'t parse BotCommand: Can\'t find field "{key}"')
        if not _COMMAND_SHAPE.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command["description"].strip()
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("command description is too long")
        return {"command": command["command"], "description": description}

    async def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return list(self._lists.get(self._key(params), []))

    async def delete_my_commands(self, params: Params) -> bool:
        self._lists.pop(self._key(params), None)
        return True


class TelegramEmulator:
    """The Bot API server stand-in: serve it, point PTB at it, drive sellers against it."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, bot_username: str = "DealScoutBot",
                 bot_first_name: str = "Deal Scout",
                 rate_limit_per_second: int | None = 30) -> None:
        if not _TOKEN_SHAPE.fullmatch(token):
            raise ValueError("token must look like a Bot API token: '<digits>:<30+ characters>'")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.calls: list[ApiCall] = []
        self._sellers: dict[int, Seller] = {}
        self._queries: dict[str, _Query] = {}
        self._files = FileStore()
        self._media = MediaInput(self._files)
        self._updates = UpdatesApi()
        self._commands = CommandsApi()
        messages = MessagesApi(self._sellers, self._media, RateLimiter(rate_limit_per_second),
                               self._queries)
        self._messages_api = messages
        self._update_ids = itertools.count(100_001)
        self._history: dict[int, dict[str, Any]] = {}
        self._url: str | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        handlers: dict[str, Handler] = {
            "getMe": self._get_me, "close": self._true, "logOut": self._true,
            **self._updates.methods(), **messages.methods(), **self._commands.methods(),
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0 picks a free port)."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._updates.session = self._media.session = self._session
        self._updates.closing = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        ControlSurface(self).install(app)
        # handler_cancellation: a pending long poll must not hold up stop().
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.25,
                                     access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._url = f"http://{shown}:{bound_port}"

    async def stop(self) -> None:
        """Stop serving; waiting long polls are answered at once."""
        await self._updates.close()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None
        if self._session:
            await self._session.close()
            self._session = self._updates.session = self._media.session = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the emulator is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder.base_url (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder.base_file_url."""
        return f"{self.url}/file/bot"

    @property
    def commands(self) -> list[dict[str, str]]:
        """The last setMyCommands for the default scope and no language."""
        return self._commands.default()

    @property
    def webhook(self) -> dict[str, Any] | None:
        """What setWebhook set (url, secret_token, allowed_updates ...), None without one."""
        return self._updates.webhook

    # ---- the human side -----------------------------------------------------------------

    def seller(self, user_id: int, first_name: str, *, username: str | None = None,
               last_name: str | None = None, language_code: str = "en") -> Seller:
        """The seller with this id (created on first call; the same object afterwards)."""
        if user_id <= 0:
            raise ValueError("a user id is a positive integer")
        if user_id not in self._sellers:
            self._sellers[user_id] = Seller(self, user_id, first_name, username=username,
                                            last_name=last_name, language_code=language_code)
        return self._sellers[user_id]

    @property
    def callback_answer_seconds(self) -> float | None:
        """How long after a press answerCallbackQuery is still accepted (None: no limit)."""
        return self._messages_api.callback_answer_seconds

    @callback_answer_seconds.setter
    def callback_answer_seconds(self, seconds: float | None) -> None:
        self._messages_api.callback_answer_seconds = seconds

    @property
    def update_deliveries(self) -> Counter[int]:
        """How many times each update went out to the bot (more than once after a crash)."""
        return self._updates.queue.deliveries

    @property
    def update_watchers(self) -> list[Callable[[list[dict[str, Any]]], None]]:
        """Callables told each batch of updates as it goes out (append and remove freely)."""
        return self._updates.queue.watchers

    def presses_answered_more_than_once(self) -> list[tuple[int, str, int]]:
        """(user id, callback data, answerCallbackQuery calls) for every press the bot tried
        to answer more than once: Telegram refuses the second answer, so a bot that handles a
        redelivered press again shows here."""
        return [(query.seller.user_id, query.data, query.answer_calls)
                for query in self._queries.values() if query.answer_calls > 1]

    def redeliver(self, update_id: int) -> None:
        """Queue an already delivered update again with the same update_id."""
        update = self._history.get(update_id)
        if update is None:
            raise EmulatorError(f"No update {update_id} was ever sent")
        self._updates.queue.push(update, redelivered=True)

    def transcript(self, user_id: int | None = None) -> str:
        """A readable log of one chat, or of every chat when user_id is None."""
        if user_id is not None:
            seller = self._sellers.get(user_id)
            return seller.transcript() if seller else ""
        return "\n\n".join(f"=== chat with {seller.first_name} ({seller.user_id}) ===\n"
                           f"{seller.transcript()}"
                           for seller in self._sellers.values() if seller.started)

    def bot_user(self, *, full: bool = False) -> dict[str, Any]:
        """The bot's User object; getMe adds the bot-only fields."""
        user: dict[str, Any] = {"id": self.bot_id, "is_bot": True,
                                "first_name": self.bot_first_name,
                                "username": self.bot_username}
        if full:
            user.update(can_join_groups=True, can_read_all_group_messages=False,
                        supports_inline_queries=False, can_connect_to_business=False,
                        has_main_web_app=False)
        return user

    def from_seller(self, seller: Seller, message: ChatMessage) -> dict[str, Any]:
        """Post a seller's message in the chat and queue its update."""
        seller.started = True
        seller.add(message, f"{seller.first_name} → ")
        return self._emit("message", seller.api_message(message))

    def callback(self, seller: Seller, message: ChatMessage, data: str,
                 line: str) -> dict[str, Any]:
        """Queue a callback_query for a button press on a bot message."""
        query_id = str(secrets.randbits(62))
        self._queries[query_id] = _Query(seller, message.message_id, data)
        seller.note(line)
        return self._emit("callback_query", {
            "id": query_id, "from": seller.user(), "message": seller.api_message(message),
            "chat_instance": seller.chat_instance, "data": data,
        })

    def _emit(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self._history[update["update_id"]] = update
        self._updates.offer(update, kind)
        return update

    async def store_photo(self, image: bytes) -> list[StoredFile]:
        """Keep a seller's photo as Telegram does (several sizes); EmulatorError if no image."""
        rendered = await asyncio.to_thread(render_photo, image)
        if rendered is None:
            raise EmulatorError("send_photo needs image bytes Pillow can open")
        return self._files.add_photo(rendered)

    async def store_document(self, data: bytes, *, file_name: str,
                             mime_type: str) -> dict[str, Any]:
        """Keep a seller's document and return its Document object."""
        stored = self._files.add(data, kind="document", mime_type=mime_type, file_name=file_name)
        document = {"file_name": file_name, "mime_type": mime_type, "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id, "file_size": stored.file_size}
        if mime_type.startswith("image/") and len(data) <= MAX_PHOTO_UPLOAD_BYTES:
            rendered = await asyncio.to_thread(render_photo, data)
            if rendered:
                thumb_bytes, width, height = rendered.sizes[min(1, len(rendered.sizes) - 1)]
                thumb = self._files.add(thumb_bytes, kind="thumbnail", mime_type="image/jpeg",
                                        width=width, height=height)
                document["thumbnail"] = thumb.photo_size()
        return document

    # ---- HTTP ---------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        sent_name = request.match_info["method"]
        method = self._methods.get(sent_name.lower())
        name = method[0] if method else sent_name
        params = Params({}, {})
        try:
            params = await Params.read(request)
            self._check_token(request.match_info["token"])
            if method is None:
                raise ApiError(404, "Not Found")
            outcome = await method[1](params)
        except ApiError as error:
            self.calls.append(ApiCall(name, params.for_record(), False, error.code,
                                      error.description))
            return web.json_response(error.body(), status=error.code)
        body: dict[str, Any] = {"ok": True}
        if isinstance(outcome, _Described):
            body.update(result=outcome.result, description=outcome.description)
        else:
            body["result"] = outcome
        self.calls.append(ApiCall(name, params.for_record(), True, result=body["result"]))
        return web.json_response(body)

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
        except ApiError as error:
            return web.json_response(error.body(), status=error.code)
        stored = self._files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    def _check_token(self, token: str) -> None:
        # Telegram: a well-formed but wrong token is 401, a malformed one 404.
        if token == self.token:
            return
        if _TOKEN_SHAPE.fullmatch(token):
            raise ApiError(401, "Unauthorized")
        raise ApiError(404, "Not Found")

    async def _true(self, params: Params) -> bool:
        return True

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return self.bot_user(full=True)


class ControlSurface:
    """A small HTTP side door under /_sandbox/ for manual runs; not part of the Bot API."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self._emulator = emulator

    def install(self, app: web.Application) -> None:
        app.router.add_post("/_sandbox/sellers/{user_id:\\d+}/messages", self._send)
        app.router.add_post("/_sandbox/sellers/{user_id:\\d+}/photos", self._photo)
        app.router.add_post("/_sandbox/sellers/{user_id:\\d+}/press", self._press)
        app.router.add_get("/_sandbox/sellers/{user_id:\\d+}/messages", self._messages)
        app.router.add_get("/_sandbox/transcript", self._transcript)
        app.router.add_get("/_sandbox/calls", self._calls)

    def _seller(self, request: web.Request, body: dict[str, Any]) -> Seller:
        user_id = int(request.match_info["user_id"])
        return self._emulator.seller(user_id, str(body.get("first_name") or f"Seller {user_id}"),
                                     username=body.get("username"))

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        try:
            body = await request.json()
        except ValueError as exc:
            raise web.HTTPBadRequest(text="the body must be a JSON object") from exc
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="the body must be a JSON object")
        return body

    async def _send(self, request: web.Request) -> web.Response:
        """POST {"text": "..."} to send it as the seller (created on first use)."""
        body = await self._body(request)
        if not isinstance(body.get("text"), str) or not body["text"]:
            raise web.HTTPBadRequest(text='send {"text": "..."}')
        return web.json_response(await self._seller(request, body).send_text(body["text"]))

    async def _photo(self, request: web.Request) -> web.Response:
        """POST raw image bytes; ?caption=... optional."""
        seller = self._seller(request, dict(request.query))
        try:
            update = await seller.send_photo(await request.read(),
                                             caption=request.query.get("caption"))
        except EmulatorError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        return web.json_response(update)

    async def _press(self, request: web.Request) -> web.Response:
        """POST {"button": "Help", "message_id": 5?} to tap a button."""
        body = await self._body(request)
        seller = self._seller(request, body)
        try:
            update = await seller.press(str(body.get("button", "")),
                                        message_id=body.get("message_id"))
        except EmulatorError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        return web.json_response(update)

    async def _messages(self, request: web.Request) -> web.Response:
        """GET the chat's messages, current state; 404 for a seller who never existed."""
        seller = self._emulator._sellers.get(int(request.match_info["user_id"]))
        if seller is None:
            raise web.HTTPNotFound(text="no such seller")
        return web.json_response([message.summary() for message in seller.messages])

    async def _transcript(self, request: web.Request) -> web.Response:
        user_id = request.query.get("user_id")
        text = self._emulator.transcript(int(user_id) if user_id and user_id.isdigit() else None)
        return web.Response(text=text + "\n", content_type="text/plain")

    async def _calls(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(call) for call in self._emulator.calls],
                                 dumps=lambda data: json.dumps(data, default=str))
