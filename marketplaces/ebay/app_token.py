"""eBay's application token: what the Taxonomy, Metadata, Browse and Notification APIs take
when no seller is involved (client credentials), kept until shortly before it expires."""

from __future__ import annotations

import asyncio
import time
from typing import Final

from marketplaces import oauth_client
from marketplaces.base import OAuthSettings
from marketplaces.ebay.config import NAME, SCOPE_APPLICATION

MARGIN_SECONDS: Final = 120


class ApplicationToken:
    def __init__(self, oauth: OAuthSettings) -> None:
        self._oauth = oauth
        self._token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:
            if self._token and self._token[1] > time.monotonic():
                return self._token[0]
            payload = await oauth_client.client_credentials(NAME, self._oauth, (SCOPE_APPLICATION,))
            lifetime = float(payload.get("expires_in") or 0) - MARGIN_SECONDS
            token = str(payload["access_token"])
            self._token = (token, time.monotonic() + max(0.0, lifetime))
            return token

    def forget(self) -> None:
        """eBay dropped the token early (a 401): the next `get` asks for a new one."""
        self._token = None
