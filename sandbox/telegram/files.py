"""The files Telegram holds: opaque file ids, download paths, and a photo kept as several JPEG
sizes (as Telegram resizes every photo it receives)."""

from __future__ import annotations

import base64
import io
import itertools
import secrets
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image, ImageOps

PHOTO_SIDES = (90, 320, 800, 1280)


def _opaque(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


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

    def document(self) -> dict[str, Any]:
        """The Document object."""
        document: dict[str, Any] = {"file_id": self.file_id,
                                    "file_unique_id": self.file_unique_id,
                                    "file_size": self.file_size, "mime_type": self.mime_type}
        if self.file_name:
            document["file_name"] = self.file_name
        return document

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
