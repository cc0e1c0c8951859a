"""Hostile input at every /post step, sent through the emulator to the real bot.

Each case brings a seller (OfferUp connected: it has the strictest limits) to one step of /post,
sends something a careless or malicious client could send, and checks what the seller sees: one
clear sentence (never the catch-all apology), the draft exactly as it was, and the step still
taking its next valid answer. The few inputs that are meant to be accepted (HTML, SQL-looking
text, invisible characters inside a title) are checked for how they are stored and shown.

Bugs found are kept as strict xfails whose reason states the wrong outcome.
"""

from __future__ import annotations

import dataclasses
import io
import json
import struct
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.buttons import (
    Button,
    ChangePrice,
    ChooseCatalog,
    ConfirmSold,
    Connect,
    Disconnect,
    EditField,
    FixRefusal,
    OpenListing,
    PickCategory,
    PickCondition,
    PostDraft,
    RetryPosting,
    ToggleMarketplace,
    pack,
)
from bot.runtime import BotRuntime
from bot.texts import STALE_BUTTON
from sandbox.browser import connect
from sandbox.telegram import ChatMessage, Seller
from sandbox.world import SandboxWorld
from storage.drafts import Draft
from tests.helpers import ErrorCollector, jpeg, preview_summary, reply, table_names

SELLER = 801
OWNER = 802  # seller A, whose listing seller B (SELLER) must not reach
SORRY = "Sorry — something went wrong"
MOVED_ON = "This draft has moved on — that button is from an earlier step."
STALE = "That button belongs to something that has already finished."
NOT_YOURS = "That isn't one of your listings."
NOT_CONNECTED = "That account isn't connected any more."
ZIP_REFUSED = "Send a 5-digit US ZIP code like 98402, or share your location with the button."
UNREADABLE_PRICE = "I couldn't read that as a price."
HUGE = 99_999_999_999_999_999_999  # fits in a button, not in a SQLite INTEGER

STEPS = ("photos", "title", "category", "condition", "price", "description", "location",
         "marketplaces", "preview")


# ── Getting a seller to a step ────────────────────────────────────────────────────────────────


async def expect(seller: Seller, *fragments: str) -> ChatMessage:
    """The next bot messages, one per fragment; the last one is returned."""
    message = None
    for fragment in fragments:
        message = await reply(seller, fragment)
    assert message is not None
    return message


@dataclass(frozen=True)
class Answer:
    """A step's valid answer and what the bot says next: the step still works."""

    act: Callable[[Seller], Awaitable[object]]
    then: tuple[str, ...]  # one fragment per message; "" = the preview (photo, then summary)


NEXT: dict[str, tuple[str, Answer]] = {
    "photos": ("title", Answer(lambda s: s.press("Done ✅"),
                               ("What's the title? Up to 70 characters — OfferUp's limit",))),
    "title": ("category", Answer(lambda s: s.send_text("Brass lamp"), ("Category:",))),
    "category": ("condition", Answer(lambda s: s.send_text("Lamps"),
                                     ("What condition is it in?",))),
    "condition": ("price", Answer(lambda s: s.press("Good"),
                                  ("What's the price in US dollars?",))),
    "price": ("description", Answer(lambda s: s.send_text("25"),
                                    ("Add a description (up to 5000 characters)",))),
    "description": ("location", Answer(lambda s: s.press("Skip"), ("Where is the item?",))),
    "location": ("marketplaces", Answer(lambda s: s.send_text("98402"),
                                        ("📍 98402 it is.", "Where should I post it?"))),
    "marketplaces": ("preview", Answer(lambda s: s.press("Continue »"), ("",))),
    "preview": ("title", Answer(lambda s: s.press("✏️ Title"), ("What's the title?",))),
    "resume": ("title", Answer(lambda s: s.press("Continue"), ("What's the title?",))),
}


async def answer_step(seller: Seller, step: str) -> ChatMessage:
    """Give `step` its valid answer and check the bot moves on as it should."""
    answer = NEXT[step][1]
    await answer.act(seller)
    if answer.then == ("",):
        return await preview_summary(seller)
    return await expect(seller, *answer.then)


async def walk(seller: Seller, start: str, stop: str) -> ChatMessage | None:
    """Answer every step from `start` until the seller is at `stop`."""
    step, last = start, None
    while step != stop:
        last = await answer_step(seller, step)
        step = NEXT[step][0]
    return last


