"""The Application subclass that carries our services, and the context handlers receive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from storage.db import Database
from storage.sellers import SellerRepository
from storage.updates import UpdateLedger


@dataclass
class Services:
    """What handlers need beyond Telegram; built once per process."""

    settings: Settings
    db: Database
    sellers: SellerRepository
    updates: UpdateLedger


class DealScoutApplication(Application):
    """PTB's Application with our `services` attached (kept out of the persisted bot_data)."""

    services: Services


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    @property
    def services(self) -> Services:
        return self.application.services  # type: ignore[attr-defined]
