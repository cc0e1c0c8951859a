"""The photo pipeline, fed what phones really send; every input is made here with Pillow."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import struct
import threading
import zlib
from collections.abc import Callable

import pillow_heif
import pytest
from PIL import Image, ImageCms, ImageOps

from marketplaces import photos
from marketplaces.base import Condition, Rules
from marketplaces.ebay.listing import RULES as EBAY_RULES
from marketplaces.photos import PhotoInfo, PhotoRejected, check, inspect, prepare, prepare_async

# Facebook's catalog: at least 500 pixels on each side (eBay's own rule is the longest side).
SQUARE_500 = Rules(
    marketplace="facebook",
    display_name="Facebook",
    title_max=80,
    description_max=4000,
    photo_max=24,
    photo_min_side=500,
    photo_max_side=1600,
    location_required=False,
    conditions=frozenset(Condition),
)

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)

# JPEG markers a clean baseline file may hold: SOI, APP0 (JFIF), DQT, SOF0, DHT, DRI, SOS.
CLEAN_MARKERS = {0xD8, 0xE0, 0xDB, 0xC0, 0xC4, 0xDD, 0xDA}


# ── Helpers ───────────────────────────────────────────────────────────────────────────────────


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def jpeg_markers(data: bytes) -> list[int]:
    """The segment markers of a JPEG up to the start of scan."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, position = [0xD8], 2
    while position < len(data):
        assert data[position] == 0xFF
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    raise AssertionError("no start of scan")


def assert_clean_jpeg(data: bytes) -> Image.Image:
    """A baseline JPEG with nothing in it but pixels; returns it decoded."""
    markers = jpeg_markers(data)
    assert 0xC0 in markers, "not baseline"
    assert set(markers) <= CLEAN_MARKERS, [hex(m) for m in markers]
    image = opened(data)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert not image.getexif()
    assert "icc_profile" not in image.info
    assert "comment" not in image.info
    return image


def near(pixel: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def noise(size: tuple[int, int]) -> Image.Image:
    """Photo-like content that JPEG cannot squeeze much: a gradient under sensor-like noise."""
    gradient = Image.linear_gradient("L").resize(size)
    bands = [Image.blend(gradient, Image.effect_noise(size, 60 + 10 * i), 0.5) for i in range(3)]
    return Image.merge("RGB", bands)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size in a few dozen bytes: a decompression bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024, 9))
        + chunk(b"IEND", b"")
    )


def swapped_primaries_profile() -> bytes:
    """An RGB profile whose red and green colourants are swapped: pure red in it is green in sRGB.

    Built from Pillow's own sRGB profile by exchanging the rXYZ and gXYZ tag bodies and renaming
    it, so colour management (not a lucky default) is the only way the test can pass.
    """
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    tags = {}
    (count,) = struct.unpack(">I", data[128:132])
    for index in range(count):
        signature, offset, size = struct.unpack(">4sII", data[132 + 12 * index : 144 + 12 * index])
        tags[signature] = (offset, size)
    (red_at, size), (green_at, _) = tags[b"rXYZ"], tags[b"gXYZ"]
    red, green = bytes(data[red_at : red_at + size]), bytes(data[green_at : green_at + size])
    data[red_at : red_at + size], data[green_at : green_at + size] = green, red
    renamed = bytes(data).replace("sRGB".encode("utf-16-be"), "Swap".encode("utf-16-be"))
    assert renamed != bytes(data)
    return renamed


# ── Orientation and metadata ──────────────────────────────────────────────────────────────────


def test_exif_orientation_is_applied_to_the_pixels() -> None:
    stored = Image.new("RGB", (4000, 2000), BLUE)
    stored.paste(RED, (0, 0, 400, 400))  # marks the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = encode(stored, exif=exif.tobytes(), quality=90)

    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert out.size == (800, 1600)  # width and height swapped, long side fitted
    assert near(out.getpixel((790, 10)), RED)  # the marker now sits top-right
    assert near(out.getpixel((10, 10)), BLUE)
    reference = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert near(reference.getpixel((reference.width - 10, 10)), RED)


def test_inspect_reports_the_upright_size_without_decoding() -> None:
    exif = Image.Exif()
    exif[0x0112] = 8
    data = encode(Image.new("RGB", (1200, 900), BLUE), exif=exif.tobytes())

    assert inspect(data) == PhotoInfo(format="JPEG", width=900, height=1200)
    assert check(data, SQUARE_500) == PhotoInfo(format="JPEG", width=900, height=1200)