@cache
def small_photo() -> bytes:
    """Big enough for OfferUp (400 px a side), small enough to keep each case quick."""
    return jpeg(640, 480)


async def seller_at(world: SandboxWorld, step: str, user_id: int = SELLER) -> Seller:
    """A fresh seller with OfferUp connected and a /post draft (one photo) waiting at `step`."""
    seller = world.telegram.seller(user_id, "Ana")
    page, _ = await connect(seller, "OfferUp", world.offerup.oauth)
    assert page.status_code == 200
    await seller.send_command("post")
    await reply(seller, "Let's list an item. Send me its photos")
    await seller.send_photo(small_photo())
    await reply(seller, "Added 1 photo — 1 of up to 12")
    if step == "resume":
        await walk(seller, "photos", "title")
        await seller.send_command("post")
        await reply(seller, "You have a draft: an untitled item with 1 photo.")
    else:
        await walk(seller, "photos", step)
    return seller


async def snapshot(bot: BotRuntime, user_id: int = SELLER) -> Draft:
    draft = await bot.application.services.drafts.get(user_id)
    assert draft is not None
    return dataclasses.replace(draft, updated_at=None)


async def foreign_listing(bot: BotRuntime) -> int:
    """Seller A's listing, made the way /post makes it (minus publishing)."""
    services = bot.application.services
    await services.sellers.touch_once(OWNER, "Owen", None, "en")
    await services.drafts.start(OWNER)
    await services.drafts.add_photo(OWNER, "owner-photo", "owner-file", jpeg(), 1200, 900)
    await services.drafts.update(OWNER, title="Owner's lamp", price_cents=4000, condition="good",
                                 marketplaces=[])
    return await services.listings.create_from_draft(await services.drafts.get(OWNER), "SKU-A-1")


# ── Hostile files ─────────────────────────────────────────────────────────────────────────────


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png(width: int, height: int, rows: int | None = None) -> bytes:
    """An 8-bit greyscale PNG of zeros, written chunk by chunk; `rows` < height truncates it."""
    pixels = zlib.compress((b"\x00" + bytes(width)) * (height if rows is None else rows), 1)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels)
            + _png_chunk(b"IEND", b""))


@cache
def bomb_30000() -> bytes:
    """Declares 30000×30000 (900 MP) in a few kilobytes: refused from the header alone."""
    return png(30000, 30000, rows=64)


