"""Photos to eBay Picture Services (the Media API), which hosts every image a listing shows.

Each photo is prepared to eBay's rules and uploaded with createImageFromFile, a dozen at a time
(Media API POSTs are limited to 50 per 5 seconds per user). The answer carries the EPS imageUrl
(eBay's image guide), else the image id in its Location header is read back with getImage. One
refused photo cancels the other uploads.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import httpx

from marketplaces.base import MarketplaceError
from marketplaces.ebay.config import MEDIA, NAME
from marketplaces.ebay.listing import RULES
from marketplaces.http import ApiClient
from marketplaces.photos import prepare_to_publish

#: A listing's photos go up together (eBay takes 24 at most, so two rounds at worst): well inside
#: the Media API's 50 calls per 5 seconds even for two such listings at once.
UPLOADS_AT_ONCE: Final = 12


class Pictures:
    """Uploads to the Media API host (apim), for whoever's token is passed."""

    def __init__(self, api: ApiClient, media_base_url: str) -> None:
        self._api = api
        self._images = f"{media_base_url}{MEDIA}/image"

    async def upload_all(self, token: str, photos: tuple[bytes, ...]) -> list[str]:
        """The eBay-hosted URL of each photo, in order."""
        gate = asyncio.Semaphore(UPLOADS_AT_ONCE)

        async def one(index: int, data: bytes) -> str:
            prepared = await prepare_to_publish(data, RULES, number=index + 1)
            async with gate:
                return await self._upload(token, index, prepared)

        try:
            async with asyncio.TaskGroup() as group:  # one failure cancels the other uploads
                tasks = [group.create_task(one(i, data)) for i, data in enumerate(photos)]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _upload(self, token: str, index: int, jpeg: bytes) -> str:
        files = {"image": (f"photo-{index + 1}.jpg", jpeg, "image/jpeg")}
        response = await self._api.call(
            "POST", f"{self._images}/create_image_from_file", token=token, ok=(201, 200),
            files=files, repeatable=True,  # at worst an unused copy of the picture
        )
        url = _json_or_empty(response).get("imageUrl")
        if not url:  # the body is optional: the Location header names the image to read
            image_id = response.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
            if not image_id:
                raise MarketplaceError(NAME, "eBay stored a photo but did not say where")
            image = await self._api.json("GET", f"{self._images}/{image_id}", token=token)
            url = image.get("imageUrl")
        if not url:
            raise MarketplaceError(NAME, "eBay did not return a URL for an uploaded photo")
        return str(url)


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