def test_gps_and_every_other_metadata_are_removed() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "Camera 1.0"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (40.0, 26.0, 46.0)
    gps[3], gps[4] = "W", (79.0, 58.0, 56.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(
        noise((1200, 900)),
        exif=exif.tobytes(),
        xmp=xmp,
        comment=b"shot at 12 Elm Street",
        icc_profile=srgb,
        dpi=(300, 300),
    )
    assert b"GPS" in data or b"Exif" in data  # the input really carries it

    out = prepare(data, SQUARE_500)

    assert_clean_jpeg(out)
    for secret in (b"Exif", b"GPS", b"PhoneMaker", b"xmpmeta", b"Elm Street", b"ICC_PROFILE"):
        assert secret not in out


# ── Transparency and colour ───────────────────────────────────────────────────────────────────


def half_transparent(mode: str) -> Image.Image:
    """Left half fully transparent, right half opaque blue (or grey), in the given mode."""
    image = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (400, 0, 800, 600))
    if mode == "LA":
        return image.convert("LA")
    if mode == "P":
        return image.convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    return image


@pytest.mark.parametrize(
    ("mode", "fmt"), [("RGBA", "PNG"), ("LA", "PNG"), ("P", "PNG"), ("RGBA", "WEBP")]
)
def test_transparency_is_flattened_on_white(mode: str, fmt: str) -> None:
    data = encode(half_transparent(mode), fmt, **({"lossless": True} if fmt == "WEBP" else {}))

    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert out.size == (800, 600)
    assert near(out.getpixel((100, 300)), WHITE)
    assert not near(out.getpixel((700, 300)), WHITE)


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (900, 700), (0, 255, 255, 0)))  # full magenta + yellow

    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert near(out.getpixel((450, 350)), RED, tolerance=20)


def test_embedded_profile_is_converted_to_srgb_and_dropped() -> None:
    data = encode(Image.new("RGB", (900, 700), RED), "PNG", icc_profile=swapped_primaries_profile())

    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert near(out.getpixel((450, 350)), GREEN, tolerance=20)


def test_srgb_profile_leaves_colours_alone() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(Image.new("RGB", (900, 700), (200, 120, 40)), "PNG", icc_profile=srgb)

    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert near(out.getpixel((450, 350)), (200, 120, 40), tolerance=3)


def test_profile_for_the_wrong_colour_space_is_ignored_not_fatal() -> None:
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    data = encode(Image.new("RGB", (900, 700), (200, 120, 40)), icc_profile=lab)

    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert near(out.getpixel((450, 350)), (200, 120, 40), tolerance=6)


def test_sixteen_bit_grey_keeps_its_tones() -> None:
    data = encode(Image.new("I;16", (800, 600), 32768), "PNG")

    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert near(out.getpixel((400, 300)), (128, 128, 128), tolerance=3)


# ── Sizes ─────────────────────────────────────────────────────────────────────────────────────


def test_large_photo_is_scaled_to_the_long_side_limit() -> None:
    photo = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    data = encode(photo, quality=80)

    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert out.size == (1600, 1067)


def test_photo_between_the_limits_is_never_enlarged() -> None:
    out = assert_clean_jpeg(prepare(encode(Image.new("RGB", (700, 600), BLUE)), SQUARE_500))

    assert out.size == (700, 600)


def test_tiny_photo_is_refused_with_its_size_and_the_minimum() -> None:
    data = encode(Image.new("RGB", (320, 240), BLUE))

    for attempt in (lambda: check(data, SQUARE_500), lambda: prepare(data, SQUARE_500)):
        with pytest.raises(PhotoRejected) as refused:
            attempt()
        assert refused.value.message == (
            "This photo is only 320×240 pixels; Facebook needs at least 500 pixels on each "
            "side. "
            "Send a larger photo."
        )
        assert refused.value.marketplace == "facebook"


def test_ebay_takes_an_ordinary_camera_photo_of_640_by_480() -> None:
    """eBay's picture policy asks for 500 pixels on the longest side, not on each."""
    data = encode(Image.new("RGB", (640, 480), BLUE))

    assert check(data, EBAY_RULES).width == 640
    assert assert_clean_jpeg(prepare(data, EBAY_RULES)).size == (640, 480)


def test_ebay_refuses_400_by_300_with_its_rule_in_the_sentence() -> None:
    data = encode(Image.new("RGB", (400, 300), BLUE))

    with pytest.raises(PhotoRejected) as refused:
        check(data, EBAY_RULES)

    assert refused.value.message == (
        "This photo is only 400×300 pixels; eBay needs at least 500 pixels on its longest "
        "side. Send a larger photo."
    )


def test_panorama_that_would_shrink_below_the_minimum_is_refused() -> None:
    data = encode(Image.new("RGB", (6000, 1000), BLUE))

    with pytest.raises(PhotoRejected, match=r"6000×1000 .* only 267 pixels .* Crop it"):
        check(data, SQUARE_500)


def test_output_fits_the_byte_limit_by_lowering_quality() -> None:
    data = encode(noise((1600, 1200)), quality=95)
    unlimited = prepare(data, SQUARE_500)
    limit = len(unlimited) * 2 // 3

    out = prepare(data, dataclasses.replace(SQUARE_500, photo_max_bytes=limit))

    assert len(out) <= limit
    assert assert_clean_jpeg(out).size == (1600, 1200)


