"""A photo or document parameter turned into stored files: an upload, an attach:// part, a
file_id the emulator issued, or an http(s) URL (fetched only on loopback, so nothing leaves the
machine)."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.telegram.errors import bad_request
from sandbox.telegram.files import FileStore, StoredFile, render_photo
from sandbox.telegram.params import Params, Upload

MAX_PHOTO_UPLOAD_BYTES = 10 * 1024 * 1024


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
                return existing.document()
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
        return stored.document()

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
