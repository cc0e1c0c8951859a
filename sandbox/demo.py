"""`python -m bot demo`: the real bot against the local sandbox, driven by a scripted seller.

Everything is real except the outside world: the Application with its handlers, a SQLite file,
HTTP on loopback. The script walks through every flow the bot has, prints the chat as a
transcript, and exits 0 only when every step got the reply it expects. When a capability lands,
its steps land here too.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.commands import COMMANDS
from bot.logs import configure_logging
from bot.runtime import BotRuntime
from sandbox.browser import connect
from sandbox.harness import demo_photo, sandbox_settings
from sandbox.telegram import Seller, TelegramEmulator
from sandbox.world import SandboxWorld

REPLY_TIMEOUT = 10.0


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
            ("a photo outside any flow is answered", self.stray_photo),
            ("an unknown command is named back", self.unknown_command),
            ("/cancel with nothing to cancel", self.cancel),
            ("a second seller is served too", self.second_seller),
            ("health check reports a live database", self.health),
            *[
                (f"connect {name} through its consent page", self.connector(name))
                for name in self.world.marketplaces
            ],
            ("/accounts lists every connection", self.accounts),
            ("checking a connection asks the marketplace", self.check_connection),
            ("declining consent is reported plainly", self.decline),
            ("a bad price is refused with an example", self.post_until_price),
            ("/post lists an item on every marketplace", self.post_item),
            ("/listings shows it with its links", self.listings),
            ("changing the price updates every copy", self.change_price),
            ("an eBay sale, pushed, ends the others in seconds", self.sale_elsewhere),
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
        await self.expect_reply(self.ana, "not sure what to do with that")

    async def unknown_command(self) -> None:
        await self.ana.send_command("frobnicate")
        await self.expect_reply(self.ana, "I don't know the command /frobnicate")

    async def cancel(self) -> None:
        await self.ana.send_command("cancel")
        await self.expect_reply(self.ana, "nothing to cancel")

    async def second_seller(self) -> None:
        await self.ben.send_command("start")
        await self.expect_reply(self.ben, "Hi Ben")

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
        await ana.press("Done ✅")
        await self.expect_reply(ana, "What's the title?")
        await ana.send_text("Brass desk lamp, 1970s 💡")
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

    async def post_item(self) -> None:
        ana = self.ana
        await ana.send_text("$40")
        await self.expect_reply(ana, "Add a description")
        await ana.send_text("Solid brass, rewired. 45 cm tall.")
        await self.expect_reply(ana, "Where is the item?")
        await ana.send_text("98402")
        await self.expect_reply(ana, "98402 it is")
        await self.expect_reply(ana, "Where should I post it?")
        await ana.press("Continue »")
        while "Tap a field to change it" not in ((message := await ana.next_message()).text
                                                  or ""):
            pass
        for shown in ("$40 · Used", "Brand: Stiffel", "A small dent in the shade"):
            if shown not in (message.text or ""):
                raise DemoFailure(f"the preview lacks {shown!r}: {message.text!r}")
        await ana.press("✅ Post", message_id=message.message_id)
        progress = message  # the preview card becomes the progress message
        await ana.wait_for(lambda _: "is live on" in (progress.text or ""), timeout=30)
        count = len(self.world.marketplaces)
        if f"is live on {count} of {count}" not in (progress.text or ""):
            raise DemoFailure(f"posting ended with {progress.text!r}")
        if self.world.ebay.contract_violations:
            raise DemoFailure(f"eBay's documents refuse: {self.world.ebay.contract_violations}")

    async def listings(self) -> None:
        await self.ana.send_command("listings")
        page = await self.expect_reply(self.ana, "Your listings (page 1 of 1):", "$40")
        if page.count("✅") != len(self.world.marketplaces):
            raise DemoFailure(f"expected every copy live: {page!r}")

    async def change_price(self) -> None:
        ana = self.ana
        page = ana.bot_messages[-1]
        await ana.press(page.buttons[0][0], message_id=page.message_id)
        await ana.wait_for(lambda _: "✏️ Change price" in str(page.buttons))
        await ana.press("✏️ Change price", message_id=page.message_id)
        await self.expect_reply(ana, "New price for")
        await ana.send_text("35")
        done = await ana.next_message()
        await ana.wait_for(lambda _: (done.text or "").startswith("✅ Done"), timeout=30)

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
        if after != {"ebay": "sold", "facebook": "withdrawn", "offerup": "withdrawn"}:
            raise DemoFailure(f"the copies are {after}")
        self.ana.note(f"(pushed by eBay: every other copy ended {seconds:.1f} s after checkout)")

    async def health(self) -> None:
        assert self.runtime.web is not None
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.runtime.web.url}/healthz")
        body = response.json()
        if response.status_code != 200 or body.get("db") != "ok":
            raise DemoFailure(f"/healthz answered {response.status_code} {body!r}")


async def run_demo(*, quiet: bool = False) -> int:
    configure_logging("WARNING")
    results: list[StepResult] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="deal-scout-demo-") as tmp:
        async with SandboxWorld() as world:
            telegram = world.telegram
            configure_logging("WARNING", [telegram.token])
            async with BotRuntime(sandbox_settings(world, Path(tmp))) as runtime:
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
