"""`python -m bot demo`: the real bot against the local sandbox, driven by a scripted seller.

Everything is real except the outside world: the Application with its handlers, a SQLite file,
HTTP on loopback. The script walks through every flow the bot has, prints the chat as a
transcript, and exits 0 only when every step got the reply it expects. When a capability lands,
its steps land here too.

The seller lists on eBay and Facebook Shop (catalog) by their APIs, and on Facebook Marketplace
and OfferUp by kit: those two have no listing API for individual sellers (and this bot runs, as
most operators will, without an OfferUp partnership), so the bot hands over everything ready to
paste in and tracks each copy by the link the seller pastes back. The transcript counts the taps
from a kit to a tracked copy, and shows the reminders a sale on eBay sends for the copies the
seller posted by hand.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from bot.commands import COMMANDS
from bot.config import Settings
from bot.logs import configure_logging
from bot.runtime import BotRuntime
from marketplaces.assisted import ASSISTED_BY_NAME
from sandbox.browser import connect
from sandbox.harness import demo_photo, sandbox_settings
from sandbox.postgres import throwaway_schema
from sandbox.telegram import ChatMessage, Seller, TelegramEmulator
from sandbox.world import SandboxWorld
from storage.database_url import PostgresUrl
from storage.db import DatabaseUnavailable

REPLY_TIMEOUT = 10.0
KITS = ("facebook_marketplace", "offerup")  # no listing API there: posted by the seller
DESCRIPTION = "Solid brass, rewired. 45 cm tall."


@dataclass
class StepResult:
    name: str
    ok: bool
    detail: str = ""


class DemoFailure(AssertionError):
    """A step did not get the reply it expected."""


class DemoScript:
    """The scripted seller and the checks after each of their actions."""

    def __init__(self, world: SandboxWorld, runtime: BotRuntime) -> None:
        self.world = world
        self.telegram: TelegramEmulator = world.telegram
        self.runtime = runtime
        self.ana = self.telegram.seller(7001, "Ana", username="ana_resells")
        self.ben = self.telegram.seller(7002, "Ben")

    def steps(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        return [
            ("command menu registered", self.command_menu),
            ("/start welcomes the seller", self.start),
            ("/help lists the commands", self.help),
            ("deep link /start help opens help", self.deep_link),
            ("free text is answered with what I can do", self.free_text),
            ("a photo outside any flow offers to start a listing", self.stray_photo),
            ("an unknown command is named back", self.unknown_command),
            ("/cancel with nothing to cancel", self.cancel),
            ("a second seller is served too", self.second_seller),
            ("/post in a group points to the private chat, where the listing starts",
             self.group_post),
            ("health check reports a live database", self.health),
            *[
                (f"connect {name} through its consent page", self.connector(name))
                for name in self.runtime.application.services.marketplaces
            ],
            ("/accounts lists every connection", self.accounts),
            ("checking a connection asks the marketplace", self.check_connection),
            ("declining consent is reported plainly", self.decline),
            ("/post: an album and a photo sent as a file; a bad price refused with an example; "
             "the title fixed by editing the message", self.post_until_price),
            ("/post lists it by API on eBay and Facebook Shop, by kit on Facebook Marketplace "
             "and OfferUp", self.post_item),
            ("each kit to a tracked copy in at most 6 taps and one paste", self.kits),
            ("/listings shows it with its links", self.listings),
            ("changing the price updates every copy, and reminds the copies by hand",
             self.change_price),
            ("an eBay sale, pushed, ends the others in seconds; the reminders answered",
             self.sale_elsewhere),
        ]

    async def expect_reply(self, seller: Seller, *fragments: str) -> str:
        message = await seller.next_message(timeout=REPLY_TIMEOUT)
        text = message.text or message.caption or ""
        missing = [fragment for fragment in fragments if fragment not in text]
        if missing:
            raise DemoFailure(f"reply lacked {missing!r}: {text[:200]!r}")
        return text

    async def command_menu(self) -> None:
        commands = [entry["command"] for entry in self.telegram.commands]
        if commands != [command for command, _ in COMMANDS]:
            raise DemoFailure(f"menu is {commands!r}")

    async def start(self) -> None:
        await self.ana.send_command("start")
        await self.expect_reply(self.ana, "Hi Ana", "Deal Scout", "/help")

    async def help(self) -> None:
        await self.ana.send_command("help")
        await self.expect_reply(self.ana, "/cancel", "/start")

    async def deep_link(self) -> None:
        await self.ana.send_command("start", "help")
        await self.expect_reply(self.ana, "lists your item on several marketplaces")

    async def free_text(self) -> None:
        await self.ana.send_text("is this thing on? 🤔")
        await self.expect_reply(self.ana, "not sure what to do with that")

    async def stray_photo(self) -> None:
        await self.ana.send_photo(demo_photo())
        await self.expect_reply(self.ana, "Shall I start a listing with this photo?")

    async def unknown_command(self) -> None:
        await self.ana.send_command("frobnicate")
        await self.expect_reply(self.ana, "I don't know the command /frobnicate")

    async def cancel(self) -> None:
        await self.ana.send_command("cancel")
        await self.expect_reply(self.ana, "nothing to cancel")

    async def second_seller(self) -> None:
        await self.ben.send_command("start")
        await self.expect_reply(self.ben, "Hi Ben")

    async def group_post(self) -> None:
        """Ben types /post in a group he shares with Ana: the group gets one message with a
        button to the private chat, and nothing of Ben's draft shows there."""
        group = self.telegram.group("Resellers' corner", [self.ana, self.ben])
        ben = group.member(self.ben)
        await ben.send_command("post")
        pointer = await group.next_message(timeout=REPLY_TIMEOUT)
        if pointer.buttons != [["Continue in private chat"]]:
            raise DemoFailure(f"the group got {pointer.text!r} {pointer.buttons!r}")
        await self.ben.open_bot_link(ben.open_link("Continue in private chat"))
        # Ben has connected nothing: told so before any step, with Start anyway for the kits.
        await self.expect_reply(self.ben, "You haven't connected a marketplace yet")
        await self.ben.press("▶️ Start anyway")
        await self.expect_reply(self.ben, "Send me its photos")
        await self.ben.send_command("cancel")
        await self.expect_reply(self.ben, "Stopped.")
        if len(group.bot_messages) != 1:
            raise DemoFailure(f"the group got {len(group.bot_messages)} messages")

    def connector(self, name: str) -> Callable[[], Awaitable[None]]:
        async def connect_marketplace() -> None:
            sandbox = self.world.marketplaces[name]
            display = self.runtime.application.services.marketplaces[name].display_name
            page, message = await connect(self.ana, display, sandbox.oauth)
            if page.status_code != 200 or "is connected as" not in (message.text or ""):
                raise DemoFailure(f"{display}: page {page.status_code}, chat {message.text!r}")

        return connect_marketplace

    async def accounts(self) -> None:
        await self.ana.send_command("accounts")
        overview = await self.expect_reply(self.ana, "Your marketplace accounts:")
        for adapter in self.runtime.application.services.marketplaces.values():
            if f"• {adapter.display_name} (" not in overview:
                raise DemoFailure(f"{adapter.display_name} missing from {overview!r}")

    async def check_connection(self) -> None:
        overview = self.ana.bot_messages[-1]
        name = next(iter(self.runtime.application.services.marketplaces.values())).display_name
        await self.ana.press(f"Check {name}", message_id=overview.message_id)
        await self.ana.wait_for(lambda _: "works — signed in as" in (overview.text or ""))

    async def decline(self) -> None:
        name, sandbox = next(iter(self.world.marketplaces.items()))
        display = self.runtime.application.services.marketplaces[name].display_name
        page, message = await connect(self.ben, display, sandbox.oauth, approve=False)
        if page.status_code != 400 or "You declined" not in (message.text or ""):
            raise DemoFailure(f"page {page.status_code}, chat {message.text!r}")

    async def post_until_price(self) -> None:
        """Photos, a title, then what eBay asks for the category it suggests: its leaf, one of
        the conditions eBay allows there, a note on the wear, and the required item specific
        the title does not already say (Brand; Type and Material come from the title)."""
        ana = self.ana
        await ana.send_command("post")
        await self.expect_reply(ana, "Send me its photos")
        await ana.send_album([demo_photo((200, 120, 40)), demo_photo((40, 120, 200))])
        await self.expect_reply(ana, "2 photos so far")
        # A photo sent as a file (full resolution): shown in the preview all the same.
        await ana.send_document(demo_photo((90, 160, 90)), file_name="IMG_4032.JPG",
                                mime_type="image/jpeg")
        await self.expect_reply(ana, "Added 1 photo — 3 of up to")
        await ana.press("Done ✅")
        await self.expect_reply(ana, "What's the title?")
        title = await ana.send_text("Brass desk lamp, 1907s 💡")  # a typo, edited later
        await self.expect_reply(ana, "Which eBay category fits",
                                "Home & Garden › Lamps, Lighting & Ceiling Fans › Lamps")
        await ana.press("1. Lamps")
        await self.expect_reply(ana, "What condition is it in? These are eBay's words for Lamps")
        await ana.press("Used")
        await self.expect_reply(ana, "Anything a buyer should know about its wear")
        await ana.send_text("A small dent in the shade; the switch is new.")
        await self.expect_reply(ana, "From the title I filled in Type: Desk Lamp, Material: Brass")
        await self.expect_reply(ana, "Brand? (eBay requires it for this category)")
        await ana.send_text("Stiffel")
        await self.expect_reply(ana, "eBay buyers also filter by")
        await ana.press("Skip")
        await self.expect_reply(ana, "What's the price")
        await ana.send_text("forty bucks")
        await self.expect_reply(ana, "I couldn't read that as a price")
        # She spots the typo in the title she sent and edits that message: the title changes.
        await ana.edit_text(title["message"]["message_id"], "Brass desk lamp, 1970s 💡")
        await self.expect_reply(ana, "✏️ Title updated to “Brass desk lamp, 1970s 💡”.")
        await self.expect_reply(ana, "I'm waiting for the price")

    async def post_item(self) -> None:
        ana = self.ana
        await ana.send_text("$40")
        await self.expect_reply(ana, "Add a description")
        await ana.send_text(DESCRIPTION)
        await self.expect_reply(ana, "Where is the item?")
        await ana.send_text("98402")
        await self.expect_reply(ana, "98402 it is")
        choice = await ana.next_message(timeout=REPLY_TIMEOUT)
        for kit in KITS:  # no listing API there: Deal Scout hands over a kit
            label = f"⬜ {ASSISTED_BY_NAME[kit].display_name} · kit"
            await ana.press(label, message_id=choice.message_id)
            await ana.wait_for(lambda _, label=label: [label.replace("⬜", "✅")] in choice.buttons)
        await ana.press("Continue »", message_id=choice.message_id)
        while "Tap a field to change it" not in ((message := await ana.next_message()).text
                                                  or ""):
            pass
        album = [m for m in ana.bot_messages if m.photo_sizes][-3:]
        if len(album) != 3 or len({m.media_group_id for m in album}) != 1:
            raise DemoFailure("the preview does not show the three photos, the file included")
        for shown in ("Brass desk lamp, 1970s 💡", "$40 · Used", "Brand: Stiffel",
                      "A small dent in the shade",
                      "Facebook Marketplace (kit), OfferUp (kit)"):
            if shown not in (message.text or ""):
                raise DemoFailure(f"the preview lacks {shown!r}: {message.text!r}")
        await ana.press("✅ Post", message_id=message.message_id)
        progress = message  # the preview card becomes the progress message
        await ana.wait_for(lambda _: "is live on" in (progress.text or ""), timeout=30)
        count = len(self.runtime.application.services.marketplaces)
        for said in (f"is live on {count} of {count}",
                     "Ready for you on Facebook Marketplace and OfferUp: post it there from "
                     "the kit, then send me the link."):
            if said not in (progress.text or ""):
                raise DemoFailure(f"posting ended with {progress.text!r}")
        if self.world.ebay.contract_violations:
            raise DemoFailure(f"eBay's documents refuse: {self.world.ebay.contract_violations}")

    async def kits(self) -> None:
        """Each kit as a seller uses it: open the marketplace, copy each field and the
        description, post there, paste the link back. Every tap is counted. She starts on the
        first kit while the next is still arriving, so replies and kits interleave in her chat:
        each message is found by what it says, not by where it lands."""
        ana = self.ana
        for name in KITS:
            kit = ASSISTED_BY_NAME[name]
            card = await self._bot_message(lambda m, k=kit: f"{k.display_name} kit for" in m)
            description = await self._bot_message(
                lambda m: m.startswith(DESCRIPTION), after=card.message_id)
            taps = 0
            ana.open_link(f"Open {kit.display_name} ↗", message_id=card.message_id)
            taps += 1
            for row in card.buttons:
                for label in row:
                    if label.startswith("📋"):
                        ana.copy(label, message_id=card.message_id)
                        taps += 1
            ana.copy_message(description)
            taps += 1
            paste = await ana.send_text(f"Here it is: {kit.listing_url_example}")  # the paste
            assert paste is not None
            tracked = f"Your {kit.display_name} listing of"
            await self._bot_message(lambda m, t=tracked: t in m and "is tracked" in m,
                                    after=paste["message"]["message_id"])
            ana.note(f"({kit.display_name}: {taps} taps and one paste from the kit to a "
                     "tracked copy)")
            if taps > 6:
                raise DemoFailure(f"{kit.display_name} took {taps} taps")
        ana.read_all()  # every kit and reply is in; the next steps read what comes after

    async def _bot_message(self, says: Callable[[str], bool], after: int = 0) -> ChatMessage:
        """The first bot message after message #`after` whose text or caption `says` holds."""
        def found() -> ChatMessage | None:
            return next((m for m in self.ana.bot_messages if m.message_id > after
                         and says(m.text or m.caption or "")), None)
        await self.ana.wait_for(lambda _: found() is not None, timeout=REPLY_TIMEOUT)
        message = found()
        assert message is not None
        return message

    async def _answer_reminders(self, words: str) -> None:
        """The reminder for each copy by hand, in the order they come: Done ✅ once it is done
        there (on the reminder itself, even when the next one is already in)."""
        waiting = {ASSISTED_BY_NAME[name].display_name for name in KITS}
        while waiting:
            message = await self.ana.next_message(timeout=REPLY_TIMEOUT)
            text = message.text or ""
            display = next((name for name in waiting if name in text), None)
            if words not in text or display is None:
                raise DemoFailure(f"expected a reminder for {sorted(waiting)}: {text[:200]!r}")
            if "Done ✅" not in str(message.buttons):
                raise DemoFailure(f"no Done on {text!r}")
            await self.ana.press("Done ✅", message_id=message.message_id)
            await self.ana.wait_for(lambda _, m=message: "✅ Done" in (m.text or ""))
            waiting.discard(display)

    async def listings(self) -> None:
        await self.ana.send_command("listings")
        page = await self.expect_reply(self.ana, "Your listings (page 1 of 1):", "$40")
        copies = len(self.runtime.application.services.marketplaces) + len(KITS)
        if page.count("✅") != copies or page.count("(posted by you)") != len(KITS):
            raise DemoFailure(f"expected every copy live or tracked: {page!r}")

    async def change_price(self) -> None:
        ana = self.ana
        page = ana.bot_messages[-1]
        await ana.press(page.buttons[0][0], message_id=page.message_id)
        await ana.wait_for(lambda _: "✏️ Change price" in str(page.buttons))
        await ana.press("✏️ Change price", message_id=page.message_id)
        # The question takes the card's place, and the card comes back with the new price.
        await ana.wait_for(lambda _: "New price for" in (page.text or ""))
        await ana.send_text("35")
        await ana.wait_for(lambda _: "✅ New price: $35" in (page.text or ""), timeout=30)
        await self._answer_reminders("New price for")

    async def sale_elsewhere(self) -> None:
        """A buyer checks out on eBay; eBay pushes the signed ORDER_CONFIRMATION to our web
        server, and the other copies end with no status check in between."""
        services = self.runtime.application.services
        (listing,) = await services.listings.for_seller(self.ana.user_id, offset=0, limit=1)
        rows = {r.marketplace: r for r in await services.listings.cross_posts(listing.id)}
        started = time.perf_counter()
        await self.world.ebay.checkout(rows["ebay"].external_id)
        await self.expect_reply(self.ana, "sold on eBay!", "so it can't sell twice")
        seconds = time.perf_counter() - started
        after = {r.marketplace: r.state for r in await services.listings.cross_posts(listing.id)}
        if after != {"ebay": "sold", "facebook": "withdrawn"}:
            raise DemoFailure(f"the copies are {after}")
        self.ana.note(f"(pushed by eBay: every other copy ended {seconds:.1f} s after checkout)")
        await self._answer_reminders("so it can't sell twice")
        by_hand = {c.marketplace: c.state for c in await services.assisted.copies(listing.id)}
        if by_hand != dict.fromkeys(KITS, "ended"):
            raise DemoFailure(f"the copies by hand are {by_hand}")

    async def health(self) -> None:
        assert self.runtime.web is not None
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.runtime.web.url}/healthz")
        body = response.json()
        if response.status_code != 200 or body.get("db") != "ok":
            raise DemoFailure(f"/healthz answered {response.status_code} {body!r}")


