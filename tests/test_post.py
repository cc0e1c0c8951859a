"""/post through the emulator: from photos to listings on every sandbox marketplace."""

from __future__ import annotations

import io

from PIL import Image

from bot.runtime import BotRuntime
from sandbox.browser import connect
from sandbox.facebook import ROSA
from sandbox.telegram import ChatMessage, Seller
from sandbox.world import SandboxWorld


def jpeg(width: int = 1200, height: int = 900, color: tuple[int, ...] = (180, 120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


async def connect_all(world: SandboxWorld, seller: Seller) -> None:
    for display, sandbox, account in (
        ("eBay", world.ebay, None), ("Facebook", world.facebook, ROSA),
        ("OfferUp", world.offerup, None),
    ):
        link_page, _ = await connect(seller, display, sandbox.oauth, account_id=account)
        assert link_page.status_code == 200


async def reply(seller: Seller, *fragments: str) -> ChatMessage:
    message = await seller.next_message()
    for fragment in fragments:
        assert fragment in (message.text or message.caption or ""), message.text
    return message


def titles_on(world: SandboxWorld) -> dict[str, list[str]]:
    return {
        "ebay": [listing.title for listing in world.ebay.listings],
        "facebook": [listing.title for listing in world.facebook.listings],
        "offerup": [listing.title for listing in world.offerup.listings.values()],
    }


async def fill_details(seller: Seller, title: str = "Brass desk lamp, 1970s") -> ChatMessage:
    """From the title prompt to the preview, answering every step."""
    await reply(seller, "What's the title? Up to 70 characters — OfferUp's limit")
    await seller.send_text(title)
    await reply(seller, "What's the price in US dollars?")
    await seller.send_text("$1,200")
    condition = await reply(seller, "What condition is it in?")
    assert condition.buttons[:2] == [["New", "Like new", "Good"], ["Fair"]]
    await seller.press("Good")
    await reply(seller, "Add a description")
    await seller.send_text("Rewired, <b>no</b> dents.\nPick-up or shipping.")
    category = await reply(seller, "Category:")
    await seller.press(category.buttons[0][0])
    await reply(seller, "Where is the item?")
    await seller.send_text("98402")
    await reply(seller, "📍 98402 it is.")
    await reply(seller, "Where should I post it?")
    await seller.press("Continue »")
    return await preview_summary(seller)


async def preview_summary(seller: Seller) -> ChatMessage:
    while True:
        message = await seller.next_message()
        if message.text and "Tap a field to change it" in message.text:
            return message


async def post_and_wait(seller: Seller, preview: ChatMessage) -> ChatMessage:
    await seller.press("✅ Post", message_id=preview.message_id)
    progress = await reply(seller, "Posting")
    await seller.wait_for(lambda _: "is live on" in (progress.text or "")
                          or "couldn't be posted" in (progress.text or ""), timeout=20)
    return progress


async def test_one_photo_to_three_marketplaces(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = world.telegram.seller(401, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Let's list an item. Send me its photos", "(up to 12)")
    await ana.send_photo(jpeg())
    await reply(ana, "Added 1 photo — 1 of up to 12")
    await ana.press("Done ✅")
    preview = await fill_details(ana)
    assert "Brass desk lamp, 1970s" in preview.text
    assert "$1,200 · Good" in preview.text
    assert "eBay, Facebook, OfferUp" in preview.text

    progress = await post_and_wait(ana, preview)
    assert progress.text.startswith("🎉 Brass desk lamp, 1970s is live on 3 of 3 marketplaces.")
    assert progress.text.count("view listing") == 3
    assert titles_on(world) == {name: ["Brass desk lamp, 1970s"]
                                for name in ("ebay", "facebook", "offerup")}
    row = await bot.db.fetchone("SELECT price_cents, state FROM listings")
    assert tuple(row) == (120000, "active")
    assert (await bot.db.fetchone("SELECT COUNT(*) FROM drafts"))[0] == 0


async def test_an_album_is_answered_once(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = world.telegram.seller(402, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    colors = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (200, 200, 0)]
    await ana.send_album([jpeg(color=c) for c in colors])
    answer = await reply(ana, "📷 4 photos so far (up to 12)")
    assert answer.buttons == [["Done ✅"]]
    assert sum("photos so far" in (m.text or "") for m in ana.bot_messages) == 1
    photos = await bot.db.fetchall("SELECT path FROM draft_photos WHERE telegram_id = 402")
    assert len(photos) == 4
    for row in photos:  # kept cleaned: a JPEG with no EXIF at all
        assert not Image.open(row["path"]).getexif()


async def test_photos_sent_as_files_heic_and_all(world: SandboxWorld, bot: BotRuntime) -> None:
    ana = world.telegram.seller(403, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    png = io.BytesIO()
    Image.new("RGBA", (1000, 1000), (0, 0, 0, 0)).save(png, "PNG")
    await ana.send_document(png.getvalue(), file_name="IMG_0001.png", mime_type="image/png")
    await reply(ana, "Added 1 photo")
    await ana.send_document(b"%PDF-1.7\n", file_name="receipt.pdf", mime_type="application/pdf")
    await reply(ana, "That file isn't a photo.")
    await ana.send_photo(jpeg(320, 240))
    await reply(ana, "I couldn't use that photo", "320×240", "The others are kept.")
    await ana.send_document(b"\xff\xd8\xff" + b"0" * 100, file_name="broken.jpg",
                            mime_type="image/jpeg")
    await reply(ana, "I couldn't use that photo")
    rows = await bot.db.fetchall("SELECT width, height FROM draft_photos WHERE telegram_id = 403")
    assert [tuple(r) for r in rows] == [(1000, 1000)]
