"""What the in-process benchmarks share: handler exceptions, and waiting for the bot's reply."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from bot.context import BotContext, DealScoutApplication
from sandbox.autopilot import answer_marketplace_prompt
from sandbox.browser import connect
from sandbox.facebook import ROSA
from sandbox.telegram import ChatMessage, Seller
from sandbox.world import SandboxWorld

TITLE_NOTE = "From the title I filled in"


class HandlerErrors:
    """An error handler the run adds to the bot (BotRuntime's on_build), so a benchmark can
    count handler exceptions instead of letting the bot's own handler swallow them."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def install(self, application: DealScoutApplication) -> None:
        application.add_error_handler(self._collect)

    async def _collect(self, update: object, context: BotContext) -> None:
        if context.error is not None:
            self.errors.append(context.error)


class Journey(Protocol):
    """A scripted seller's run: their chat, and the bot messages nobody asked for."""

    seller: Seller
    extra: list[str]


def text_of(message: ChatMessage) -> str:
    return message.text or message.caption or ""


async def expect(
    journey: Journey, *fragments: str, patience: float,
    allowed: Callable[[ChatMessage], bool] = lambda _: False, answering: bool = False,
) -> ChatMessage:
    """The next bot message holding any of the fragments; messages passed over on the way are
    noted as extra unless `allowed` (the preview's photos, the ZIP confirmation). `answering`:
    what eBay asks for its category on the way is answered (sandbox/autopilot.py), and the
    note on item specifics taken from the title is expected."""
    deadline = time.monotonic() + patience
    while True:
        message = await journey.seller.next_message(
            timeout=max(0.0, deadline - time.monotonic())
        )
        if any(fragment in text_of(message) for fragment in fragments):
            return message
        if answering and (TITLE_NOTE in text_of(message)
                          or await answer_marketplace_prompt(journey.seller, message)):
            continue
        if not allowed(message):
            journey.extra.append(text_of(message)[:70] or "(a message without text)")


async def connect_every_marketplace(world: SandboxWorld, seller: Seller) -> None:
    """eBay, Facebook (as Rosa, who has one catalog) and OfferUp, through the consent pages."""
    for display, sandbox, account in (
        ("eBay", world.ebay, None), ("Facebook Shop (catalog)", world.facebook, ROSA),
        ("OfferUp", world.offerup, None),
    ):
        page, _ = await connect(seller, display, sandbox.oauth, account_id=account)
        assert page.status_code == 200, display