def demo_settings(world: SandboxWorld, data_dir: Path) -> Settings:
    """The sandbox's settings without an OfferUp partner (the usual case): OfferUp gets a kit,
    as Facebook Marketplace does; eBay and Facebook Shop (catalog) are posted by API."""
    settings = sandbox_settings(world, data_dir)
    apis = {name: config for name, config in settings.marketplaces.items() if name != "offerup"}
    return replace(settings, marketplaces=apis)


async def run_demo(*, quiet: bool = False) -> int:
    """The demo on SQLite in a temporary folder or, when DATABASE_URL is set in the environment,
    on that PostgreSQL database, in a schema of its own that is dropped at the end."""
    configure_logging("WARNING")
    database_url = os.environ.get("DATABASE_URL", "").strip() or None
    if database_url is None:
        return await _run_demo(quiet=quiet, database_url=None)
    try:
        url = PostgresUrl.parse(database_url)
    except ValueError as exc:
        print(f"DATABASE_URL is malformed: {exc}", file=sys.stderr)
        return 2
    schema = f"deal_scout_demo_{secrets.token_hex(4)}"
    try:
        async with throwaway_schema(url.url, schema) as scoped:
            print(f"Database: PostgreSQL at {url.redacted}, schema {schema} (dropped after).")
            return await _run_demo(quiet=quiet, database_url=scoped)
    except DatabaseUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1


