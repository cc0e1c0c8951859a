"""The photo pipeline: whatever a phone sends becomes a clean, upright sRGB JPEG to list.

Photos come from strangers' phones, so every input is treated as hostile: only a handful of image
formats are parsed at all, the declared size is checked before a single pixel is decoded, and
anything Pillow cannot read becomes a `PhotoRejected` whose message the seller can act on.

Output choices, and why:

- Baseline JPEG, quality 85, libjpeg's standard Huffman tables: every marketplace takes it, and 85
  is where phone photos stop showing artefacts at listing sizes. Quality drops stepwise only when a
  marketplace's byte limit demands it. Optimised Huffman tables would save about 3% of the bytes
  for a second pass over the image (about 9 ms of a 12 MP photo's ~110 ms): not worth the CPU.
- Bicubic scaling after a JPEG is decoded straight at 1/2, 1/4 or 1/8 scale: the decoder does
  most of the reduction in the DCT domain, the last step (at most 2×) is bicubic, which keeps fine
  detail within a few per cent of Lanczos (bench/README.md) for three quarters of its time.
- sRGB with no embedded profile: untagged images are read as sRGB by browsers and by the
  marketplaces' own resizers, so a profile would add bytes and say nothing new. Inputs tagged
  with another profile (an iPhone's Display P3, a CMYK print profile) are converted to sRGB first,
  so dropping the tag does not shift colours.
- A photo that already is such a JPEG and fits the marketplace's rules (the bot keeps every
  photo cleaned, so this is the usual case when publishing) is sent as it is: no second
  generation of JPEG loss, and no CPU.
- No metadata at all: EXIF (GPS above all: it is the seller's home address), XMP, IPTC, comments
  and the ICC tag are dropped, because none of it helps a buyer and some of it exposes the seller.
"""

from __future__ import annotations

import asyncio
import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import pillow_heif
from PIL import Image, ImageCms, UnidentifiedImageError

from marketplaces.base import Rejected, Rules
from marketplaces.clean_jpeg import clean_jpeg_size

pillow_heif.register_heif_opener()

#: Declared pixels above which a photo is refused before decoding. 64 MP lets through the 48 MP
#: and 50 MP modes of current phones (8064×6048, 8160×6144) and refuses 108/200 MP modes, whose
#: full decode (PNG, HEIC and WebP cannot decode at reduced scale) would cost up to a gigabyte.
MAX_PIXELS: Final = 64_000_000

#: Formats a phone sends. MPO (multi-picture JPEG, common on Android) opens through "JPEG"; GIF
#: and animated WebP give their first frame. Everything else (PDF, EPS, TIFF, PSD…) is refused
#: unparsed, which also keeps Pillow's rarer decoders away from untrusted bytes.
ACCEPTED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "HEIF", "AVIF", "GIF")

JPEG_QUALITY: Final = 85
_QUALITY_STEPS: Final = (JPEG_QUALITY, 80, 75, 70, 60, 50, 40)
_RESAMPLING: Final = Image.Resampling.BICUBIC  # the module docstring says why not Lanczos
_SHRINK_STEP: Final = 0.8  # when even the lowest quality is too big, scale down by this much
_WHITE: Final = (255, 255, 255)
_ORIENTATION_TAG: Final = 0x0112
_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_SIDES: Final = frozenset({5, 6, 7, 8})
_SIXTEEN_BIT_MODES: Final = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})

_UNREADABLE: Final = (
    "This file isn't a photo I can read. Send it as a JPEG, PNG, WebP or HEIC photo."
)
_DAMAGED: Final = (
    "This photo seems damaged or incomplete, so I can't read it. Send it again, or take a new one."
)
_TOO_MANY_PIXELS: Final = (
    f"This image is too large to process safely (over {MAX_PIXELS // 1_000_000} megapixels). "
    "Send a smaller photo, for example one taken at your camera's standard resolution."
)

# Decoding a photo can take hundreds of megabytes, so only a few run at once; a pool of our own
# keeps queued photos from occupying the event loop's default executor (DNS lookups use it).
_EXECUTOR: Final = ThreadPoolExecutor(
    max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="photos"
)


