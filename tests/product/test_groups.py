"""The bot in groups, supergroups and channels: each command that starts something answers with
one "Continue in private chat" button and nothing else; the link opens that flow in private;
a press on a group message changes nothing (someone else's gets an alert); anything else said
in a group gets no answer; the location step and the progress of a listing started from a group
happen in the private chat."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from telegram import InlineKeyboardMarkup, ReplyParameters

from bot.buttons import AddMarketplace, Connect, button
from bot.runtime import BotRuntime
from sandbox.autopilot import answer_until
from sandbox.browser import connect
from sandbox.facebook import ROSA
from sandbox.telegram import GroupChat, Seller
from sandbox.world import SandboxWorld
from tests.helpers import (
    eventually,
    jpeg,
    post_and_wait,
    preview_summary,
    reply,
    seller_at_preview,
)

CONTINUE = [["Continue in private chat"]]
LINK = "https://t.me/DealScoutBot?start="
SAID_IN_GROUP = {
    "post": "📦 Let's list your item in a private chat, so your draft stays between us.",
    "connect": "🔗 Marketplace accounts are connected in a private chat, so your sign-in links "
               "stay between us.",
    "listings": "📋 Your listings are shown in a private chat only.",
    "accounts": "🔗 Your marketplace accounts are shown in a private chat only.",
    "start": "👋 I work in private chats: tap below and I'll show you what I can do.",
    "help": "👋 I work in private chats: tap below and I'll show you what I can do.",
}
PAYLOADS = {"post": "post", "connect": "connect", "listings": "listings",
            "accounts": "accounts", "start": "welcome", "help": "help"}


async def count(bot: BotRuntime, table: str) -> int:
    return (await bot.db.fetchone(f"SELECT COUNT(*) FROM {table}"))[0]


@pytest.mark.parametrize("kind", ["group", "supergroup", "channel"])
async def test_each_command_answers_with_one_deep_link_and_nothing_else(
    world: SandboxWorld, bot: BotRuntime, kind: str
) -> None:
    ana = world.telegram.seller(1401, "Ana")
    group = world.telegram.group("Flea market", [ana], kind=kind)
    for command, said in SAID_IN_GROUP.items():
        await group.member(ana).send_command(command)
        answer = await group.next_message()
        assert answer.text == said
        assert answer.buttons == CONTINUE
        assert answer.reply_markup["inline_keyboard"][0][0]["url"] == LINK + PAYLOADS[command]
        assert answer.reply_to_message_id == group.messages[-2].message_id  # the command
    # Addressed to the bot by name, the same; addressed to another bot, not a word.
    await group.member(ana).send_command("post@DealScoutBot")
    assert (await group.next_message()).text == SAID_IN_GROUP["post"]
    await group.member(ana).send_command("post@DiceBot")
    await group.member(ana).send_command("help")
    assert (await group.next_message()).text == SAID_IN_GROUP["help"]
    assert len(group.bot_messages) == len(SAID_IN_GROUP) + 2
    # No draft, no sign-in link, nothing in Ana's private chat (she never opened it).
    assert await count(bot, "drafts") == 0
    assert await count(bot, "oauth_states") == 0
    assert ana.messages == []


async def test_the_deep_links_open_each_flow_in_the_private_chat(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1402, "Ana")
    group = world.telegram.group("Flea market", [ana])
    in_group = group.member(ana)
    links = {}
    for command in ("post", "connect", "listings", "accounts", "start"):
        await in_group.send_command(command)
        await group.next_message()
        links[command] = in_group.open_link("Continue in private chat")

    await ana.open_bot_link(links["post"])
    await reply(ana, "You haven't connected a marketplace yet")  # said first, in private
    await ana.press("▶️ Start anyway")
    await reply(ana, "Send me its photos")
    draft = await bot.application.services.drafts.get(1402)
    assert draft is not None and draft.photos == ()

    await ana.open_bot_link(links["connect"])
    menu = await ana.next_message()
    assert menu.buttons[0] == ["Connect eBay"]
    await ana.open_bot_link(links["listings"])
    listings = await ana.next_message()
    await ana.open_bot_link(links["accounts"])
    accounts = await ana.next_message()
    await ana.open_bot_link(links["start"])
    welcome = await ana.next_message()
    assert welcome.text.startswith("👋 Hi Ana! I'm Deal Scout.")
    # Each link shows what the command itself shows in the private chat.
    await ana.send_command("cancel")
    await ana.next_message()
    for command, via_link in (("connect", menu), ("listings", listings),
                              ("accounts", accounts)):
        await ana.send_command(command)
        direct = await ana.next_message()
        assert (direct.text, direct.buttons) == (via_link.text, via_link.buttons), command
    assert len(group.bot_messages) == 5  # the group saw the five pointers, nothing more


async def test_plain_messages_in_a_group_are_left_alone(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """With privacy mode off the bot receives everything said in the group; it answers none of
    it, not even with "I'm not sure what to do with that"."""
    ana, ben = world.telegram.seller(1403, "Ana"), world.telegram.seller(1404, "Ben")
    group = world.telegram.group("Flea market", [ana, ben], privacy_mode=False)
    await group.member(ana).send_command("post")
    pointer = await group.next_message()
    await group.member(ben).send_text("how much for the lamp?")
    await group.member(ana).send_text("Brass desk lamp", reply_to=pointer)
    await group.member(ana).send_photo(jpeg())
    await group.member(ben).send_location(47.25, -122.44)
    await group.member(ana).send_text("@DealScoutBot are you there?")
    await group.member(ana).send_command("cancel")
    await group.member(ana).send_command("frobnicate")
    # Ana's updates are handled in order: once /help is answered, the rest were handled too.
    await group.member(ana).send_command("help")
    await group.member(ben).send_command("help")
    assert (await group.next_message()).text == SAID_IN_GROUP["help"]
    assert (await group.next_message()).text == SAID_IN_GROUP["help"]
    assert len(group.bot_messages) == 3
    assert ana.messages == [] and ben.messages == []
    assert await count(bot, "drafts") == 0


async def an_older_bots_connect_menu(bot: BotRuntime, group: GroupChat, ana: Seller) -> int:
    """What a version of the bot from before groups were sent to private left in a group: a
    /connect menu answering Ana's /connect, with a live Connect button."""
    await group.member(ana).send_command("connect")
    await group.next_message()  # today's answer: the pointer to the private chat
    command = group.messages[-2]
    menu = await bot.application.bot.send_message(
        group.chat_id, "Connect a marketplace:",
        reply_parameters=ReplyParameters(command.message_id),
        reply_markup=InlineKeyboardMarkup([[button("Connect eBay", Connect("ebay"))]]),
    )
    await group.next_message()
    return menu.message_id


