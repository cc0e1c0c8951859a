"""What people read in a group, supergroup or channel: the pointer to the private chat, and the
answer to a press on someone else's button."""

from __future__ import annotations

CONTINUE_IN_PRIVATE = "Continue in private chat"

# Why each command moves to the private chat, in one short sentence (sent as HTML: no markup).
_WHY = {
    "post": "📦 Let's list your item in a private chat, so your draft stays between us.",
    "connect": "🔗 Marketplace accounts are connected in a private chat, so your sign-in links "
               "stay between us.",
    "listings": "📋 Your listings are shown in a private chat only.",
    "accounts": "🔗 Your marketplace accounts are shown in a private chat only.",
}
_WELCOME = "👋 I work in private chats: tap below and I'll show you what I can do."


def continue_in_private(command: str) -> str:
    """The one message a group gets for /post, /connect, /listings, /accounts, /start or /help."""
    return _WHY.get(command, _WELCOME)


def button_is_for(first_name: str) -> str:
    """The alert for a press on someone else's button (plain text; Telegram shows at most 200
    characters, and a first name has at most 64)."""
    return f"This button is for {first_name}. Open a private chat with me for your own."