class PhotoRejected(ValueError):
    """A photo we will not use; `message` is a sentence the seller can act on."""

    def __init__(self, message: str, marketplace: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.marketplace = marketplace


@dataclass(frozen=True)
class PhotoInfo:
    """What a photo is, read from its header: format and upright size in pixels."""

    format: str
    width: int
    height: int


# ── Public API ────────────────────────────────────────────────────────────────────────────────


def inspect(data: bytes) -> PhotoInfo:
    """Identify a photo from its header alone, so the bot can answer the moment it arrives.

    Pixels are not decoded, so a truncated file passes here and is refused by `prepare`.
    """
    with _open(data) as im:
        return _info(im)


def check(data: bytes, rules: Rules) -> PhotoInfo:
    """`inspect`, plus the size rules of one marketplace: refuse a photo before it is stored."""
    info = inspect(data)
    _check_size(info, rules)
    return info


def prepare(data: bytes, rules: Rules) -> bytes:
    """The photo as `rules` want it: an upright, metadata-free sRGB baseline JPEG (CPU-bound,
    except for a photo that already is one and fits: that one is returned as it is)."""
    if _already_fits(data, rules):
        return data
    with _open(data) as source:
        info = _info(source)
        _check_size(info, rules)
        size = _fitted_size(source.size, rules.photo_max_side)  # before a reduced-scale decode
        _decode(source, rules.photo_max_side)
        image = _to_working_mode(source)
        image = _fit(image, size)
        image = _flatten(image)
        image = _to_srgb(image, source.info.get("icc_profile"))
        image = _upright(image, _orientation(source))
        return _encode_within(image, rules)


async def prepare_async(data: bytes, rules: Rules) -> bytes:
    """`prepare` on a worker thread, so the event loop keeps serving other sellers meanwhile."""
    if _already_fits(data, rules):  # no trip through the photo threads' queue
        return data
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_EXECUTOR, prepare, data, rules)


def check_count(count: int, rules: Rules, *, none: str, too_many: str) -> None:
    """Refuse a listing of `count` photos with none (the sentence `none`) or more than
    `rules.photo_max` (`too_many`, which may name {max}, {sent} and {extra}), as the
    marketplace's `Rejected(field="photos")`."""
    if count == 0:
        raise Rejected(rules.marketplace, none, field="photos")
    if count > rules.photo_max:
        sentence = too_many.format(max=rules.photo_max, sent=count, extra=count - rules.photo_max)
        raise Rejected(rules.marketplace, sentence, field="photos")


async def prepare_to_publish(data: bytes, rules: Rules, *, number: int | None = None) -> bytes:
    """`prepare_async` for an adapter: a photo the marketplace cannot take is refused as its
    `Rejected(field="photos")`, the sentence prefixed "Photo N: " when `number` is given."""
    try:
        return await prepare_async(data, rules)
    except PhotoRejected as exc:
        prefix = f"Photo {number}: " if number is not None else ""
        raise Rejected(rules.marketplace, prefix + exc.message, field="photos") from None


def _already_fits(data: bytes, rules: Rules) -> bool:
    """Whether `data` is a clean baseline JPEG (as `prepare` writes them) within `rules`'
    long side and bytes; PhotoRejected when it is one but too small for them."""
    size = clean_jpeg_size(data)
    if size is None or max(size) > rules.photo_max_side or len(data) > rules.photo_max_bytes:
        return False
    _check_size(PhotoInfo(format="JPEG", width=size[0], height=size[1]), rules)
    return True


# ── Reading ───────────────────────────────────────────────────────────────────────────────────


