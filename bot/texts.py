"""What the seller reads. Parse mode is HTML: anything from the seller goes through `escape`."""

from __future__ import annotations

from html import escape

from bot.commands import COMMANDS


def command_list() -> str:
    return "\n".join(f"/{command} — {escape(description)}" for command, description in COMMANDS)


def welcome(first_name: str) -> str:
    return (
        f"👋 Hi {escape(first_name)}! I'm <b>Deal Scout</b>.\n\n"
        "Send me photos of something you're selling and a few details, and I'll list it on "
        "eBay, Facebook and OfferUp at once, then keep the copies in step: when it sells on one, "
        "I end the others so you never sell it twice.\n\n"
        "Here's what I can do right now:\n"
        f"{command_list()}"
    )


def help_text() -> str:
    return (
        "<b>Deal Scout</b> lists your item on several marketplaces from one chat.\n\n"
        f"{command_list()}\n\n"
        "Use /cancel at any step to stop; nothing you've entered is lost until you say so."
    )


NOTHING_TO_CANCEL = "There's nothing to cancel — we weren't in the middle of anything."


def unknown_command(command: str) -> str:
    return (
        f"I don't know the command {escape(command)}. These are the ones I understand:\n"
        f"{command_list()}"
    )


def not_understood() -> str:
    return (
        "I'm not sure what to do with that. These are the things I can do:\n"
        f"{command_list()}"
    )


SOMETHING_WENT_WRONG = (
    "Sorry — something went wrong on my side and I couldn't finish that. "
    "Please try again in a moment."
)
