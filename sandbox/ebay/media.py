"""The Media API: picture uploads to eBay's picture service (EPS), which the inventory item's
`product.imageUrls` must then name."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from aiohttp import BodyPartReader, web
from PIL import Image, UnidentifiedImageError

from sandbox.ebay.api import EbayApi
from sandbox.ebay.errors import EbayApiError, invalid_request, problem
from sandbox.ebay.marketplace import iso
from sandbox.ebay.oauth import SCOPE_INVENTORY

MEDIA = "/commerce/media/v1_beta"
IMAGE_MIN_LONG_SIDE = 500
IMAGE_MAX_BYTES = 12 * 1024 * 1024


def _image_type(data: bytes) -> str:
    """The picture's MIME type; refuses what EPS cannot read or what is too small to list."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            kind = Image.MIME.get(image.format or "", "")
    except (UnidentifiedImageError, OSError, ValueError):
        raise EbayApiError(400, problem(190002, "The image could not be read. Upload a JPG, "
                                        "GIF, PNG, BMP, TIFF, AVIF, HEIC or WEBP file.",
                                        domain="API_MEDIA")) from None
    if max(width, height) < IMAGE_MIN_LONG_SIDE:
        raise EbayApiError(400, problem(190002, f"The image must be at least "
                                        f"{IMAGE_MIN_LONG_SIDE} pixels on its longest side.",
                                        domain="API_MEDIA"))
    return kind or "image/jpeg"


class MediaApi(EbayApi):
    """Picture uploads to EPS: multipart `image` in, 201 with Location and imageUrl out."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(f"{MEDIA}/image/create_image_from_file", self.create_image)
        router.add_get(f"{MEDIA}/image/{{image_id}}", self.get_image)
        router.add_get("/images/g/{image_id}/s-l1600.jpg", self.state.images.serve)

    async def create_image(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_INVENTORY)
        data = await self._image_part(request)
        image_id = self.state.images.put(data, _image_type(data))
        location = f"{self.state.base_url()}{MEDIA}/image/{image_id}"
        return web.json_response(self._body(image_id), status=201, headers={"Location": location})

    async def get_image(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_INVENTORY)
        image_id = request.match_info["image_id"]
        if self.state.images.get(image_id) is None:
            raise EbayApiError(404, problem(
                190001, "The image was not found.", domain="API_MEDIA",
                parameters={"image_id": image_id},
            ))
        return web.json_response(self._body(image_id))

    def _body(self, image_id: str) -> dict[str, str]:
        expires = datetime.now(UTC) + timedelta(days=30)
        return {"imageUrl": self.state.image_url(image_id), "expirationDate": iso(expires)}

    @staticmethod
    async def _image_part(request: web.Request) -> bytes:
        if not request.content_type.startswith("multipart/form-data"):
            raise invalid_request("The Content-Type header must be multipart/form-data.")
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "image":
                data = bytes(await part.read())
                if len(data) > IMAGE_MAX_BYTES:
                    raise EbayApiError(400, problem(
                        190002, "The image file is larger than 12 MB.", domain="API_MEDIA"))
                return data
        raise invalid_request("The multipart body has no part named image.")