def test_impossible_byte_limit_is_refused_in_words() -> None:
    data = encode(noise((800, 600)))

    with pytest.raises(PhotoRejected, match=r"small enough for Facebook \(at most 2 KB\)"):
        prepare(data, dataclasses.replace(SQUARE_500, photo_max_bytes=2048))


# ── Formats ───────────────────────────────────────────────────────────────────────────────────


# Decoding HEIC is what production needs; encoding is only how these tests make their inputs.
requires_heic_encoder = pytest.mark.skipif(
    not pillow_heif.libheif_info().get("HEIF"),
    reason="this pillow-heif wheel has no HEIC encoder (x265), so no HEIC input can be made",
)


@requires_heic_encoder
def test_heic_from_an_iphone_is_read_upright() -> None:
    stored = Image.new("RGB", (1200, 800), BLUE)
    stored.paste(RED, (0, 0, 200, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(stored, "HEIF", exif=exif.tobytes(), quality=90)
    assert data[4:12] == b"ftypheic"

    assert inspect(data) == PhotoInfo(format="HEIF", width=800, height=1200)
    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert out.size == (800, 1200)
    assert near(out.getpixel((790, 10)), RED, tolerance=20)


@requires_heic_encoder
def test_heic_with_a_wide_gamut_profile_is_converted_to_srgb() -> None:
    data = encode(
        Image.new("RGB", (900, 700), RED), "HEIF", icc_profile=swapped_primaries_profile()
    )

    out = assert_clean_jpeg(prepare(data, SQUARE_500))

    assert near(out.getpixel((450, 350)), GREEN, tolerance=30)


def test_webp_and_gif_and_mpo_are_accepted() -> None:
    image = Image.new("RGB", (900, 700), RED)
    second = Image.new("RGB", (900, 700), BLUE)
    inputs = {
        "WEBP": encode(image, "WEBP"),
        "GIF": encode(image, "GIF", save_all=True, append_images=[second]),
        "MPO": encode(image, "MPO", save_all=True, append_images=[second]),
    }
    for fmt, data in inputs.items():
        assert inspect(data).format == fmt
        out = assert_clean_jpeg(prepare(data, SQUARE_500))
        assert near(out.getpixel((450, 350)), RED, tolerance=20), fmt  # the first frame


# ── Files that are not photos ─────────────────────────────────────────────────────────────────

UNREADABLE = "This file isn't a photo I can read. Send it as a JPEG, PNG, WebP or HEIC photo."


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        b"GIF",
        encode(Image.new("RGB", (800, 600)), "TIFF"),  # an image, but not one a phone sends
    ],
    ids=["zero-bytes", "pdf-named-jpg", "three-bytes", "tiff"],
)
def test_non_photos_are_refused(data: bytes) -> None:
    for step in (inspect, lambda d: prepare(d, SQUARE_500)):
        with pytest.raises(PhotoRejected) as refused:
            step(data)
        assert refused.value.message == UNREADABLE


def test_truncated_jpeg_passes_the_header_check_but_is_refused() -> None:
    data = encode(noise((1200, 900)))
    truncated = data[: len(data) // 2]

    assert check(truncated, SQUARE_500).width == 1200  # the header alone looks fine
    with pytest.raises(PhotoRejected, match="damaged or incomplete"):
        prepare(truncated, SQUARE_500)


TOO_LARGE = r"too large to process safely \(over 64 megapixels\)"


@pytest.mark.parametrize(
    "size",
    [(30000, 30000), (9000, 8000)],
    ids=["over-pillow-limit", "over-our-limit"],
)
def test_decompression_bombs_are_refused_before_decoding(size: tuple[int, int]) -> None:
    data = png_header_only(*size)
    assert len(data) < 200

    for step in (inspect, lambda d: prepare(d, SQUARE_500)):
        with pytest.raises(PhotoRejected, match=TOO_LARGE):
            step(data)


# ── Off the event loop ────────────────────────────────────────────────────────────────────────


async def test_prepare_async_leaves_the_event_loop_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """The work waits for a signal only the event loop can send: on the loop it would deadlock."""
    started, release = threading.Event(), threading.Event()
    workers: list[int] = []
    real_prepare: Callable[[bytes, Rules], bytes] = photos.prepare

    def gated_prepare(data: bytes, rules: Rules) -> bytes:
        workers.append(threading.get_ident())
        started.set()
        assert release.wait(timeout=10), "the event loop never got to run"
        return real_prepare(data, rules)

    monkeypatch.setattr(photos, "prepare", gated_prepare)
    data = encode(Image.new("RGB", (900, 700), BLUE), progressive=True)  # work to do: baseline

    job = asyncio.create_task(prepare_async(data, SQUARE_500))
    assert await asyncio.to_thread(started.wait, 10)
    assert not job.done()
    release.set()  # this coroutine runs while the photo is being prepared
    out = await job

    assert workers and workers[0] != threading.get_ident()
    assert assert_clean_jpeg(out).size == (900, 700)


async def test_prepare_async_refuses_like_prepare() -> None:
    with pytest.raises(PhotoRejected, match="isn't a photo"):
        await prepare_async(b"not a photo", SQUARE_500)
