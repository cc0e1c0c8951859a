"""Checking who opened a Login URL link: Telegram signs the user's fields with the bot token.

The signature is HMAC-SHA256 over the sorted "key=value" lines of every field except `hash`,
keyed with SHA-256 of the bot token (the Telegram Login Widget scheme, which login_url buttons
use). A fresh signature proves the Telegram user, so a link forwarded to someone else is useless.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

LOGIN_FIELDS = frozenset(
    {"id", "first_name", "last_name", "username", "photo_url", "auth_date", "hash"}
)
MAX_AGE_SECONDS = 600


def signed_user_id(
    params: Mapping[str, str], bot_token: str, *, now: float | None = None
) -> int | None:
    """The Telegram user id the parameters prove, or None if unsigned, forged or stale."""
    fields = {key: value for key, value in params.items() if key in LOGIN_FIELDS}
    offered = fields.pop("hash", "")
    if not offered or "id" not in fields or "auth_date" not in fields:
        return None
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, offered):
        return None
    try:
        age = (now if now is not None else time.time()) - int(fields["auth_date"])
        user_id = int(fields["id"])
    except ValueError:
        return None
    if not -60 <= age <= MAX_AGE_SECONDS:
        return None
    return user_id