def _open(data: bytes) -> Image.Image:
    """Open lazily (header only) and refuse non-photos and decompression bombs."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected(_TOO_MANY_PIXELS) from exc
    except UnidentifiedImageError as exc:
        raise PhotoRejected(_UNREADABLE) from exc
    except (OSError, ValueError, SyntaxError, EOFError, RuntimeError) as exc:
        raise PhotoRejected(_DAMAGED) from exc
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise PhotoRejected(_TOO_MANY_PIXELS)
    if width < 1 or height < 1:
        image.close()
        raise PhotoRejected(_DAMAGED)
    return image


def _orientation(image: Image.Image) -> int:
    """The EXIF (or XMP) orientation, 1 when absent; never forces a PNG to decode to find it."""
    if image.format == "PNG" and "exif" not in image.info:
        return 1  # an eXIf chunk after the pixels is read by `load`; inspect does without it
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except (OSError, ValueError, SyntaxError):
        return 1  # unreadable EXIF only loses the rotation hint, not the photo
    return value if value in _TRANSPOSE else 1


def _info(image: Image.Image) -> PhotoInfo:
    width, height = image.size
    if _orientation(image) in _SWAPS_SIDES:
        width, height = height, width
    return PhotoInfo(format=image.format or "unknown", width=width, height=height)


def _decode(image: Image.Image, max_side: int) -> None:
    """Decode the pixels; a JPEG decodes straight at 1/2, 1/4 or 1/8 scale when that suffices.

    The draft size is computed on the stored (unrotated) dimensions: a 90° turn swaps width and
    height but not the scale factor, and `draft` only picks scales that stay at or above it.
    """
    if image.format in ("JPEG", "MPO") and max(image.size) > max_side:
        image.draft("RGB", _fitted_size(image.size, max_side))
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected(_TOO_MANY_PIXELS) from exc
    except (OSError, ValueError, SyntaxError, EOFError, RuntimeError) as exc:
        raise PhotoRejected(_DAMAGED) from exc


# ── Pixels ────────────────────────────────────────────────────────────────────────────────────


def _fitted_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """`size` scaled so its longer side is at most `max_side`; never enlarged."""
    width, height = size
    scale = max_side / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_working_mode(image: Image.Image) -> Image.Image:
    """One of L, LA, RGB, RGBA or CMYK: modes that resize smoothly and keep their ICC meaning."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    if mode in _SIXTEEN_BIT_MODES:
        # 16-bit grey (PNG): scale to 8 bits; a plain convert would clip almost all of it white.
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def _fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale to `size`, fitted from the stored dimensions: a reduced-scale decode rounds odd
    sides up (3200×1601 at half is 1600×801), which must not change the output's shape. Box-
    reduce first when far above it."""
    if size == image.size:
        return image
    return image.resize(size, _RESAMPLING, reducing_gap=3.0)


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent areas onto white: JPEG has no alpha, and a white ground suits product shots."""
    if image.mode not in ("LA", "RGBA"):
        return image
    base_mode = image.mode[:-1]
    background = Image.new(base_mode, image.size, 255 if base_mode == "L" else _WHITE)
    background.paste(image.convert(base_mode), mask=image.getchannel("A"))
    return background


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB pixels in sRGB: through the embedded profile when there is one, else as Pillow reads."""
    if icc_profile:
        converted = _through_profile(image, icc_profile)
        if converted is not None:
            return converted
    return image if image.mode == "RGB" else image.convert("RGB")


def _through_profile(image: Image.Image, icc_profile: bytes) -> Image.Image | None:
    """The image converted from its embedded profile to sRGB; None when the profile is unusable.

    A profile that says it is sRGB is taken at its word (the conversion would be an identity that
    costs tens of milliseconds). A broken profile, or one for another colour space than the
    pixels, only loses its colour correction, never the photo.
    """
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if ImageCms.getProfileDescription(source).strip().startswith("sRGB"):
            return None
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        return ImageCms.profileToProfile(
            image,
            source,
            srgb,
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            outputMode="RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """Apply the EXIF orientation to the pixels (after scaling, so far fewer pixels move)."""
    method = _TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)


# ── Writing ───────────────────────────────────────────────────────────────────────────────────


def _encode(image: Image.Image, quality: int) -> bytes:
    """A baseline JPEG carrying nothing but pixels."""
    image.info.clear()  # Pillow copies a source comment (and may copy more) from `info` on save
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=False, progressive=False)
    return buffer.getvalue()


def _encode_within(image: Image.Image, rules: Rules) -> bytes:
    """The best JPEG under `rules.photo_max_bytes`: lower quality first, then fewer pixels."""
    while True:
        for quality in _QUALITY_STEPS:
            encoded = _encode(image, quality)
            if len(encoded) <= rules.photo_max_bytes:
                return encoded
        width, height = image.size
        smaller = (round(width * _SHRINK_STEP), round(height * _SHRINK_STEP))
        if min(smaller) < max(1, rules.photo_min_side) or max(smaller) < rules.photo_min_long_side:
            raise PhotoRejected(_too_heavy(rules), rules.marketplace)
        image = image.resize(smaller, _RESAMPLING)


# ── Rules and sentences ───────────────────────────────────────────────────────────────────────


def _check_size(info: PhotoInfo, rules: Rules) -> None:
    """Refuse a photo whose long side is under the marketplace's minimum for it, or whose short
    side is, or would end up after fitting, under the minimum for each side."""
    name = rules.display_name
    shorter, longer = sorted((info.width, info.height))
    if longer < rules.photo_min_long_side:
        raise PhotoRejected(
            f"This photo is only {info.width}×{info.height} pixels; {name} needs at least "
            f"{rules.photo_min_long_side} pixels on its longest side. Send a larger photo.",
            rules.marketplace,
        )
    if shorter < rules.photo_min_side:
        raise PhotoRejected(
            f"This photo is only {info.width}×{info.height} pixels; {name} needs at least "
            f"{rules.photo_min_side} pixels on each side. Send a larger photo.",
            rules.marketplace,
        )
    fitted = min(_fitted_size((info.width, info.height), rules.photo_max_side))
    if fitted < rules.photo_min_side:
        raise PhotoRejected(
            f"This photo is {info.width}×{info.height} pixels, too long and narrow: fitted to "
            f"{name}'s {rules.photo_max_side}-pixel limit it would be only {fitted} pixels on "
            f"its short side, and {name} needs at least {rules.photo_min_side}. Crop it closer "
            "to the item and send it again.",
            rules.marketplace,
        )


def _too_heavy(rules: Rules) -> str:
    name = rules.display_name
    limit = _format_bytes(rules.photo_max_bytes)
    return (
        f"I couldn't make this photo small enough for {name} (at most {limit}) without making "
        "it too small to see. Send a photo with a plainer background, or a different shot."
    )


def _format_bytes(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{max(1, count // 1024)} KB"
