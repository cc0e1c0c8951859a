"""Recognise, from its markers alone, a JPEG that is already what the photo pipeline makes.

The bot keeps every photo cleaned (bot/selling/photos.py): a baseline JFIF JPEG with nothing but
pixels. When a marketplace's rules take it as it is, decoding and encoding it again would cost
tens of milliseconds of CPU per photo and marketplace, and lose a little quality each time, for
nothing. Reading the segment headers up to the start of scan takes microseconds.
"""

from __future__ import annotations

from typing import Final

_SOI: Final = b"\xff\xd8"
_EOI: Final = b"\xff\xd9"
_APP0, _DQT, _DHT, _DRI, _SOF0, _SOS = 0xE0, 0xDB, 0xC4, 0xDD, 0xC0, 0xDA
#: Everything else (EXIF, ICC and XMP in APPn, comments, progressive or arithmetic frames, an
#: Adobe colour transform) means the pipeline has work to do.
_PIXELS_ONLY: Final = frozenset({_APP0, _DQT, _DHT, _DRI, _SOF0})


def clean_jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a complete baseline JFIF JPEG, 8-bit grey or YCbCr, without a
    thumbnail or any metadata; None for anything else (a truncated file included)."""
    if not data.startswith(_SOI) or not data.endswith(_EOI):
        return None
    position, size, jfif = 2, None, False
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        length = int.from_bytes(data[position + 2:position + 4], "big")
        segment = data[position + 4:position + 2 + length]
        if length < 2 or len(segment) != length - 2:
            return None
        if marker == _SOS:
            return size if jfif else None
        if marker not in _PIXELS_ONLY:
            return None
        if marker == _APP0:
            # "JFIF\0", version (2), units (1), density (4), thumbnail width and height (1 + 1)
            if jfif or len(segment) < 14 or not segment.startswith(b"JFIF\x00"):
                return None
            if segment[12] or segment[13]:
                return None
            jfif = True
        elif marker == _SOF0:
            precision, components = segment[0], segment[5] if len(segment) > 5 else 0
            if size is not None or precision != 8 or components not in (1, 3):
                return None
            height = int.from_bytes(segment[1:3], "big")
            width = int.from_bytes(segment[3:5], "big")
            if not width or not height:
                return None
            size = (width, height)
        position += 2 + length
    return None
