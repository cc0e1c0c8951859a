"""Photos served to marketplaces that fetch images by URL (Facebook), at unguessable,
expiring, signed URLs under PUBLIC_BASE_URL.

A URL is `{base}/media/{id}.{expires}.{signature}.jpg`: the id is random, the expiry is part of
what is signed, so a URL can be neither guessed nor extended. The bot's web server mounts
`MediaStore.handle` at `/media/{token}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

DEFAULT_TTL_SECONDS = 7 * 24 * 3600
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{22})\.(\d{10})\.([0-9a-f]{64})\.jpg$")


class MediaStore:
    def __init__(
        self,
        directory: Path,
        signing_key: bytes,
        public_base_url: str,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        older_keys: Sequence[bytes] = (),
    ) -> None:
        """URLs are signed with `signing_key`; `older_keys` (from before a key rotation) still
        verify the URLs they signed, until those expire."""
        self.directory = directory
        self._key = signing_key
        self._older_keys = tuple(older_keys)
        self.public_base_url = public_base_url.rstrip("/")
        self.ttl_seconds = ttl_seconds

    def _sign(self, media_id: str, expires: int, key: bytes | None = None) -> str:
        message = f"{media_id}.{expires}".encode()
        return hmac.new(key or self._key, message, hashlib.sha256).hexdigest()

    async def publish(self, data: bytes) -> str:
        """Keep a prepared JPEG and return the URL a marketplace may fetch it from."""
        media_id = secrets.token_urlsafe(16)
        expires = int(time.time()) + self.ttl_seconds
        path = self.directory / f"{media_id}.jpg"
        await asyncio.to_thread(self._write, path, data)
        signature = self._sign(media_id, expires)
        return f"{self.public_base_url}/media/{media_id}.{expires}.{signature}.jpg"

    def _write(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)

    def resolve(self, token: str, *, now: float | None = None) -> Path | None:
        """The file behind a URL token, or None if forged, expired or gone."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        media_id, expires_text, signature = match.groups()
        expires = int(expires_text)
        keys = (self._key, *self._older_keys)
        if not any(hmac.compare_digest(signature, self._sign(media_id, expires, key))
                   for key in keys):
            return None
        if expires < (now if now is not None else time.time()):
            return None
        path = self.directory / f"{media_id}.jpg"
        return path if path.is_file() else None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for GET /media/{token}: 404 for anything not valid, never a hint."""
        path = self.resolve(request.match_info["token"])
        if path is None:
            raise web.HTTPNotFound()
        headers = {"Content-Type": "image/jpeg", "Cache-Control": "private, max-age=3600"}
        return web.FileResponse(path, headers=headers)

    def purge_expired(self, *, older_than_seconds: int | None = None) -> int:
        """Delete files older than the URL lifetime: no URL can reach them any more."""
        horizon = time.time() - (older_than_seconds or self.ttl_seconds)
        removed = 0
        if not self.directory.is_dir():
            return 0
        for path in self.directory.glob("*.jpg"):
            if path.stat().st_mtime < horizon:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
