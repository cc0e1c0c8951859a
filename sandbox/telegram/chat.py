"""A message as the chat shows it now (edits and deletions applied in place), and how it reads
in the transcript."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_ALBUM = 10


@dataclass
class ChatMessage:
    """One message as the chat shows it now: edits and deletions are applied in place."""

    message_id: int = 0
    from_bot: bool = False
    sender_id: int | None = None  # in a group: the member who sent it
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
    sent_markup: dict[str, Any] | None = None  # the keyboard it was sent with, before edits
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
    def buttons_as_sent(self) -> list[list[str]]:
        """Button texts by row as the message was sent, whatever edits did since."""
        rows = (self.sent_markup or {}).get("inline_keyboard") or (
            self.sent_markup or {}).get("keyboard") or []
        return [[button["text"] for button in row] for row in rows]

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


def prefixed(prefix: str, lines: list[str]) -> str:
    """A message's transcript lines under one prefix, the later lines indented."""
    return "\n".join([prefix + lines[0], *("      " + line for line in lines[1:])])
