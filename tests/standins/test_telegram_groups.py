"""Groups, supergroups and channels in the Telegram emulator: what of a group reaches the bot
(privacy mode), what the bot may send there (no reply keyboard that asks for data), who a press
and its answer belong to, and the bot's own t.me links opening the private chat.

Raw HTTP calls check what Telegram would send and refuse; PTB parses each update as it would.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from telegram import Update

from sandbox.telegram import EmulatorError, GroupChat, Seller, TelegramEmulator


@pytest.fixture
async def emulator():
    async with TelegramEmulator(rate_limit_per_second=None) as emu:
        yield emu


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=15) as client:
        yield client


@pytest.fixture
def ana(emulator: TelegramEmulator) -> Seller:
    return emulator.seller(2001, "Ana", username="ana_sells")


@pytest.fixture
def ben(emulator: TelegramEmulator) -> Seller:
    return emulator.seller(2002, "Ben")


async def call(http: httpx.AsyncClient, emu: TelegramEmulator, method: str,
               **params: Any) -> httpx.Response:
    """POST the way PTB does: form fields, non-strings JSON-encoded."""
    data = {key: value if isinstance(value, str) else json.dumps(value)
            for key, value in params.items() if value is not None}
    return await http.post(f"{emu.base_url}{emu.token}/{method}", data=data)


def result(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    return body["result"]


async def updates(http: httpx.AsyncClient, emu: TelegramEmulator) -> list[dict[str, Any]]:
    """Every update pending, confirmed at once: what the bot received since the last call."""
    got = result(await call(http, emu, "getUpdates", timeout=0))
    if got:
        result(await call(http, emu, "getUpdates", offset=got[-1]["update_id"] + 1, timeout=0))
    return got


def texts(batch: list[dict[str, Any]]) -> list[str]:
    return [(update.get("message") or update.get("channel_post") or {}).get("text", "")
            for update in batch]


# ---- what reaches the bot ----------------------------------------------------------------------


async def test_privacy_mode_hands_the_bot_only_commands_mentions_and_replies(
    emulator: TelegramEmulator, http: httpx.AsyncClient, ana: Seller, ben: Seller
) -> None:
    group = emulator.group("Flea market", [ana, ben])
    in_group = group.member(ana)
    await in_group.send_text("anyone selling a lamp?")
    await in_group.send_command("post")
    await in_group.send_command("post@DealScoutBot")
    await in_group.send_command("roll@DiceBot")
    await in_group.send_text("@DealScoutBot how does this work?")
    await in_group.send_text("ask @ana_sells about it")
    reply_to = result(await call(http, emulator, "sendMessage", chat_id=group.chat_id,
                                 text="Hello, group"))
    await group.member(ben).send_text("hi bot", reply_to=group.message(reply_to["message_id"]))
    await group.member(ben).send_text("hi Ana", reply_to=group.messages[0])

    got = await updates(http, emulator)
    assert texts(got) == ["/post", "/post@DealScoutBot", "@DealScoutBot how does this work?",
                          "hi bot"]
    # Everything was said in the group, whether or not the bot heard it.
    assert [m.text for m in group.messages if not m.from_bot] == [
        "anyone selling a lamp?", "/post", "/post@DealScoutBot", "/roll@DiceBot",
        "@DealScoutBot how does this work?", "ask @ana_sells about it", "hi bot", "hi Ana",
    ]
    assert "(privacy mode: the bot does not receive this)" in group.transcript()


async def test_a_bot_admin_or_a_bot_without_privacy_mode_gets_every_message(
    emulator: TelegramEmulator, http: httpx.AsyncClient, ana: Seller
) -> None:
    open_group = emulator.group("Open", [ana], privacy_mode=False)
    admin_group = emulator.group("Admins", [ana], kind="supergroup", bot_is_admin=True)
    await open_group.member(ana).send_text("plain words")
    await admin_group.member(ana).send_text("more plain words")
    assert texts(await updates(http, emulator)) == ["plain words", "more plain words"]


async def test_a_group_message_is_what_telegram_sends_and_ptb_parses(
    emulator: TelegramEmulator, http: httpx.AsyncClient, ana: Seller, ben: Seller
) -> None:
    group = emulator.group("Flea market", [ana, ben])
    supergroup = emulator.group("Big market", [ben], kind="supergroup")
    await group.member(ana).send_command("post")
    await supergroup.member(ben).send_command("listings")
    first, second = await updates(http, emulator)
    assert first["message"]["chat"] == {"id": group.chat_id, "type": "group",
                                        "title": "Flea market"}
    assert first["message"]["from"]["id"] == ana.user_id
    assert group.chat_id < 0 and str(supergroup.chat_id).startswith("-100")
    parsed = Update.de_json(second, None)
    assert parsed.effective_chat.type == "supergroup"
    assert parsed.effective_user.first_name == "Ben"
    assert parsed.effective_message.text == "/listings"
    # Ana's private chat was never opened by any of this: the bot cannot write to her there.
    refused = await call(http, emulator, "sendMessage", chat_id=ana.user_id, text="hi")
    assert refused.json()["description"] == "Bad Request: chat not found"


async def test_a_channel_post_comes_from_the_channel(
    emulator: TelegramEmulator, http: httpx.AsyncClient, ana: Seller
) -> None:
    channel = emulator.group("Ana's deals", [ana], kind="channel")
    await channel.member(ana).send_command("post")
    (update,) = await updates(http, emulator)
    post = update["channel_post"]
    assert "from" not in post and post["sender_chat"]["type"] == "channel"
    parsed = Update.de_json(update, None)
    assert parsed.effective_user is None and parsed.effective_chat.title == "Ana's deals"


async def test_only_members_act_in_a_group(emulator: TelegramEmulator, ana: Seller,
                                           ben: Seller) -> None:
    group = emulator.group("Flea market", [ana])
    with pytest.raises(EmulatorError, match="Ben is not a member of group Flea market"):
        group.member(ben)
    with pytest.raises(ValueError, match="a group chat is one of"):
        emulator.group("Odd", [ana], kind="private")


# ---- what the bot may send there ---------------------------------------------------------------


@pytest.mark.parametrize(("request_field", "refusal"), [
    ("request_location", "Bad Request: location can be requested in private chats only"),
    ("request_contact", "Bad Request: phone number can be requested in private chats only"),
    ("request_poll", "Bad Request: poll can be requested in private chats only"),
])
async def test_a_reply_keyboard_asking_for_data_is_refused_outside_private_chats(
    emulator: TelegramEmulator, http: httpx.AsyncClient, ana: Seller, request_field: str,
    refusal: str,
) -> None:
    group: GroupChat = emulator.group("Flea market", [ana])
    supergroup = emulator.group("Big market", [ana], kind="supergroup")
    value: Any = {} if request_field == "request_poll" else True
    markup = {"keyboard": [[{"text": "📍 Share", request_field: value}]]}
    for chat in (group, supergroup):
        refused = await call(http, emulator, "sendMessage", chat_id=chat.chat_id,
                             text="Where is it?", reply_markup=markup)
        assert refused.status_code == 400
        assert refused.json() == {"ok": False, "error_code": 400, "description": refusal}
        assert chat.bot_messages == []
    # The same keyboard in Ana's private chat is fine.
    await ana.send_command("start")
    sent = result(await call(http, emulator, "sendMessage", chat_id=ana.chat_id,
                             text="Where is it?", reply_markup=markup))
    assert sent["chat"]["type"] == "private"
    # In a group a plain reply keyboard is allowed.
    plain = result(await call(http, emulator, "sendMessage", chat_id=group.chat_id,
                              text="Pick one", reply_markup={"keyboard": [["A", "B"]]}))
    assert plain["chat"]["id"] == group.chat_id


# ---- presses and their answers -----------------------------------------------------------------


async def test_a_press_in_a_group_is_the_pressers_and_so_is_its_answer(
    emulator: TelegramEmulator, http: httpx.AsyncClient, ana: Seller, ben: Seller
) -> None:
    group = emulator.group("Flea market", [ana, ben])
    await group.member(ana).send_command("connect")
    command = group.messages[-1]
    menu = result(await call(
        http, emulator, "sendMessage", chat_id=group.chat_id, text="Pick a marketplace",
        reply_parameters={"message_id": command.message_id},
        reply_markup={"inline_keyboard": [[{"text": "eBay", "callback_data": "cn1:ebay"}]]},
    ))
    await updates(http, emulator)
    await group.member(ben).press("eBay")
    (update,) = await updates(http, emulator)
    query = update["callback_query"]
    assert query["from"]["id"] == ben.user_id
    assert query["message"]["chat"]["id"] == group.chat_id
    assert query["message"]["reply_to_message"]["from"]["id"] == ana.user_id
    assert result(await call(http, emulator, "answerCallbackQuery", callback_query_id=query["id"],
                             text="This button is for Ana.", show_alert=True)) is True
    # The alert pops up for Ben alone; the message stays as it was.
    assert [answer["text"] for answer in ben.callback_answers] == ["This button is for Ana."]
    assert ana.callback_answers == []
    assert group.message(menu["message_id"]).edits == 0
    assert "bot ⓘ (alert to Ben) This button is for Ana." in group.transcript()


# ---- the bot's own links -----------------------------------------------------------------------


async def test_a_start_link_opens_the_private_chat_with_its_payload(
    emulator: TelegramEmulator, http: httpx.AsyncClient, ana: Seller
) -> None:
    await ana.open_bot_link("https://t.me/DealScoutBot?start=post")
    (update,) = await updates(http, emulator)
    assert update["message"]["text"] == "/start post"
    assert update["message"]["chat"]["type"] == "private"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    with pytest.raises(EmulatorError, match="is not a link to @DealScoutBot"):
        await ana.open_bot_link("https://t.me/OtherBot?start=post")
    with pytest.raises(EmulatorError, match="Telegram ignores the start parameter"):
        await ana.open_bot_link("https://t.me/DealScoutBot?start=no%20spaces")
