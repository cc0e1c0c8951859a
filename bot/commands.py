"""The commands the bot offers (one list feeds Telegram's menu and the /help text) and its deep
links."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import filters
from telegram.helpers import create_deep_linked_url

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What Deal Scout does and how to begin"),
    ("post", "List an item on your marketplaces"),
    ("listings", "Your listings: mark sold, change price, withdraw"),
    ("connect", "Connect a marketplace account"),
    ("accounts", "Your connected accounts"),
    ("help", "Everything I can do for you"),
    ("cancel", "Stop what we are doing"),
)


def bot_commands() -> list[BotCommand]:
    return [BotCommand(command, description) for command, description in COMMANDS]


def deep_link(payload: str) -> filters.MessageFilter:
    """`/start <payload>`: what t.me/<bot>?start=<payload> sends when the seller opens it."""
    return filters.Regex(rf"(?i)^/start(?:@\w+)?\s+{payload}(?:\s|$)")


def deep_link_url(bot_username: str, payload: str) -> str:
    """t.me/<bot>?start=<payload>: opens the private chat with the bot, which then receives
    `/start <payload>` (see `deep_link`)."""
    return create_deep_linked_url(bot_username, payload)