@cache
def bomb_81mp() -> bytes:
    """9000×9000 of real pixel data, ~80 KB compressed: over our 64 MP, under Pillow's guard."""
    return png(9000, 9000)


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    noisy = Image.effect_noise((1200, 900), 60).convert("RGB")
    noisy.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    return data[: len(data) // 2]


def document(data: bytes | Callable[[], bytes], name: str, mime: str = "image/jpeg"
             ) -> Callable[[Scene], Awaitable[object]]:
    async def send(scene: Scene) -> object:
        payload = data() if callable(data) else data
        return await scene.seller.send_document(payload, file_name=name, mime_type=mime)
    return send


# ── The table ─────────────────────────────────────────────────────────────────────────────────


@dataclass
class Scene:
    world: SandboxWorld
    bot: BotRuntime
    seller: Seller
    listing_id: int = 0  # seller A's listing, for the cases that need one

    async def press_data(self, data: str) -> object:
        """Forge callback data on the seller's latest bot message."""
        live = [m for m in self.seller.bot_messages if not m.deleted]
        return await self.seller.press_data(live[-1].message_id, data)


Send = Callable[[Scene], Awaitable[object]]


def text(value: str) -> Send:
    return lambda scene: scene.seller.send_text(value)


def data(value: str) -> Send:
    return lambda scene: scene.press_data(value)


def forged(make: Callable[[int], Button]) -> Send:
    """A button of ours with values we never sent, for the seller's current draft version."""

    async def press(scene: Scene) -> object:
        draft = await scene.bot.application.services.drafts.get(scene.seller.user_id)
        return await scene.press_data(pack(make(draft.version if draft else 0)))

    return press


def foreign(make: Callable[[int], Button]) -> Send:
    """One of our buttons, aimed at seller A's listing."""
    return lambda scene: scene.press_data(pack(make(scene.listing_id)))


@dataclass(frozen=True)
class Case:
    name: str
    step: str
    send: Send
    expect: str  # a fragment of the bot's sentence (a message, or the callback answer)
    callback: bool = False
    changes: Mapping[str, Any] = field(default_factory=dict)  # accepted on purpose
    after: Callable[[Scene], Awaitable[None]] | None = None  # instead of answering the step
    needs_listing: bool = False
    bug: str | None = None  # a strict xfail: the wrong outcome seen


async def html_title_is_shown_literally(scene: Scene) -> None:
    title = "<script>alert(1)</script> <b>Lamp</b> & co"
    preview = await walk(scene.seller, "category", "preview")
    assert preview is not None
    assert preview.text.startswith(title + "\n")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;Lamp&lt;/b&gt; &amp; co" in preview.html
    in_title = [e for e in preview.entities if e["offset"] < len(title)]
    assert in_title == [{"type": "bold", "offset": 0, "length": len(title)}]  # ours, no more


async def html_description_is_shown_literally(scene: Scene) -> None:
    preview = await walk(scene.seller, "location", "preview")
    assert preview is not None
    assert '<i>mint</i> & <a href="javascript:alert(1)">click</a>' in preview.text
    assert "&lt;i&gt;mint&lt;/i&gt; &amp; &lt;a href=" in preview.html
    assert not any(e["type"] in ("italic", "text_link") for e in preview.entities)


async def tables_are_intact(scene: Scene) -> None:
    db = scene.bot.db
    assert {"drafts", "draft_photos", "listings", "cross_posts"} <= await table_names(db)
    assert (await db.fetchone("SELECT COUNT(*) FROM drafts"))[0] == 1
    preview = await walk(scene.seller, "category", "preview")
    assert preview is not None and preview.text.startswith("'; DROP TABLE drafts; --")


async def bidi_title_moves_on(scene: Scene) -> None:
    preview = await walk(scene.seller, "category", "preview")
    assert preview is not None and preview.text.startswith("Brass lamp, 1970s\n")


CASES: list[Case] = [
    # ── photos (the draft already has one) ──
    Case("corrupt-jpeg", "photos",
         document(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8, "IMG_0001.jpg"),
         "I couldn't use that photo"),
    Case("truncated-jpeg", "photos", document(truncated_jpeg, "IMG_0002.jpg"),
         "This photo seems damaged or incomplete"),
    Case("zero-byte-file", "photos", document(b"", "empty.jpg"),
         "This file isn't a photo I can read"),
    Case("png-bomb-30000x30000", "photos", document(bomb_30000, "bomb.png", "image/png"),
         "This image is too large to process safely (over 64 megapixels)"),
    Case("png-81-megapixels", "photos",
         document(bomb_81mp, "big.png", "application/octet-stream"),
         "This image is too large to process safely"),
    Case("pdf-named-jpg", "photos",
         document(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", "photo.jpg"),
         "This file isn't a photo I can read"),
    Case("zip-file", "photos",
         document(b"PK\x03\x04" + bytes(60), "photos.zip", "application/zip"),
         "That file isn't a photo. Send JPEG, PNG, WebP or HEIC images"),
    Case("file-25-mb", "photos",
         document(lambda: b"\xff\xd8" + bytes(25 * 1024 * 1024), "huge.jpg"),
         "That file is over 20 MB"),
    Case("photo-too-small", "photos", lambda s: s.seller.send_photo(jpeg(320, 240)), "320×240"),
    Case("png-4000x1-sliver", "photos", document(png(4000, 1), "sliver.png", "image/png"),
         "I couldn't use that photo"),
    Case("location-for-photo", "photos", lambda s: s.seller.send_location(47.25, -122.44),
         "I'm waiting for photos of the item (or tap Done)"),
    Case("text-for-photo", "photos", text("here you go"),
         "I'm waiting for photos of the item (or tap Done)"),
    # ── title ──
    Case("title-10000-chars", "title", text("x" * 10_000),
         "That title is 10000 characters; the limit is 70 (OfferUp's)."),
    Case("title-only-invisible", "title", text("\u200b\u200c\u200d\u2060\ufeff\u202e\u2066"),
         "The title can't be empty"),
    Case("title-only-combining-marks", "title", text("\u0301\u0308\u20dd"),
         "The title can't be empty"),
    Case("title-hangul-filler", "title", text("\u3164\u3164"), "The title can't be empty"),
    Case("title-photo-instead", "title", lambda s: s.seller.send_photo(small_photo()),
         "I'm waiting for the item's title, as text."),
    Case("title-html-script", "title", text("<script>alert(1)</script> <b>Lamp</b> & co"),
         "Category:", changes={"title": "<script>alert(1)</script> <b>Lamp</b> & co"},
         after=html_title_is_shown_literally),
    Case("title-sql", "title", text("'; DROP TABLE drafts; --"), "Category:",
         changes={"title": "'; DROP TABLE drafts; --"}, after=tables_are_intact),
    Case("title-rtl-override-zero-width", "title",
         text("Brass\u202e lamp\u200b, 1970s\u2066\u2069"), "Category:",
         changes={"title": "Brass lamp, 1970s"}, after=bidi_title_moves_on),
    # ── price ──
    *(Case(f"price-{name}", "price", text(value), sentence) for name, value, sentence in (
        ("1e9", "1e9", UNREADABLE_PRICE),
        ("minus-5", "-5", "A price can't be negative"),
        ("NaN", "NaN", UNREADABLE_PRICE),
        ("12,34,56", "12,34,56", UNREADABLE_PRICE),
        ("zero", "0", "A free item can't be listed on OfferUp (lowest $1)"),
        ("inf", "inf", UNREADABLE_PRICE),
        ("dollar-sign", "$", UNREADABLE_PRICE),
        ("25-EUR", "25 EUR", "Prices are in US dollars for now."),
        ("1.2.3", "1.2.3", UNREADABLE_PRICE),
        ("twenty", "twenty", UNREADABLE_PRICE),
        ("absurd", "99999999999", "That's more than $1,000,000"),
        ("three-decimals", "0.001", "A price goes to the cent"),
        ("two-numbers", "25 30", "I see more than one number there."),
    )),
    Case("price-below-offerup-minimum", "price", text("0.50"),
         "The lowest price I can list is $1"),
    Case("location-for-price", "price", lambda s: s.seller.send_location(47.25, -122.44),
         "I'm waiting for the price, like 25 or $1,200."),
    # ── condition ──
    Case("condition-typed", "condition", text("good"),
         "I'm waiting for you to pick the condition with a button."),
    Case("condition-forged", "condition", forged(lambda v: PickCondition(v, "mint")), MOVED_ON,
         callback=True),
    Case("condition-from-an-earlier-draft", "condition",
         forged(lambda v: PickCondition(v - 1, "good")), STALE, callback=True),
    # ── description ──
    Case("description-10000-chars", "description", text("y" * 10_000),
         "That description is 10000 characters; the limit is 5000."),
    Case("description-only-invisible", "description", text("\u200b\n\u202e\n\ufeff"),
         "The description can't be empty"),
    Case("description-file", "description", document(b"hello", "notes.txt", "text/plain"),
         "I'm waiting for a description, as text (or tap Skip)."),
    Case("description-html", "description",
         text('<i>mint</i> & <a href="javascript:alert(1)">click</a>'), "Where is the item?",
         changes={"description": '<i>mint</i> & <a href="javascript:alert(1)">click</a>',
                  "description_set": True},
         after=html_description_is_shown_literally),
    # ── category ──
    Case("category-100-chars", "category", text("c" * 100),
         "That category is 100 characters; the limit is 60."),
    Case("category-only-invisible", "category", text("\u200b\u2060"),
         "The category can't be empty"),
    Case("category-forged-index", "category", forged(lambda v: PickCategory(v, 99)), MOVED_ON,
         callback=True),
    Case("category-huge-index", "category", forged(lambda v: PickCategory(v, HUGE)), STALE,
         callback=True),
    # ── location ──
    *(Case(f"zip-{name}", "location", text(value), ZIP_REFUSED) for name, value in (
        ("ABCDE", "ABCDE"), ("1234", "1234"), ("00000", "00000"), ("6-digits", "984021"),
        ("city", "Tacoma, WA"),
    )),
    Case("photo-for-location", "location", lambda s: s.seller.send_photo(small_photo()),
         "I'm waiting for a ZIP code or your location."),
    # ── marketplaces and preview ──
    Case("marketplace-not-connected", "marketplaces",
         forged(lambda v: ToggleMarketplace(v, "ebay")), MOVED_ON, callback=True),
    Case("text-at-marketplaces", "marketplaces", text("all of them"),
         "I'm waiting for you to choose marketplaces with the buttons."),
    Case("preview-forged-field", "preview", forged(lambda v: EditField(v, "sku")), MOVED_ON,
         callback=True),
    Case("text-at-preview", "preview", text("post it"),
         "I'm waiting for you to tap Post, or a field to change it."),
    Case("text-at-resume", "resume", text("continue"),
         "I'm waiting for you to choose: continue the draft or start fresh."),
    # ── callback data never issued ──
    Case("callback-old-string-data", "title", data("p:post"), STALE, callback=True),
    Case("callback-unknown-tag", "title", data('["zzz",1]'), STALE, callback=True),
    Case("callback-wrong-field-types", "title", data('["open","1","0"]'), STALE, callback=True),
    Case("callback-post-early", "title", forged(PostDraft), MOVED_ON, callback=True),
    Case("callback-garbage", "title", data("garbage"), STALE, callback=True),
    Case("callback-ls-open-missing", "title", data(pack(OpenListing(999999, 0))), NOT_YOURS,
         callback=True),
    Case("callback-cn-unknown", "title", data(pack(Connect("zzz"))),
         "That marketplace isn't available on this bot any more.", callback=True),
    Case("callback-ac-not-connected", "title", data(pack(Disconnect("ebay"))), NOT_CONNECTED,
         callback=True),
    Case("callback-catalog-not-connected", "title",
         data(pack(ChooseCatalog("facebook", "123456"))), NOT_CONNECTED, callback=True),
    # an id too large to be one of ours is not unpacked: the stale-button answer
    *(Case(f"callback-huge-id-{name}", "title", data(pack(button)), STALE_BUTTON,
           callback=True)
      for name, button in (("open", OpenListing(HUGE, 0)), ("price", ChangePrice(HUGE)),
                           ("retry", RetryPosting(HUGE)),
                           ("fix", FixRefusal(HUGE, "offerup", "title")))),
    # ── another seller's listing ──
    *(Case(f"foreign-{name}", "title", foreign(make), NOT_YOURS, callback=True,
           needs_listing=True)
      for name, make in (("open", lambda i: OpenListing(i, 0)), ("sold", ConfirmSold),
                         ("price", ChangePrice), ("retry", RetryPosting),
                         ("fix", lambda i: FixRefusal(i, "offerup", "title")))),
]


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=case.name, marks=marks)


async def _answer_to(seller: Seller, answered: int, messages: int) -> str:
    """The bot's answer to a forged callback: its toast/alert, or a message if it sent one."""
    await seller.wait_for(lambda _: len(seller.callback_answers) > answered
                          or len(seller.bot_messages) > messages)
    if len(seller.callback_answers) > answered:
        return seller.callback_answers[-1]["text"] or ""
    message = await seller.next_message()
    return message.text or ""


def _raised(handler_errors: ErrorCollector) -> list[BaseException]:
    """What handlers raised, taken out of the collector so an xfail stays an xfail."""
    raised = list(handler_errors.errors)
    handler_errors.errors.clear()
    return raised


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
async def test_hostile_input_is_refused_in_a_sentence_and_the_draft_kept(
    world: SandboxWorld, bot: BotRuntime, handler_errors: ErrorCollector, case: Case
) -> None:
    seller = await seller_at(world, case.step)
    scene = Scene(world, bot, seller)
    if case.needs_listing:
        scene.listing_id = await foreign_listing(bot)
        owners = await bot.application.services.listings.get(scene.listing_id)
    before = await snapshot(bot)
    answered, messages = len(seller.callback_answers), len(seller.bot_messages)

    await case.send(scene)
    if case.callback:
        said = await _answer_to(seller, answered, messages)
    else:
        message = await seller.next_message()
        said = message.text or message.caption or ""

    assert _raised(handler_errors) == []
    assert SORRY not in said
    assert case.expect in said, said
    assert await snapshot(bot) == dataclasses.replace(before, **case.changes)
    if case.needs_listing:
        assert await bot.application.services.listings.get(scene.listing_id) == owners
    if case.after is not None:
        await case.after(scene)
    else:
        await answer_step(seller, case.step)  # the step still takes its answer
    assert _raised(handler_errors) == []


# ── A command in the middle of every step ────────────────────────────────────────────────────

COMMANDS = (
    ("help", "Deal Scout lists your item on several marketplaces"),
    ("start", "👋 Hi Ana! I'm Deal Scout."),
    ("listings", "You haven't listed anything yet."),
    ("connect", "Connect your marketplace accounts once"),
)


@pytest.mark.parametrize("step", [*STEPS, "resume"])
async def test_a_command_mid_step_is_answered_and_the_step_kept(
    world: SandboxWorld, bot: BotRuntime, handler_errors: ErrorCollector, step: str
) -> None:
    seller = await seller_at(world, step)
    before = await snapshot(bot)
    for command, sentence in COMMANDS:
        await seller.send_command(command)
        said = await reply(seller, sentence)
        assert SORRY not in said.text
        assert await snapshot(bot) == before
    await answer_step(seller, step)
    assert _raised(handler_errors) == []


async def test_the_post_deep_link_mid_post_offers_buttons_that_work(
    world: SandboxWorld, bot: BotRuntime, handler_errors: ErrorCollector
) -> None:
    seller = await seller_at(world, "title")
    await seller.send_command("start", "post")
    offer = await reply(seller, "You have a draft")
    answered = len(seller.callback_answers)
    await seller.press("Continue", message_id=offer.message_id)
    await seller.wait_for(lambda _: len(seller.callback_answers) > answered)
    assert seller.callback_answers[-1]["text"] is None  # a plain answer, not a refusal
    await reply(seller, "What's the title?")
    assert _raised(handler_errors) == []


async def test_the_post_deep_link_starts_a_post_that_takes_photos(
    world: SandboxWorld, bot: BotRuntime, handler_errors: ErrorCollector
) -> None:
    seller = world.telegram.seller(SELLER, "Ana")
    await connect(seller, "OfferUp", world.offerup.oauth)
    await seller.send_command("start", "post")
    await reply(seller, "Let's list an item. Send me its photos")
    await seller.send_photo(small_photo())
    await reply(seller, "Added 1 photo — 1 of up to 12")
    assert _raised(handler_errors) == []


# ── Any callback data at all ─────────────────────────────────────────────────────────────────

CALLBACK_DATA = st.text(max_size=64).filter(lambda s: s != "" and len(s.encode()) <= 64)
VALUES = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=16),
                   st.booleans(), st.none(), st.floats(allow_nan=False), st.just([1]))
