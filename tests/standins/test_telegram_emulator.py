"""The Telegram emulator refuses what Telegram refuses and sends what PTB needs.

Raw HTTP calls check each refusal with Telegram's status and wording; one test runs a real
python-telegram-bot Application against the emulator to prove PTB parses everything it sends.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from typing import Any

import httpx
import pytest
from aiohttp import web
from PIL import Image
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox.telegram import EmulatorError, Seller, TelegramEmulator

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


# ---- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
async def emulator():
    async with TelegramEmulator(rate_limit_per_second=None) as emu:
        yield emu


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=15) as client:
        yield client


@pytest.fixture
async def ana(emulator: TelegramEmulator) -> Seller:
    """A seller who has already written /start, so the bot may write to her."""
    seller = emulator.seller(1001, "Ana", username="ana_sells", last_name="Lima")
    await seller.send_command("start")
    return seller


def image_bytes(width: int, height: int, fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 90, 30)).save(buffer, fmt)
    return buffer.getvalue()


def api_url(emu: TelegramEmulator, method: str, token: str | None = None) -> str:
    return f"{emu.base_url}{token or emu.token}/{method}"


async def call(http: httpx.AsyncClient, emu: TelegramEmulator, method: str,
               files: dict[str, Any] | None = None, **params: Any) -> httpx.Response:
    """POST the way PTB does: form fields, non-strings JSON-encoded, files as multipart."""
    data = {key: value if isinstance(value, str) else json.dumps(value)
            for key, value in params.items() if value is not None}
    return await http.post(api_url(emu, method), data=data, files=files)


def assert_refused(response: httpx.Response, code: int, description: str) -> None:
    assert response.status_code == code, response.text
    assert response.json() == {"ok": False, "error_code": code, "description": description}


def result(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    return body["result"]


def keyboard(*rows: list[tuple[str, str]]) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": text, "callback_data": data} for text, data in row]
                                for row in rows]}


async def drain(http: httpx.AsyncClient, emu: TelegramEmulator) -> int:
    """Confirm everything pending; returns the offset to use next."""
    updates = result(await call(http, emu, "getUpdates", timeout=0))
    offset = updates[-1]["update_id"] + 1 if updates else 0
    if updates:
        result(await call(http, emu, "getUpdates", offset=offset, timeout=0))
    return offset


# ---- identity, routing, auth -------------------------------------------------------------------


async def test_get_me_describes_the_bot_like_telegram(emulator, http):
    me = result(await http.get(api_url(emulator, "getMe")))
    assert me == {
        "id": 123456789, "is_bot": True, "first_name": "Deal Scout", "username": "DealScoutBot",
        "can_join_groups": True, "can_read_all_group_messages": False,
        "supports_inline_queries": False, "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def test_unknown_method_wrong_token_and_case_insensitive_names(emulator, http):
    assert_refused(await call(http, emulator, "sendTelepathy"), 404, "Not Found")
    wrong = "987654321:AAE-this-is-not-the-bot-token-at-all00"
    assert_refused(await http.post(api_url(emulator, "getMe", wrong)), 401, "Unauthorized")
    assert_refused(await http.post(api_url(emulator, "getMe", "garbage")), 404, "Not Found")
    assert result(await http.get(api_url(emulator, "GETME")))["username"] == "DealScoutBot"
    assert [(c.method, c.ok, c.error_code) for c in emulator.calls] == [
        ("sendTelepathy", False, 404), ("getMe", False, 401), ("getMe", False, 404),
        ("getMe", True, None),
    ]


async def test_json_bodies_and_query_strings_are_accepted(emulator, http, ana):
    sent = result(await http.post(api_url(emulator, "sendMessage"),
                                  json={"chat_id": ana.chat_id, "text": "json body"}))
    assert sent["text"] == "json body"
    sent = result(await http.get(api_url(emulator, "sendMessage"),
                                 params={"chat_id": str(ana.chat_id), "text": "query"}))
    assert sent["text"] == "query"


async def test_chat_not_found_until_the_seller_writes(emulator, http):
    bo = emulator.seller(2002, "Bo")
    assert_refused(await call(http, emulator, "sendMessage", chat_id=2002, text="hi"), 400,
                   "Bad Request: chat not found")
    assert_refused(await call(http, emulator, "sendMessage", chat_id=777, text="hi"), 400,
                   "Bad Request: chat not found")
    assert_refused(await call(http, emulator, "sendMessage", text="hi"), 400,
                   "Bad Request: chat_id is empty")
    await bo.send_text("hello")
    assert result(await call(http, emulator, "sendMessage", chat_id=2002, text="hi"))["chat"] == {
        "id": 2002, "first_name": "Bo", "type": "private"}


# ---- text and formatting -----------------------------------------------------------------------


async def test_text_length_is_counted_after_parsing(emulator, http, ana):
    async def send(text: str, parse_mode: str | None = None) -> httpx.Response:
        return await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text=text,
                          parse_mode=parse_mode)

    assert_refused(await send("a" * 4097), 400, "Bad Request: message is too long")
    assert len(result(await send("<b>" + "a" * 4096 + "</b>", "HTML"))["text"]) == 4096
    # An emoji outside the BMP is two UTF-16 units: 2048 of them are already 4096 units.
    assert_refused(await send("😀" * 2049), 400, "Bad Request: message is too long")
    assert_refused(await send(""), 400, "Bad Request: message text is empty")
    assert_refused(await send("  \n "), 400, "Bad Request: message text is empty")
    assert_refused(await send("<b></b>", "HTML"), 400, "Bad Request: message text is empty")
    assert_refused(await send("hi", "BBCode"), 400, "Bad Request: unsupported parse_mode")


@pytest.mark.parametrize(("text", "detail"), [
    ("abc<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 3'),
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("price < 5", 'Unsupported start tag "" at byte offset 6'),
    ("é<x>", 'Unsupported start tag "x" at byte offset 2'),
    ("a <b", "Unclosed start tag at byte offset 2"),
    ("Tom & Jerry", 'Character "&" at byte offset 4 must be escaped as "&amp;"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
])
async def test_bad_html_is_refused_with_telegram_wording(emulator, http, ana, text, detail):
    response = await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text=text,
                          parse_mode="HTML")
    assert_refused(response, 400, f"Bad Request: can't parse entities: {detail}")
    assert ana.bot_messages == []


async def test_good_html_becomes_plain_text_and_entities(emulator, http, ana):
    html = ('<b>Bike</b> &amp; <i>helmet</i> &lt;3 &#128690; <a href="https://ebay.com/itm/1">'
            'eBay</a> <span class="tg-spoiler">s</span> <pre><code class="language-py">x=1'
            '</code></pre> <blockquote expandable>q</blockquote> <pre><code>y</code></pre>')
    sent = result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text=html,
                             parse_mode="HTML"))
    assert sent["text"] == "Bike & helmet <3 🚲 eBay s x=1 q y"
    assert sent["entities"] == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 7, "length": 6},
        {"type": "text_link", "offset": 20, "length": 4, "url": "https://ebay.com/itm/1"},
        {"type": "spoiler", "offset": 25, "length": 1},
        {"type": "pre", "offset": 27, "length": 3, "language": "py"},
        {"type": "expandable_blockquote", "offset": 31, "length": 1},
        {"type": "pre", "offset": 33, "length": 1},
    ]
    assert ana.bot_messages[-1].html == html
    assert ana.bot_messages[-1].text == sent["text"]


async def test_markdown_parse_modes_are_refused_as_not_modelled(emulator, http, ana):
    """The bot sends only HTML: the Markdown dialects are refused by name, never half-parsed."""
    for mode in ("MarkdownV2", "Markdown", "markdownv2"):
        canonical = {"markdownv2": "MarkdownV2"}.get(mode, mode)
        expected = (f"Bad Request: parse_mode {canonical} is not modelled by the sandbox "
                    "emulator; send HTML or plain text")
        assert_refused(await call(http, emulator, "sendMessage", chat_id=ana.chat_id,
                                  text="*Bike* costs 5\\.50", parse_mode=mode), 400, expected)
        photo = {"photo": ("bike.jpg", image_bytes(64, 48), "image/jpeg")}
        assert_refused(await call(http, emulator, "sendPhoto", files=photo, chat_id=ana.chat_id,
                                  caption="*Bike*", parse_mode=mode), 400, expected)
    assert ana.bot_messages == []


# ---- keyboards -------------------------------------------------------------------------------


async def test_reply_markup_is_validated(emulator, http, ana):
    async def send(markup: Any) -> httpx.Response:
        return await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text="pick",
                          reply_markup=markup)

    assert_refused(await send(keyboard([("Too long", "x" * 65)])), 400,
                   "Bad Request: BUTTON_DATA_INVALID")
    assert_refused(await send(keyboard([("Accents", "é" * 33)])), 400,  # 66 bytes, 33 chars
                   "Bad Request: BUTTON_DATA_INVALID")
    assert_refused(await send(keyboard([("Empty", "")])), 400, "Bad Request: BUTTON_DATA_INVALID")
    assert_refused(await send({"inline_keyboard": [[{"text": "Nothing"}]]}), 400,
                   "Bad Request: can't parse inline keyboard button: Text buttons are unallowed "
                   "in the inline keyboard")
    both = {"inline_keyboard": [[{"text": "Two", "url": "https://a.b", "callback_data": "x"}]]}
    assert (await send(both)).status_code == 400
    assert_refused(await send({"inline_keyboard": [[]]}), 400, "Bad Request: REPLY_MARKUP_INVALID")
    many = {"inline_keyboard": [[{"text": str(i), "callback_data": str(i)}] for i in range(101)]}
    assert_refused(await send(many), 400, "Bad Request: REPLY_MARKUP_TOO_LONG")
    ftp = {"inline_keyboard": [[{"text": "F", "url": "ftp://files.example"}]]}
    assert_refused(await send(ftp), 400, "Bad Request: inline keyboard button URL "
                   "'ftp://files.example' is invalid: Unsupported URL protocol")
    assert ana.bot_messages == []

    assert result(await send(keyboard([("Exactly 64", "x" * 64)])))["reply_markup"]
    reply_keyboard = {"keyboard": [["Cancel"], [{"text": "Share location",
                                                 "request_location": True}]],
                      "resize_keyboard": True}
    sent = result(await send(reply_keyboard))
    assert "reply_markup" not in sent  # Telegram echoes only inline keyboards
    assert ana.bot_messages[-1].buttons == [["Cancel"], ["Share location"]]
    assert result(await send({"remove_keyboard": True}))["text"] == "pick"
    assert result(await send({"force_reply": True}))["text"] == "pick"


# ---- media ---------------------------------------------------------------------------------


async def test_photo_sizes_are_real_jpegs_you_can_download(emulator, http, ana):
    update = await ana.send_photo(image_bytes(1200, 900, "PNG"), caption="Road bike")
    sizes = update["message"]["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 68), (320, 240), (800, 600),
                                                         (1200, 900)]
    assert len({s["file_id"] for s in sizes}) == len({s["file_unique_id"] for s in sizes}) == 4
    assert update["message"]["caption"] == "Road bike"
    for size in sizes:
        file = result(await call(http, emulator, "getFile", file_id=size["file_id"]))
        assert file["file_size"] == size["file_size"]
        download = await http.get(f"{emulator.base_file_url}{emulator.token}/{file['file_path']}")
        assert download.status_code == 200
        assert len(download.content) == size["file_size"]
        with Image.open(io.BytesIO(download.content)) as picture:
            assert picture.format == "JPEG"
            assert picture.size == (size["width"], size["height"])

    big = (await ana.send_photo(image_bytes(3000, 2000)))["message"]["photo"]
    assert [(s["width"], s["height"]) for s in big][-1] == (1280, 853)
    tiny = (await ana.send_photo(image_bytes(60, 40)))["message"]["photo"]
    assert [(s["width"], s["height"]) for s in tiny] == [(60, 40)]

    path = result(await call(http, emulator, "getFile", file_id=sizes[0]["file_id"]))["file_path"]
    wrong = "987654321:AAE-this-is-not-the-bot-token-at-all00"
    assert (await http.get(f"{emulator.base_file_url}{wrong}/{path}")).status_code == 401
    missing = await http.get(f"{emulator.base_file_url}{emulator.token}/photos/nope.jpg")
    assert missing.status_code == 404


async def test_send_photo_upload_file_id_and_refusals(emulator, http, ana):
    uploaded = result(await call(http, emulator, "sendPhoto",
                                 files={"photo": ("bike.jpg", image_bytes(640, 480),
                                                  "image/jpeg")},
                                 chat_id=ana.chat_id, caption="<b>Bike</b>", parse_mode="HTML"))
    assert [(s["width"], s["height"]) for s in uploaded["photo"]] == [(90, 68), (320, 240),
                                                                      (640, 480)]
    assert uploaded["caption"] == "Bike"
    assert uploaded["caption_entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    again = result(await call(http, emulator, "sendPhoto", chat_id=ana.chat_id,
                              photo=uploaded["photo"][-1]["file_id"]))
    assert again["photo"] == uploaded["photo"]
    path = result(await call(http, emulator, "getFile",
                             file_id=uploaded["photo"][1]["file_id"]))["file_path"]
    by_url = result(await call(http, emulator, "sendPhoto", chat_id=ana.chat_id,
                               photo=f"{emulator.base_file_url}{emulator.token}/{path}"))
    assert [(s["width"], s["height"]) for s in by_url["photo"]] == [(90, 68), (320, 240)]

    async def send_photo(**extra: Any) -> httpx.Response:
        return await call(http, emulator, "sendPhoto", chat_id=ana.chat_id, **extra)

    assert_refused(await send_photo(photo="AgACAgIAAxkBAAnotarealid"), 400,
                   "Bad Request: wrong file identifier/HTTP URL specified")
    assert_refused(await send_photo(photo="https://example.com/bike.jpg"), 400,
                   "Bad Request: failed to get HTTP URL content")
    assert_refused(await send_photo(files={"photo": ("x.jpg", b"not an image", "image/jpeg")}),
                   400, "Bad Request: IMAGE_PROCESS_FAILED")
    assert_refused(await send_photo(photo="x", caption="c" * 1025), 400,
                   "Bad Request: message caption is too long")
    assert_refused(await send_photo(), 400, "Bad Request: there is no photo in the request")


async def test_media_group_needs_two_to_ten_items(emulator, http, ana):
    photo_id = (await ana.send_photo(image_bytes(400, 300)))["message"]["photo"][-1]["file_id"]

    async def group(count: int) -> httpx.Response:
        media = [{"type": "photo", "media": photo_id} for _ in range(count)]
        return await call(http, emulator, "sendMediaGroup", chat_id=ana.chat_id, media=media)

    assert_refused(await group(1), 400, "Bad Request: wrong number of media specified")
    assert_refused(await group(11), 400, "Bad Request: wrong number of media specified")
    mixed = [{"type": "photo", "media": photo_id}, {"type": "document", "media": photo_id}]
    assert (await call(http, emulator, "sendMediaGroup", chat_id=ana.chat_id,
                       media=mixed)).status_code == 400
    assert ana.bot_messages == []

    media = [{"type": "photo", "media": "attach://one", "caption": "<i>Two views</i>",
              "parse_mode": "HTML"},
             {"type": "photo", "media": "attach://two"}]
    files = {"one": ("1.jpg", image_bytes(800, 600), "image/jpeg"),
             "two": ("2.png", image_bytes(300, 400, "PNG"), "image/png")}
    sent = result(await call(http, emulator, "sendMediaGroup", files=files, chat_id=ana.chat_id,
                             media=media))
    assert len(sent) == 2
    assert sent[0]["media_group_id"] == sent[1]["media_group_id"]
    assert sent[0]["caption"] == "Two views" and "caption" not in sent[1]
    assert sent[1]["photo"][-1]["width"] == 300
    assert [m.media_group_id for m in ana.bot_messages] == [sent[0]["media_group_id"]] * 2


async def test_get_file_refuses_documents_over_20_mb(emulator, http, ana):
    big = await ana.send_document(b"\0" * (21 * 1024 * 1024), file_name="scan.pdf",
                                  mime_type="application/pdf")
    assert_refused(await call(http, emulator, "getFile",
                              file_id=big["message"]["document"]["file_id"]),
                   400, "Bad Request: file is too big")
    small = await ana.send_document(b"%PDF-1.4 receipt", file_name="receipt.pdf",
                                    mime_type="application/pdf")
    document = small["message"]["document"]
    assert document["file_name"] == "receipt.pdf" and document["file_size"] == 16
    file = result(await call(http, emulator, "getFile", file_id=document["file_id"]))
    download = await http.get(f"{emulator.base_file_url}{emulator.token}/{file['file_path']}")
    assert download.content == b"%PDF-1.4 receipt"
    assert_refused(await call(http, emulator, "getFile", file_id="AgADnope"), 400,
                   "Bad Request: wrong file_id or the file is temporarily unavailable")


# ---- edits, deletes, callbacks ---------------------------------------------------------------


async def test_edits_are_refused_when_missing_or_unchanged(emulator, http, ana):
    sent = result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text="Draft",
                             reply_markup=keyboard([("Publish", "pub")])))
    mid = sent["message_id"]

    async def edit(**params: Any) -> httpx.Response:
        return await call(http, emulator, "editMessageText", chat_id=ana.chat_id, **params)

    assert_refused(await edit(message_id=999, text="x"), 400,
                   "Bad Request: message to edit not found")
    assert_refused(await edit(message_id=1, text="x"), 400,  # Ana's own /start
                   "Bad Request: message can't be edited")
    assert_refused(await edit(message_id=mid, text="Draft",
                              reply_markup=keyboard([("Publish", "pub")])), 400, NOT_MODIFIED)
    assert_refused(await call(http, emulator, "editMessageReplyMarkup", chat_id=ana.chat_id,
                              message_id=mid, reply_markup=keyboard([("Publish", "pub")])),
                   400, NOT_MODIFIED)

    edited = result(await edit(message_id=mid, text="Draft"))  # no markup: the keyboard goes
    assert "reply_markup" not in edited and edited["edit_date"] >= edited["date"]
    assert ana.bot_messages[-1].buttons == [] and ana.bot_messages[-1].edits == 1
    edited = result(await edit(message_id=mid, text="<b>Published</b>", parse_mode="HTML"))
    assert edited["text"] == "Published" and ana.bot_messages[-1].edits == 2

    assert result(await call(http, emulator, "deleteMessage", chat_id=ana.chat_id,
                             message_id=mid)) is True
    assert ana.bot_messages[-1].deleted
    assert_refused(await call(http, emulator, "deleteMessage", chat_id=ana.chat_id,
                              message_id=mid), 400, "Bad Request: message to delete not found")
    assert_refused(await edit(message_id=mid, text="again"), 400,
                   "Bad Request: message to edit not found")


async def test_answer_callback_query_only_once(emulator, http, ana):
    sent = result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text="Ready?",
                             reply_markup=keyboard([("Go", "go:1")])))
    update = await ana.press("Go")
    query = update["callback_query"]
    assert query["data"] == "go:1" and query["message"]["message_id"] == sent["message_id"]
    assert query["message"]["from"]["is_bot"] is True and query["chat_instance"]

    assert_refused(await call(http, emulator, "answerCallbackQuery",
                              callback_query_id=query["id"], text="x" * 201), 400,
                   "Bad Request: MESSAGE_TOO_LONG")
    assert result(await call(http, emulator, "answerCallbackQuery",
                             callback_query_id=query["id"], text="Going", show_alert=True))
    assert_refused(await call(http, emulator, "answerCallbackQuery",
                              callback_query_id=query["id"]), 400, QUERY_INVALID)
    assert_refused(await call(http, emulator, "answerCallbackQuery",
                              callback_query_id="12345"), 400, QUERY_INVALID)
    assert [(a["text"], a["show_alert"], a["data"]) for a in ana.callback_answers] == [
        ("Going", True, "go:1")]
    # Every call counts, so a bot that handles one press twice is caught even though Telegram
    # refused the second answer.
    assert emulator.presses_answered_more_than_once() == [(1001, "go:1", 3)]


async def test_a_press_answered_once_is_not_reported(emulator, http, ana):
    result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text="Ready?",
                      reply_markup=keyboard([("Go", "go:2")])))
    query = (await ana.press("Go"))["callback_query"]
    assert result(await call(http, emulator, "answerCallbackQuery", callback_query_id=query["id"]))
    assert emulator.presses_answered_more_than_once() == []


async def test_chat_actions_must_be_telegram_values(emulator, http, ana):
    assert result(await call(http, emulator, "sendChatAction", chat_id=ana.chat_id,
                             action="upload_photo")) is True
    assert_refused(await call(http, emulator, "sendChatAction", chat_id=ana.chat_id,
                              action="thinking"), 400, "Bad Request: wrong parameter action in "
                   "request")
    assert ana.chat_actions == ["upload_photo"]


# ---- rate limit ------------------------------------------------------------------------------


async def test_rate_limit_answers_429_with_retry_after(http):
    async with TelegramEmulator(rate_limit_per_second=3) as emu:
        ana = emu.seller(1001, "Ana")
        await ana.send_text("hi")
        for n in range(3):
            result(await call(http, emu, "sendMessage", chat_id=1001, text=f"ok {n}"))
        response = await call(http, emu, "sendMessage", chat_id=1001, text="one too many")
        assert response.status_code == 429
        body = response.json()
        retry_after = body["parameters"]["retry_after"]
        assert isinstance(retry_after, int) and retry_after >= 1
        assert body == {"ok": False, "error_code": 429, "parameters": {"retry_after": retry_after},
                        "description": f"Too Many Requests: retry after {retry_after}"}
        # Chat actions are not limited.
        result(await call(http, emu, "sendChatAction", chat_id=1001, action="typing"))
        assert len(ana.bot_messages) == 3


async def test_rate_limit_none_disables_it(emulator, http, ana):
    for n in range(60):
        result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text=f"#{n}"))
    assert len(ana.bot_messages) == 60


# ---- getUpdates --------------------------------------------------------------------------------


async def test_long_poll_returns_as_soon_as_an_update_arrives(emulator, http, ana):
    offset = await drain(http, emulator)
    poll = asyncio.create_task(call(http, emulator, "getUpdates", offset=offset, timeout=10))
    await asyncio.sleep(0.3)
    assert not poll.done()
    started = time.monotonic()
    await ana.send_text("Is this still available?")
    updates = result(await poll)
    assert time.monotonic() - started < 1.0
    assert [u["message"]["text"] for u in updates] == ["Is this still available?"]
    message = updates[0]["message"]
    assert message["from"] == {"id": 1001, "is_bot": False, "first_name": "Ana",
                               "last_name": "Lima", "username": "ana_sells",
                               "language_code": "en"}
    assert message["chat"]["type"] == "private" and isinstance(message["date"], int)
    assert abs(message["date"] - time.time()) < 5  # seconds, not milliseconds

    started = time.monotonic()
    assert result(await call(http, emulator, "getUpdates", offset=offset + 1, timeout=1)) == []
    assert 0.9 < time.monotonic() - started < 2.0


async def test_get_updates_honours_offset_and_limit(emulator, http, ana):
    offset = await drain(http, emulator)
    for text in ("one", "two", "three"):
        await ana.send_text(text)
    first = result(await call(http, emulator, "getUpdates", offset=offset, limit=2))
    assert [u["message"]["text"] for u in first] == ["one", "two"]
    # Not confirmed yet: the same two come again.
    assert result(await call(http, emulator, "getUpdates", limit=2)) == first
    rest = result(await call(http, emulator, "getUpdates", offset=first[-1]["update_id"] + 1))
    assert [u["message"]["text"] for u in rest] == ["three"]
    assert result(await call(http, emulator, "getUpdates",
                             offset=rest[-1]["update_id"] + 1)) == []
    await ana.send_text("four")
    await ana.send_text("five")
    last = result(await call(http, emulator, "getUpdates", offset=-1))
    assert [u["message"]["text"] for u in last] == ["five"]


async def test_allowed_updates_filter_is_remembered(emulator, http, ana):
    offset = await drain(http, emulator)
    result(await call(http, emulator, "getUpdates", offset=offset,
                      allowed_updates=["callback_query"]))
    result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text="Pick",
                      reply_markup=keyboard([("Go", "go")])))
    await ana.send_text("this text is not wanted")
    await ana.press("Go")
    updates = result(await call(http, emulator, "getUpdates", offset=offset))
    assert [list(u)[1] for u in updates] == ["callback_query"]
    offset = updates[-1]["update_id"] + 1
    result(await call(http, emulator, "getUpdates", offset=offset, allowed_updates=[]))
    await ana.send_text("wanted again")
    updates = result(await call(http, emulator, "getUpdates", offset=offset))
    assert [u["message"]["text"] for u in updates] == ["wanted again"]


async def test_redeliver_sends_the_same_update_id_again(emulator, http, ana):
    offset = await drain(http, emulator)
    batches: list[list[int]] = []
    emulator.update_watchers.append(lambda updates: batches.append(
        [update["update_id"] for update in updates]))
    sent = await ana.send_text("once")
    got = result(await call(http, emulator, "getUpdates", offset=offset))
    next_offset = got[-1]["update_id"] + 1
    assert result(await call(http, emulator, "getUpdates", offset=next_offset)) == []
    emulator.redeliver(sent["update_id"])
    again = result(await call(http, emulator, "getUpdates", offset=next_offset))
    assert again == [sent]
    assert result(await call(http, emulator, "getUpdates", offset=next_offset)) == []
    assert emulator.update_deliveries[sent["update_id"]] == 2
    assert batches == [[sent["update_id"]], [sent["update_id"]]]  # empty polls tell nobody
    with pytest.raises(EmulatorError):
        emulator.redeliver(1)


async def test_a_second_long_poll_terminates_the_first(emulator, http):
    first = asyncio.create_task(call(http, emulator, "getUpdates", timeout=10))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(call(http, emulator, "getUpdates", timeout=0.3))
    assert_refused(await asyncio.wait_for(first, 2), 409,
                   "Conflict: terminated by other getUpdates request; make sure that only one "
                   "bot instance is running")
    assert result(await second) == []


async def test_stop_is_prompt_with_a_pending_long_poll(http):
    emu = TelegramEmulator()
    await emu.start()
    poll = asyncio.create_task(call(http, emu, "getUpdates", timeout=30))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await emu.stop()
    assert time.monotonic() - started < 1.0
    assert result(await asyncio.wait_for(poll, 2)) == []


# ---- webhook -----------------------------------------------------------------------------------


async def test_webhook_delivers_in_order_with_secret_and_retries(emulator, http, ana):
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [True]  # the first post fails with a 500

    async def hook(request: web.Request) -> web.Response:
        if failures:
            failures.pop()
            return web.Response(status=500)
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                         await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/telegram/webhook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram/webhook"
    try:
        for bad, detail in (("ftp://x.example/hook", "Unsupported URL protocol"),
                            ("http:///nohost", "Wrong URL host")):
            assert_refused(await call(http, emulator, "setWebhook", url=bad), 400,
                           f"Bad Request: bad webhook: {detail}")
        assert_refused(await call(http, emulator, "setWebhook", url=url, secret_token="no way!"),
                       400, "Bad Request: secret token contains unallowed characters")
        response = await call(http, emulator, "setWebhook", url=url, secret_token="s3cr3t-T_k",
                              allowed_updates=["message", "callback_query"])
        assert response.json() == {"ok": True, "result": True, "description": "Webhook was set"}
        assert emulator.webhook["url"] == url and emulator.webhook["secret_token"] == "s3cr3t-T_k"
        assert_refused(await call(http, emulator, "getUpdates"), 409,
                       "Conflict: can't use getUpdates method while webhook is active; use "
                       "deleteWebhook to delete the webhook first")

        for text in ("a", "b", "c"):
            await ana.send_text(text)
        for _ in range(100):
            if len(received) == 4:
                break
            await asyncio.sleep(0.05)
        assert [secret for secret, _ in received] == ["s3cr3t-T_k"] * 4
        assert [u["message"]["text"] for _, u in received] == ["/start", "a", "b", "c"]
        ids = [u["update_id"] for _, u in received]
        assert ids == sorted(ids)
        info = result(await call(http, emulator, "getWebhookInfo"))
        assert info["url"] == url and info["pending_update_count"] == 0
        assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal " \
                                             "Server Error"
        assert info["allowed_updates"] == ["message", "callback_query"]

        deleted = (await call(http, emulator, "deleteWebhook")).json()
        assert deleted["description"] == "Webhook was deleted" and emulator.webhook is None
        assert result(await call(http, emulator, "getUpdates", timeout=0)) == []
    finally:
        await runner.cleanup()


# ---- commands ----------------------------------------------------------------------------------


async def test_set_my_commands_is_validated_and_stored_per_scope(emulator, http):
    commands = [{"command": "post", "description": "List an item"},
                {"command": "connect", "description": "Connect a marketplace"}]
    assert result(await call(http, emulator, "setMyCommands", commands=commands)) is True
    assert emulator.commands == commands
    assert result(await call(http, emulator, "getMyCommands")) == commands
    private = [{"command": "help", "description": "Help"}]
    result(await call(http, emulator, "setMyCommands", commands=private,
                      scope={"type": "all_private_chats"}))
    assert emulator.commands == commands
    assert result(await call(http, emulator, "getMyCommands",
                             scope={"type": "all_private_chats"})) == private

    async def refused(items: Any) -> httpx.Response:
        return await call(http, emulator, "setMyCommands", commands=items)

    assert_refused(await refused([{"command": "Post", "description": "x"}]), 400,
                   "Bad Request: BOT_COMMAND_INVALID")
    assert_refused(await refused([{"command": "a" * 33, "description": "x"}]), 400,
                   "Bad Request: BOT_COMMAND_INVALID")
    assert_refused(await refused([{"command": "post", "description": " "}]), 400,
                   "Bad Request: command description must be non-empty")
    assert_refused(await refused([{"command": "post"}]), 400,
                   'Bad Request: can\'t parse BotCommand: Can\'t find field "description"')
    too_many = [{"command": f"c{i}", "description": "d"} for i in range(101)]
    assert_refused(await refused(too_many), 400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
    assert emulator.commands == commands
    assert result(await call(http, emulator, "deleteMyCommands")) is True
    assert emulator.commands == []


# ---- the seller helpers ----------------------------------------------------------------------


async def test_seller_helpers_wait_press_and_transcript(emulator, http, ana):
    welcome = {"inline_keyboard": [[{"text": "Connect a marketplace", "callback_data": "connect"},
                                    {"text": "Help", "callback_data": "help"}],
                                   [{"text": "Website", "url": "https://dealscout.example"}]]}
    result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id,
                      text="Welcome to <b>Deal Scout</b>!", parse_mode="HTML",
                      reply_markup=welcome))
    first = await ana.next_message(timeout=1)
    assert first.text == "Welcome to Deal Scout!" and first.from_bot
    assert first.buttons == [["Connect a marketplace", "Help"], ["Website"]]
    with pytest.raises(TimeoutError, match="Welcome to Deal Scout"):
        await ana.next_message(timeout=0.2)

    with pytest.raises(EmulatorError, match=r"No button \[Sell\].*\[Help\]"):
        await ana.press("Sell")
    with pytest.raises(EmulatorError, match="URL button"):
        await ana.press("Website")
    update = await ana.press("Help")
    assert update["callback_query"]["data"] == "help"
    forged = await ana.press_data(first.message_id, "admin:delete_all")
    assert forged["callback_query"]["data"] == "admin:delete_all"

    async def edit_later() -> None:
        await asyncio.sleep(0.1)
        await call(http, emulator, "editMessageText", chat_id=ana.chat_id,
                   message_id=first.message_id, text="Help: send /post to list an item")

    editing = asyncio.create_task(edit_later())
    await ana.wait_for(lambda messages: messages[first.message_id - 1].edits == 1, timeout=2)
    await editing
    assert first.text == "Help: send /post to list an item" and first.buttons == []

    await ana.send_photo(image_bytes(1200, 900))
    transcript = emulator.transcript(ana.user_id)
    assert transcript.splitlines() == [
        "Ana → /start",
        "bot → Welcome to Deal Scout!",
        "      [Connect a marketplace] [Help]",
        "      [Website]",
        "Ana ⟶ pressed [Help]",
        "Ana ⟶ sent callback data 'admin:delete_all' on #2",
        "bot ✎ (edited) Help: send /post to list an item",
        "Ana → 📷 photo 1200×900",
    ]
    assert emulator.transcript().startswith("=== chat with Ana (1001) ===\nAna → /start")


async def test_control_surface_sends_as_a_seller(emulator, http):
    response = await http.post(f"{emulator.url}/_sandbox/sellers/2002/messages",
                               json={"text": "/start", "first_name": "Bo"})
    assert response.status_code == 200
    assert response.json()["message"]["entities"][0]["type"] == "bot_command"
    updates = result(await call(http, emulator, "getUpdates"))
    assert updates[0]["message"]["from"]["first_name"] == "Bo"
    transcript = await http.get(f"{emulator.url}/_sandbox/transcript")
    assert "Bo → /start" in transcript.text
    messages = (await http.get(f"{emulator.url}/_sandbox/sellers/2002/messages")).json()
    assert [(m["text"], m["from_bot"]) for m in messages] == [("/start", False)]
    assert (await http.get(f"{emulator.url}/_sandbox/sellers/3003/messages")).status_code == 404


# ---- a real python-telegram-bot Application ----------------------------------------------------


async def test_real_ptb_application_parses_everything_the_emulator_sends(emulator, caplog):
    caplog.set_level(logging.WARNING)
    handled: list[int] = []
    errors: list[object] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        handled.append(update.update_id)
        await update.message.reply_text(
            f"Hi {update.effective_user.first_name}, args={context.args}",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="p")]]),
        )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        handled.append(update.update_id)
        await update.message.reply_html(f"echo: <b>{update.message.text}</b>")

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        handled.append(update.update_id)
        largest = update.message.photo[-1]
        data = await (await largest.get_file()).download_as_bytearray()
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
        await update.message.reply_photo(bytes(data), caption=f"got {width}x{height}")

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        handled.append(update.update_id)
        query = update.callback_query
        await query.answer("pong")
        await query.edit_message_text(f"ponged ({query.message.chat.type})")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app = (ApplicationBuilder().token(emulator.token).base_url(emulator.base_url)
           .base_file_url(emulator.base_file_url).build())
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(CallbackQueryHandler(button))
    app.add_error_handler(on_error)

    ana = emulator.seller(1001, "Ana", username="ana_sells")
    sent = [await ana.send_command("start", "connect")]  # queued before the bot polls
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            greeting = await ana.next_message()
            assert greeting.text == "Hi Ana, args=['connect']"
            sent.append(await ana.send_text("Blue bike, barely used"))
            echoed = await ana.next_message()
            assert echoed.text == "echo: Blue bike, barely used"
            assert echoed.entities == [{"type": "bold", "offset": 6, "length": 22}]
            sent.append(await ana.press("Ping", message_id=greeting.message_id))
            await ana.wait_for(lambda _: greeting.text == "ponged (private)")
            sent.append(await ana.send_photo(image_bytes(1200, 900)))
            reply = await ana.next_message()
            assert reply.caption == "got 1200x900"
            assert reply.photo_sizes[-1]["width"] == 1200
        finally:
            await app.updater.stop()
            await app.stop()

    assert errors == []
    assert sorted(handled) == [update["update_id"] for update in sent]
    assert [a["text"] for a in ana.callback_answers] == ["pong"]
    assert "deleteWebhook" in [call.method for call in emulator.calls]
    assert [c for c in emulator.calls if not c.ok] == []
    problems = [r.getMessage() for r in caplog.records
                if r.name.startswith("telegram") and r.levelno >= logging.ERROR]
    assert problems == []



async def test_copy_text_buttons_copy_without_telling_the_bot_and_refuse_over_256(
    emulator, http, ana
):
    def copying(text: str) -> dict[str, Any]:
        return {"inline_keyboard": [[{"text": "📋 Title", "copy_text": {"text": text}}]]}

    offset = await drain(http, emulator)
    result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text="Your kit",
                      reply_markup=copying("Brass desk lamp")))

    assert ana.copy("📋 Title") == "Brass desk lamp" == ana.clipboard
    assert "Ana ⟶ copied [📋 Title]" in ana.transcript()
    assert result(await call(http, emulator, "getUpdates", offset=offset, timeout=0)) == []
    with pytest.raises(EmulatorError, match="a copy_text button"):
        await ana.press("📋 Title")  # copying is the client's own business

    for text in ("", "x" * 257):
        assert_refused(await call(http, emulator, "sendMessage", chat_id=ana.chat_id,
                                  text="Your kit", reply_markup=copying(text)),
                       400, "Bad Request: BUTTON_COPY_TEXT_INVALID")
    assert result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id, text="Kit",
                             reply_markup=copying("x" * 256)))