async def test_a_second_members_tap_on_the_first_members_button_gets_an_alert(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana, ben = world.telegram.seller(1405, "Ana"), world.telegram.seller(1406, "Ben")
    group = world.telegram.group("Flea market", [ana, ben])
    menu_id = await an_older_bots_connect_menu(bot, group, ana)
    menu = group.message(menu_id)

    await group.member(ben).press("Connect eBay", message_id=menu_id)
    await ben.wait_for(lambda _: bool(ben.callback_answers))
    (answer,) = ben.callback_answers
    assert answer["text"] == "This button is for Ana. Open a private chat with me for your own."
    assert answer["show_alert"] is True and answer["url"] is None
    # Ana's menu is as it was: no link in it, no sign-in started, nobody written to in private.
    assert (menu.text, menu.buttons, menu.edits) == ("Connect a marketplace:",
                                                     [["Connect eBay"]], 0)
    assert await count(bot, "oauth_states") == 0
    assert ana.callback_answers == [] and ben.messages == [] and ana.messages == []

    # Ana's own tap takes her to the private chat, where connecting happens.
    await group.member(ana).press("Connect eBay", message_id=menu_id)
    await ana.wait_for(lambda _: bool(ana.callback_answers))
    (own,) = ana.callback_answers
    assert (own["text"], own["url"]) == (None, LINK + "connect")
    assert (menu.text, menu.edits) == ("Connect a marketplace:", 0)
    assert await count(bot, "oauth_states") == 0
    assert len(group.bot_messages) == 2


async def test_a_listing_card_left_in_a_group_posts_nothing_and_edits_nothing(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    """An older version's listing card in a group, its ➕ Post to another marketplace pressed
    there: nothing is posted, and no message in any chat is edited by the group message's id."""
    ana, preview = await seller_at_preview(world, 1407)
    progress = await post_and_wait(ana, preview)
    edits = {message.message_id: message.edits for message in ana.messages}
    group = world.telegram.group("Flea market", [ana])
    await group.member(ana).send_command("listings")
    await group.next_message()
    listing_id = (await bot.db.fetchone("SELECT id FROM listings"))[0]
    card = await bot.application.bot.send_message(
        group.chat_id, "Brass desk lamp, 1970s",
        reply_parameters=ReplyParameters(group.messages[-2].message_id),
        reply_markup=InlineKeyboardMarkup([[
            button("OfferUp", AddMarketplace(listing_id, "offerup"))]]),
    )
    answered = len(ana.callback_answers)
    await group.member(ana).press("OfferUp", message_id=card.message_id)
    await ana.wait_for(lambda _: len(ana.callback_answers) > answered)
    assert ana.callback_answers[-1]["url"] == LINK + "listings"
    assert await count(bot, "cross_posts") == 3
    assert {message.message_id: message.edits for message in ana.messages} == edits
    assert "is live on 3 of 3" in progress.text


async def test_a_listing_started_from_a_group_asks_the_location_in_private(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(1408, "Ana")
    await connect(ana, "Facebook Shop (catalog)", world.facebook.oauth, account_id=ROSA)
    await connect(ana, "OfferUp", world.offerup.oauth)  # a pin will do for these two
    group = world.telegram.group("Flea market", [ana], kind="supergroup")
    await group.member(ana).send_command("post")
    await group.next_message()
    await ana.open_bot_link(group.member(ana).open_link("Continue in private chat"))
    await reply(ana, "Send me its photos")
    await ana.send_photo(jpeg())
    await reply(ana, "Added 1 photo")
    await ana.press("Done ✅")
    await reply(ana, "What's the title?")
    await ana.send_text("Brass desk lamp")
    await answer_until(ana, "What's the price in US dollars?")
    await ana.send_text("40")
    await reply(ana, "Add a description")
    await ana.press("Skip")
    where = await answer_until(ana, "Where is the item?")
    assert where.reply_markup["keyboard"][0][0] == {"text": "📍 Share my location",
                                                    "request_location": True}
    await ana.send_location(47.25, -122.44)
    await reply(ana, "📍 Got it.")
    await reply(ana, "Where should I post it?")
    await ana.press("Continue »")
    preview = await preview_summary(ana)
    progress = await post_and_wait(ana, preview)
    assert "is live on 2 of 2" in progress.text
    row = await bot.db.fetchone("SELECT progress_chat_id, progress_message_id FROM listings")
    assert tuple(row) == (ana.chat_id, preview.message_id)
    # The group heard one thing: the pointer to the private chat.
    assert [m.text for m in group.bot_messages] == [SAID_IN_GROUP["post"]]


async def test_a_progress_message_without_its_chat_is_never_edited_by_id_alone(
    world: SandboxWorld, start_bot: Callable[..., BotRuntime]
) -> None:
    """A listing stored before progress messages carried their chat has only a message id,
    which may be a group's: the next report goes out as a new message instead, and is stored
    with its chat."""
    async with start_bot() as bot:
        ana, preview = await seller_at_preview(world, 1409)
        await post_and_wait(ana, preview)

        async def told() -> bool:
            return (await bot.db.fetchone("SELECT outcome_told_at FROM listings"))[0] is not None

        assert await eventually(told, True, seconds=10)  # this run is done with the listing
        welcome = ana.bot_messages[0]  # a message the same id could wrongly name
        await bot.db.execute(
            "UPDATE listings SET progress_chat_id = NULL, progress_message_id = ?,"
            " outcome_told_at = NULL", (welcome.message_id,),
        )
    edits = {message.message_id: message.edits for message in ana.messages}
    told = len(ana.bot_messages)
    async with start_bot() as bot:
        await ana.wait_for(lambda _: len(ana.bot_messages) > told
                           and "is live on 3 of 3" in (ana.bot_messages[-1].text or ""),
                           timeout=20)

        async def stored() -> tuple[int, int]:
            row = await bot.db.fetchone(
                "SELECT progress_chat_id, progress_message_id FROM listings")
            return tuple(row)

        assert await eventually(stored, (ana.chat_id, ana.bot_messages[-1].message_id))
    assert {message.message_id: message.edits for message in ana.messages[:len(edits)]} == edits
