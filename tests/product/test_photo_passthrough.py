"""A photo that already is a clean baseline JPEG within a marketplace's rules is sent as it is:
the bot keeps every photo cleaned, so publishing costs no CPU for it and no second generation of
JPEG loss. Anything with work left to do still goes through the pipeline."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image, ImageCms

from bot.runtime import BotRuntime
from marketplaces.clean_jpeg import clean_jpeg_size
from marketplaces.ebay.listing import RULES as EBAY_RULES
from marketplaces.facebook.listing import RULES as FACEBOOK_RULES
from marketplaces.photos import PhotoRejected, prepare
from sandbox.world import SandboxWorld
from tests.helpers import connect_all, fill_details, post_and_wait, reply


def photo(size: tuple[int, int] = (1200, 900), mode: str = "RGB", **params: object) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **params)
    return buffer.getvalue()


def with_exif_orientation() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    return photo(exif=exif.tobytes())


def with_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    return photo(icc_profile=profile)


def test_a_clean_photo_within_the_rules_comes_back_byte_for_byte() -> None:
    data = photo()

    assert clean_jpeg_size(data) == (1200, 900)
    assert prepare(data, EBAY_RULES) is data


def test_a_clean_grey_photo_is_clean_too() -> None:
    data = photo(mode="L")

    assert prepare(data, EBAY_RULES) is data


@pytest.mark.parametrize("data", [
    pytest.param(photo(progressive=True), id="progressive"),
    pytest.param(with_exif_orientation(), id="EXIF"),
    pytest.param(with_profile(), id="ICC profile"),
    pytest.param(photo(comment=b"shot at home"), id="comment"),
    pytest.param(photo(mode="CMYK"), id="CMYK"),
    pytest.param(photo((2400, 1800)), id="larger than the long side"),
])
def test_a_photo_with_work_left_is_prepared(data: bytes) -> None:
    out = prepare(data, EBAY_RULES)

    assert out != data
    assert clean_jpeg_size(out) is not None
    assert max(Image.open(io.BytesIO(out)).size) <= EBAY_RULES.photo_max_side


def test_a_clean_photo_over_the_byte_limit_is_made_smaller() -> None:
    data = photo()
    tight = EBAY_RULES.__class__(**{**EBAY_RULES.__dict__, "photo_max_bytes": len(data) - 1})

    out = prepare(data, tight)

    assert len(out) < len(data)
    assert Image.open(io.BytesIO(out)).size == (1200, 900)


def test_a_truncated_clean_photo_is_not_taken_for_a_clean_one() -> None:
    data = photo()

    assert clean_jpeg_size(data[:-2]) is None
    with pytest.raises(PhotoRejected, match="damaged or incomplete"):
        prepare(data[: len(data) // 2], EBAY_RULES)


def test_a_clean_photo_too_small_is_refused_all_the_same() -> None:
    with pytest.raises(PhotoRejected) as refused:
        prepare(photo((400, 300)), FACEBOOK_RULES)

    assert "needs at least 500 pixels on each side" in refused.value.message


async def test_each_marketplace_receives_the_kept_photo_itself(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """Two photos posted to eBay, Facebook and OfferUp: what each marketplace serves is, byte for
    byte, the photo the bot kept with the draft."""
    ana = world.telegram.seller(441, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    for shade in (60, 180):
        image = Image.new("RGB", (1280, 960), (shade, 120, 200 - shade))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        await ana.send_photo(buffer.getvalue())
        await reply(ana, "Added 1 photo")
    rows = await bot.db.fetchall(
        "SELECT path FROM draft_photos WHERE telegram_id = 441 ORDER BY added_at, rowid"
    )
    kept = [open(row["path"], "rb").read() for row in rows]  # noqa: SIM115, ASYNC230
    assert len(kept) == 2 and all(clean_jpeg_size(data) for data in kept)
    await ana.press("Done ✅")
    preview = await fill_details(ana)

    await post_and_wait(ana, preview)

    assert "is live on 3 of 3" in (preview.text or "")
    (on_ebay,), (on_facebook,) = world.ebay.listings, world.facebook.listings
    (on_offerup,) = world.offerup.listings.values()
    async with httpx.AsyncClient() as browser:
        for urls in (on_ebay.images, on_facebook.images, on_offerup.image_urls):
            served = [(await browser.get(url)).content for url in urls]
            assert served == kept