# Our own tags with values of every kind: right and wrong types, ids past SQLite's INTEGER.
STRUCTURED_DATA = st.builds(
    lambda tag, values: json.dumps([tag, *values], separators=(",", ":"), ensure_ascii=False),
    st.sampled_from(sorted(Button._by_tag)), st.lists(VALUES, max_size=3),
).filter(lambda s: len(s.encode()) <= 64)
FAST = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
async def mid_post(world: SandboxWorld, bot: BotRuntime) -> Seller:
    """One seller at the title step, shared by every example of a property test."""
    return await seller_at(world, "title")


async def _press_anything(seller: Seller, handler_errors: ErrorCollector, value: str) -> None:
    live = [m for m in seller.bot_messages if not m.deleted]
    answered, messages = len(seller.callback_answers), len(seller.bot_messages)
    await seller.press_data(live[-1].message_id, value)
    await seller.wait_for(lambda _: len(seller.callback_answers) > answered
                          or len(seller.bot_messages) > messages)
    assert _raised(handler_errors) == [], value
    assert not any(SORRY in (m.text or "") for m in seller.bot_messages[messages:]), value


@FAST
@given(value=CALLBACK_DATA)
async def test_any_callback_data_is_answered_and_raises_nothing(
    mid_post: Seller, handler_errors: ErrorCollector, value: str
) -> None:
    await _press_anything(mid_post, handler_errors, value)


@FAST
@given(value=STRUCTURED_DATA)
async def test_callback_data_shaped_like_ours_is_answered_and_raises_nothing(
    mid_post: Seller, handler_errors: ErrorCollector, value: str
) -> None:
    await _press_anything(mid_post, handler_errors, value)
