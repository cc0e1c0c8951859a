"""Photo uploads: /v1/photos takes one JPEG of at least 400 pixels a side, stores it once per
account (the same bytes again answer 200 with the same photo) and serves it back."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import BodyPartReader, web
from PIL import Image, UnidentifiedImageError

from sandbox.kit import ImageStore, OAuthProvider
from sandbox.offerup.api import PartnerApi
from sandbox.offerup.problems import Problem, invalid, problem_response

PHOTO_MAX_BYTES: Final = 12 * 1024 * 1024
PHOTO_MIN_SIDE: Final = 400
PHOTO_MAX_PIXELS: Final = 64_000_000


@dataclass
class SandboxPhoto:
    """One uploaded photo, once per account and content; tests read these."""

    id: str
    account_id: str
    digest: str
    width: int
    height: int
    url: str


class PhotosApi(PartnerApi):
    """/v1/photos, and the photos every account uploaded."""

    def __init__(self, oauth: OAuthProvider, base_url: Callable[[], str],
                 images: ImageStore) -> None:
        super().__init__(oauth, base_url)
        self.images = images
        self.photos: dict[str, SandboxPhoto] = {}
        self._photo_by_digest: dict[tuple[str, str], str] = {}

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/photos", self.upload_photo)

    async def upload_photo(self, request: web.Request) -> web.Response:
        account_id = self.grant(request, "listings.write").account.account_id
        if request.content_type != "multipart/form-data":
            raise Problem(problem_response(415, detail="Send the photo as multipart/form-data."))
        data = await _read_file_part(request)
        try:
            width, height = await asyncio.to_thread(_jpeg_size, data)
        except ValueError as exc:
            raise Problem(problem_response(415, detail=str(exc))) from None
        if min(width, height) < PHOTO_MIN_SIDE:
            raise invalid([{
                "field": "file",
                "message": f"must be at least {PHOTO_MIN_SIDE} pixels on each side "
                f"(this one is {width}×{height})",
            }])
        if width * height > PHOTO_MAX_PIXELS:
            raise invalid([{"field": "file", "message": "must be at most 64 megapixels"}])
        digest = hashlib.sha256(data).hexdigest()
        existing = self._photo_by_digest.get((account_id, digest))
        if existing is not None:
            return web.json_response(_photo_json(self.photos[existing]), status=200)
        image_id = self.images.put(data, "image/jpeg")
        photo = SandboxPhoto(
            id=f"ph_{image_id}",
            account_id=account_id,
            digest=digest,
            width=width,
            height=height,
            url=f"{self.base_url()}/images/{image_id}",
        )
        self.photos[photo.id] = photo
        self._photo_by_digest[(account_id, digest)] = photo.id
        return web.json_response(_photo_json(photo), status=201)

    def photos_of(self, account_id: str) -> set[str]:
        """The ids of the photos this account uploaded."""
        return {pid for pid, photo in self.photos.items() if photo.account_id == account_id}


async def _read_file_part(request: web.Request) -> bytes:
    """The `file` part, read no further than the size limit."""
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name != "file":
            continue
        if part.headers.get("Content-Type", "").split(";")[0].strip() != "image/jpeg":
            raise Problem(problem_response(415, detail="The photo must be image/jpeg."))
        data = bytearray()
        while chunk := await part.read_chunk(256 * 1024):
            data.extend(chunk)
            if len(data) > PHOTO_MAX_BYTES:
                raise Problem(problem_response(413, detail="A photo may be at most 12 MB."))
        return bytes(data)
    raise invalid([{"field": "file", "message": "is required: send the photo in a part "
                     "named file"}])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height of a complete JPEG; ValueError for anything else."""
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                return image.width, image.height
            image.load()
            return image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValueError("The photo is not a readable JPEG.") from None


def _photo_json(photo: SandboxPhoto) -> dict[str, Any]:
    return {"id": photo.id, "url": photo.url, "width": photo.width, "height": photo.height}
