"""The pictures a sandbox holds (uploaded by the seller or fetched from the seller's links),
served back at stable URLs as the marketplace's image host would."""

from __future__ import annotations

import secrets

from aiohttp import web


class ImageStore:
    """Images the sandbox holds (uploaded or fetched), served back at stable URLs."""

    def __init__(self) -> None:
        self._images: dict[str, tuple[bytes, str]] = {}

    def put(self, data: bytes, content_type: str = "image/jpeg") -> str:
        image_id = secrets.token_hex(12)
        self._images[image_id] = (data, content_type)
        return image_id

    def get(self, image_id: str) -> tuple[bytes, str] | None:
        return self._images.get(image_id)

    def all(self) -> list[bytes]:
        """Every image held, e.g. to check what sellers' photos reveal."""
        return [data for data, _ in self._images.values()]

    async def serve(self, request: web.Request) -> web.Response:
        found = self.get(request.match_info["image_id"])
        if found is None:
            raise web.HTTPNotFound()
        data, content_type = found
        return web.Response(body=data, content_type=content_type)
