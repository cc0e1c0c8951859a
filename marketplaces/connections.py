"""Using a seller's connection: fresh tokens, one refresh on expiry, verify and disconnect.

Refreshes for one account are serialised: with refresh-token rotation, two refreshes racing with
the same refresh token would make the marketplace treat the second as token theft and revoke the
grant. The second caller waits and then uses what the first one stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from marketplaces.base import (
    Account,
    Marketplace,
    MarketplaceError,
    NeedsReconnect,
    TemporarilyUnavailable,
    TokenExpired,
    Tokens,
)
from storage.accounts import NEEDS_RECONNECT, AccountRepository, StoredAccount

log = logging.getLogger(__name__)
T = TypeVar("T")


def tokens_of(account: StoredAccount) -> Tokens:
    return Tokens(
        access_token=account.access_token,
        refresh_token=account.refresh_token,
        expires_at=account.expires_at,
        refresh_expires_at=account.refresh_expires_at,
        scope=account.scope,
        extra=account.extra,
    )


class ConnectionLost(NeedsReconnect):
    """The marketplace refused a refresh; `first_time` is True only for the call that flagged
    the account, so the seller is told once."""

    def __init__(self, marketplace: str, message: str, first_time: bool) -> None:
        super().__init__(marketplace, message)
        self.first_time = first_time


@dataclass(frozen=True)
class RefreshOutcome:
    telegram_id: int
    marketplace: str
    refreshed: bool
    newly_needs_reconnect: bool  # True once, when the seller must now be told
    ours: bool = False  # the loss is on our side (stored tokens we cannot read), not theirs


class ConnectionService:
    def __init__(
        self, marketplaces: Mapping[str, Marketplace], accounts: AccountRepository
    ) -> None:
        self.marketplaces = marketplaces
        self.accounts = accounts
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}

    async def _stored(self, telegram_id: int, marketplace: str) -> StoredAccount:
        stored = await self.accounts.get(telegram_id, marketplace)
        name = self.marketplaces[marketplace].display_name
        if stored is None:
            raise NeedsReconnect(marketplace, f"{name} is not connected")
        if stored.status == NEEDS_RECONNECT:
            raise NeedsReconnect(marketplace, f"{name} needs to be connected again")
        return stored

    async def tokens(self, telegram_id: int, marketplace: str) -> Tokens:
        return tokens_of(await self._stored(telegram_id, marketplace))

    async def refresh(
        self, telegram_id: int, marketplace: str, *, stale: Tokens | None = None
    ) -> Tokens:
        """Refresh once and store the result atomically. If another caller refreshed while we
        waited (the stored access token is no longer `stale`), use theirs instead."""
        lock = self._locks.setdefault((telegram_id, marketplace), asyncio.Lock())
        async with lock:
            current = tokens_of(await self._stored(telegram_id, marketplace))
            if stale is not None and current.access_token != stale.access_token:
                return current
            adapter = self.marketplaces[marketplace]
            try:
                fresh = await adapter.refresh(current)
            except NeedsReconnect as exc:
                log.warning("%s refused to refresh user %s's connection: %s",
                            marketplace, telegram_id, exc)
                first = await self.accounts.mark_needs_reconnect(telegram_id, marketplace)
                raise ConnectionLost(marketplace, exc.message, first) from None
            await self.store_tokens(telegram_id, marketplace, fresh)
            return fresh

    async def store_tokens(self, telegram_id: int, marketplace: str, tokens: Tokens) -> None:
        """Replace the connection's tokens and extra settings in one statement."""
        await self.accounts.update_tokens(
            telegram_id,
            marketplace,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            refresh_expires_at=tokens.refresh_expires_at,
            extra=tokens.extra,
        )

    async def call(
        self,
        telegram_id: int,
        marketplace: str,
        action: Callable[[Marketplace, Tokens], Awaitable[T]],
    ) -> T:
        """Run `action` with the seller's tokens; on TokenExpired refresh once and retry.

        A freshly refreshed token that is refused too is a hiccup (the marketplace has not
        caught up with its own answer), tried again later: the grant itself is fine, since the
        refresh went through. Only a refused refresh means the seller must connect again."""
        adapter = self.marketplaces[marketplace]
        tokens = await self.tokens(telegram_id, marketplace)
        try:
            return await action(adapter, tokens)
        except TokenExpired:
            tokens = await self.refresh(telegram_id, marketplace, stale=tokens)
            try:
                return await action(adapter, tokens)
            except TokenExpired:
                log.warning("%s refused user %s's freshly refreshed token", marketplace,
                            telegram_id)
                raise TemporarilyUnavailable(
                    marketplace, f"{adapter.display_name} refused a freshly refreshed token"
                ) from None

    async def verify(self, telegram_id: int, marketplace: str) -> Account:
        """whoami through the connection: proves it still works (refreshing if needed)."""
        return await self.call(telegram_id, marketplace, lambda m, t: m.whoami(t))

    async def disconnect(self, telegram_id: int, marketplace: str) -> bool:
        """Revoke at the marketplace where it allows (best effort), then forget the tokens.
        Listing history stays. Returns False when there was nothing to disconnect."""
        stored = await self.accounts.get(telegram_id, marketplace)
        if stored is None:
            return False
        try:
            await self.marketplaces[marketplace].revoke(tokens_of(stored))
        except MarketplaceError as exc:
            log.warning("revoking %s for user %s failed: %s", marketplace, telegram_id, exc)
        return await self.accounts.delete(telegram_id, marketplace)

    async def refresh_expiring(self, before: datetime) -> list[RefreshOutcome]:
        """Refresh every connected account with a refresh token whose access token lapses
        before `before`, or whose lapse was never known (the scheduled job); refusals mark the
        account once. One seller's failure, whatever it is, never stops the others'."""
        refreshable = [
            name for name, adapter in self.marketplaces.items() if adapter.oauth.refreshable
        ]
        outcomes = []
        for stored in await self.accounts.expiring_before(before, refreshable, undated=True):
            if stored.status == NEEDS_RECONNECT:  # its tokens cannot be read: nothing to renew
                first = await self.accounts.mark_needs_reconnect(stored.telegram_id,
                                                                 stored.marketplace)
                outcomes.append(RefreshOutcome(stored.telegram_id, stored.marketplace, False,
                                               first, ours=True))
                continue
            if not stored.refresh_token:
                continue
            outcomes.append(await self._refresh_one(stored.telegram_id, stored.marketplace))
        return outcomes

    async def _refresh_one(self, telegram_id: int, marketplace: str) -> RefreshOutcome:
        try:
            await self.refresh(telegram_id, marketplace)
        except ConnectionLost as exc:
            return RefreshOutcome(telegram_id, marketplace, False, exc.first_time)
        except MarketplaceError as exc:
            log.warning("refreshing %s for user %s failed for now: %s",
                        marketplace, telegram_id, exc)
        except Exception:  # a fault of ours for this seller must not cost the next seller
            log.exception("refreshing %s for user %s failed unexpectedly", marketplace,
                          telegram_id)
        else:
            return RefreshOutcome(telegram_id, marketplace, True, False)
        return RefreshOutcome(telegram_id, marketplace, False, False)