async def _run_demo(*, quiet: bool, database_url: str | None) -> int:
    results: list[StepResult] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="deal-scout-demo-") as tmp:
        async with SandboxWorld() as world:
            telegram = world.telegram
            settings = replace(demo_settings(world, Path(tmp)), database_url=database_url)
            configure_logging("WARNING", [telegram.token, *settings.secrets()])
            async with BotRuntime(settings) as runtime:
                script = DemoScript(world, runtime)
                for name, step in script.steps():
                    try:
                        await step()
                    except (DemoFailure, TimeoutError) as exc:
                        results.append(StepResult(name, False, str(exc)))
                    except Exception as exc:  # a crash is a failed step, reported, not a traceback
                        results.append(StepResult(name, False, f"{type(exc).__name__}: {exc}"))
                    else:
                        results.append(StepResult(name, True))
            transcript = telegram.transcript()
    elapsed = time.perf_counter() - started
    if not quiet:
        print("── Chat transcript " + "─" * 50)
        print(transcript)
        print("── Steps " + "─" * 60)
    for result in results:
        if not quiet or not result.ok:
            mark = "✓" if result.ok else "✗"
            print(f"{mark} {result.name}" + (f" — {result.detail}" if result.detail else ""))
    passed = sum(result.ok for result in results)
    print(f"Demo: {passed}/{len(results)} steps got the reply they expected ({elapsed:.1f}s).")
    logging.shutdown()
    return 0 if passed == len(results) else 1
