"""Taking photos in: from Telegram photos or files, checked, cleaned and kept with the draft.

Every photo is checked against the strictest rules of the seller's marketplaces as it arrives,
so a photo that no marketplace could use is refused at once, with a reason, and the rest stay.
What is kept on disk is already cleaned (upright, no metadata, no GPS), scaled to the largest
size any marketplace wants; each adapter scales it further to its own rules when publishing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import Message

from marketplaces.base import Rules
from marketplaces.photos import PhotoRejected, check, prepare_async

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024
MAX_PHOTOS = 24
IMAGE_MIME_TYPES = frozenset({
    "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/avif",
    "image/gif",
})
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".avif", ".gif")


@dataclass(frozen=True)
class IncomingPhoto:
    file_id: str
    file_unique_id: str
    file_size: int | None


class NotAPhoto(Exception):
    """A document that is not an image; the seller is told what to send instead."""


class TooBig(Exception):
    """Over Telegram's 20 MB getFile limit: the bot cannot download it."""


def incoming(message: Message) -> IncomingPhoto | None:
    """The photo in a message: the largest size of a photo, or an image sent as a file."""
    if message.photo:
        largest = message.photo[-1]
        return IncomingPhoto(largest.file_id, largest.file_unique_id, largest.file_size)
    document = message.document
    if document is None:
        return None
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    if mime not in IMAGE_MIME_TYPES and not name.endswith(IMAGE_SUFFIXES):
        raise NotAPhoto(document.file_name or "file")
    return IncomingPhoto(document.file_id, document.file_unique_id, document.file_size)


def combined_rules(rules: list[Rules]) -> Rules:
    """What a kept photo must meet: the largest minimum, the largest maximum side (each
    marketplace scales down further itself) and the smallest photo count."""
    base = rules[0]
    return replace(
        base,
        marketplace=base.marketplace if len(rules) == 1 else "",
        photo_min_side=max(r.photo_min_side for r in rules),
        photo_max_side=max(r.photo_max_side for r in rules),
        photo_max=min(min(r.photo_max for r in rules), MAX_PHOTOS),
        photo_max_bytes=max(r.photo_max_bytes for r in rules),
    )


async def clean(data: bytes, rules: Rules) -> tuple[bytes, int, int]:
    """Check and clean one photo; PhotoRejected carries the sentence for the seller."""
    check(data, rules)
    cleaned = await prepare_async(data, rules)
    info = check(cleaned, rules)
    return cleaned, info.width, info.height


__all__ = ["PhotoRejected", "clean", "combined_rules", "incoming"]
