"""What the in-process benchmarks share: collecting every exception a handler raised."""

from __future__ import annotations

from bot.context import BotContext, DealScoutApplication


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
