"""Checking who opened a Login URL link: Telegram signs the user's fields with the bot token.

The signature is HMAC-SHA256 over the sorted "key=value" lines of every field except `hash`,
keyed with SHA-256 of the bot token (the Telegram Login Widget scheme, which login_url buttons
use). A fresh signature proves the Telegram user, so a link forwarded to someone else is useless;
the signed address itself, copied or leaked, would prove the seller for whoever opens it, so it
is only believed for a few minutes after the tap that signed it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from enum import StrEnum

LOGIN_FIELDS = frozenset(
    {"id", "first_name", "last_name", "username", "photo_url", "auth_date", "hash"}
)
# A tap signs afresh and the browser opens at once: five minutes covers a slow phone and a
# clock a little off, and not someone else opening the same address later.
MAX_AGE_SECONDS = 300
MAX_CLOCK_AHEAD_SECONDS = 60


class LoginProblem(StrEnum):
    UNSIGNED = "unsigned"  # no signature, or not one made with our bot token
    STALE = "stale"  # Telegram's signature, but from longer ago than MAX_AGE_SECONDS


class LoginRefused(Exception):
    """The parameters prove nobody, for `problem`."""

    def __init__(self, problem: LoginProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def signed_user_id(
    params: Mapping[str, str], bot_token: str, *, now: float | None = None
) -> int:
    """The Telegram user id the parameters prove; LoginRefused if unsigned, forged or stale."""
    fields = {key: value for key, value in params.items() if key in LOGIN_FIELDS}
    offered = fields.pop("hash", "")
    if not offered or "id" not in fields or "auth_date" not in fields:
        raise LoginRefused(LoginProblem.UNSIGNED)
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, offered):
        raise LoginRefused(LoginProblem.UNSIGNED)
    try:
        age = (now if now is not None else time.time()) - int(fields["auth_date"])
        user_id = int(fields["id"])
    except ValueError:
        raise LoginRefused(LoginProblem.UNSIGNED) from None
    if not -MAX_CLOCK_AHEAD_SECONDS <= age <= MAX_AGE_SECONDS:
        raise LoginRefused(LoginProblem.STALE)
    return user_id
