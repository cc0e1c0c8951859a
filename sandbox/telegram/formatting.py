"""Formatted text as Telegram stores it: parse_mode HTML turned into plain text and entities,
with Telegram's error texts and byte offsets, lengths in UTF-16 code units, whitespace trimmed
around the message, and the bot_command and mention entities the apps mark in a user's text.

HTML is the only parse mode modelled: the bot sends nothing else. MarkdownV2 and Markdown are
refused by name (see UNMODELLED_PARSE_MODES) rather than half-parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sandbox.telegram.errors import ApiError, bad_request

# The Markdown dialects the bot never sends: refused by name rather than parsed.
UNMODELLED_PARSE_MODES = {"markdownv2": "MarkdownV2", "markdown": "Markdown"}
_COMMAND_IN_TEXT = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
# A username: 5-32 letters, digits and underscores, starting with a letter.
_MENTION_IN_TEXT = re.compile(r"(?<![\w/@])@[A-Za-z][A-Za-z0-9_]{4,31}(?![\w@])")


def utf16_len(text: str) -> int:
    """Telegram measures offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


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


def user_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram's apps mark in a user's text: every /command and @username."""
    mentions = [
        {"type": "mention", "offset": utf16_len(text[:match.start()]),
         "length": utf16_len(match.group())}
        for match in _MENTION_IN_TEXT.finditer(text)
    ]
    return sorted(command_entities(text) + mentions, key=lambda entity: entity["offset"])
