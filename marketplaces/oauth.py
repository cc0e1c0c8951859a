"""Connecting a marketplace account, following RFC 9700 for a confidential client.

1. `begin` makes a one-time state (256 random bits, stored only as a hash, bound to the Telegram
   user and the marketplace, valid 10 minutes) and a PKCE verifier where the marketplace takes
   one, and returns our own start link for the chat's Login URL button.
2. `open` runs when that link is opened: the bot has already checked Telegram's signature on who
   opened it; the state is bound to that browser (a random nonce kept in a cookie, its hash in the
   database) and the marketplace's consent URL is returned for the redirect.
3. `complete` takes what the marketplace sent to our callback, consumes the state atomically,
   checks the browser is the one that opened it, exchanges the code once, checks the grant
   carries every scope we asked for, identifies the account and stores the tokens encrypted.
Anything wrong is a `CallbackRefused` saying which `Refusal` it is; the bot words it for the
page and the chat.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from marketplaces.base import (
    Account,
    Marketplace,
    MarketplaceError,
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
    TimedOut,
    Tokens,
)
from marketplaces.oauth_client import ClientRefused
from storage.accounts import AccountRepository
from storage.oauth_states import OAuthStateRepository
from storage.timeutil import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
MAX_PARAMETER_LENGTH = 2048
MAX_PARAMETERS = 20
SETUP_TRIES = 3
SETUP_BACKOFF_SECONDS = 0.5
SETUP_MAX_WAIT_SECONDS = 3.0
SETUP_DEADLINE_SECONDS = 25.0  # the seller's browser is waiting on the callback page


class Refusal(StrEnum):
    """Why a connect link or callback connected nothing."""

    INVALID_LINK = "invalid_link"  # no such marketplace, or no usable state in the link
    NOT_YOURS = "not_yours"  # someone else's link, or one opened in another browser already
    EXPIRED = "expired"  # older than STATE_TTL
    OTHER_MARKETPLACE = "other_marketplace"  # made for another marketplace's callback
    UNKNOWN_MARKETPLACE = "unknown_marketplace"  # a callback for a marketplace we don't have
    MALFORMED = "malformed"  # too many or too long parameters
    INCOMPLETE = "incomplete"  # no state at all
    USED = "used"  # the state was consumed already (or never existed)
    OTHER_BROWSER = "other_browser"  # finished in a different browser from the one that began
    DECLINED = "declined"  # the seller said no on the consent page
    NOT_COMPLETED = "not_completed"  # the marketplace sent another error instead of a code
    NO_CODE = "no_code"  # neither a code nor an error
    NOT_ACCEPTED = "not_accepted"  # the marketplace refused the code exchange or the lookup
    CLIENT_REFUSED = "client_refused"  # it refused our own client credentials (operator's fix)
    TIMED_OUT = "timed_out"  # the code exchange or the account lookup got no answer in time
    NOT_ANSWERING = "not_answering"  # an unreadable answer, an outage or "slow down" instead
    SCOPE_MISSING = "scope_missing"  # granted less than we asked for (`missing_scopes`)
    SETUP_UNANSWERED = "setup_unanswered"  # the marketplace stayed down during account set-up
    SETUP_REFUSED = "setup_refused"  # set-up refused for good (`detail` is the marketplace's)


class CallbackRefused(Exception):
    """The callback cannot connect anything, for `reason`. `telegram_id` is set when we know
    whose link it was, so the chat can be told too; `detail` is the marketplace's own words
    (SETUP_REFUSED only), never anything from the request; `missing_scopes` the scopes we
    asked for and were not granted (SCOPE_MISSING only)."""

    def __init__(
        self,
        reason: Refusal,
        *,
        marketplace: str | None = None,
        telegram_id: int | None = None,
        detail: str | None = None,
        missing_scopes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.marketplace = marketplace
        self.telegram_id = telegram_id
        self.detail = detail
        self.missing_scopes = missing_scopes

    @property
    def status(self) -> int:
        """400 for a refused callback, 503 when the marketplace is the one not answering."""
        return 503 if self.reason in _MARKETPLACE_DOWN else 400


_MARKETPLACE_DOWN = frozenset({Refusal.SETUP_UNANSWERED, Refusal.TIMED_OUT, Refusal.NOT_ANSWERING})


@dataclass(frozen=True)
class Connected:
    telegram_id: int
    marketplace: str
    account: Account
    setup_problem: Rejected | None  # what the seller still has to set up on the marketplace


def _refusal_for(error: MarketplaceError) -> Refusal:
    """Why a code exchange or account lookup failed, as the seller is told it."""
    if isinstance(error, TimedOut):
        return Refusal.TIMED_OUT
    if isinstance(error, TemporarilyUnavailable | RateLimited):
        return Refusal.NOT_ANSWERING
    if isinstance(error, ClientRefused):
        return Refusal.CLIENT_REFUSED
    return Refusal.NOT_ACCEPTED


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class ConnectionBroker:
    def __init__(
        self,
        marketplaces: Mapping[str, Marketplace],
        states: OAuthStateRepository,
        accounts: AccountRepository,
        public_base_url: str,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._marketplaces = marketplaces
        self._clock = clock
        self._states = states
        self._accounts = accounts
        self._public_base_url = public_base_url.rstrip("/")

    async def begin(self, telegram_id: int, marketplace: str) -> str:
        """A fresh one-time link (ours) that starts connecting this marketplace."""
        adapter = self._marketplaces[marketplace]
        state = secrets.token_urlsafe(32)  # 256 bits
        verifier = secrets.token_urlsafe(64) if adapter.oauth.pkce else None
        await self._states.save(state, telegram_id, marketplace, verifier, STATE_TTL)
        return f"{self._public_base_url}/oauth/{marketplace}/start?ref={state}"

    async def open(self, marketplace: str, state: str, telegram_id: int) -> tuple[str, str]:
        """Bind the state to the browser of `telegram_id` (already proven by Telegram Login)
        and return (the marketplace's consent URL, the nonce to set as the browser cookie)."""
        adapter = self._marketplaces.get(marketplace)
        if adapter is None or not state or len(state) > MAX_PARAMETER_LENGTH:
            raise CallbackRefused(Refusal.INVALID_LINK)
        nonce = secrets.token_urlsafe(32)
        pending = await self._states.bind_browser(state, telegram_id, _digest(nonce))
        if pending is None:
            raise CallbackRefused(Refusal.NOT_YOURS)
        if pending.expired(self._clock.now()):
            raise CallbackRefused(Refusal.EXPIRED, telegram_id=telegram_id)
        if pending.marketplace != marketplace:
            raise CallbackRefused(Refusal.OTHER_MARKETPLACE, telegram_id=telegram_id)
        return adapter.authorization_url(state, pending.code_verifier), nonce

    async def complete(
        self, marketplace: str, params: Mapping[str, str], browser_nonce: str | None
    ) -> Connected:
        """Turn a callback into a stored connection, or refuse with a plain sentence."""
        adapter = self._marketplaces.get(marketplace)
        if adapter is None:
            raise CallbackRefused(Refusal.UNKNOWN_MARKETPLACE)
        if len(params) > MAX_PARAMETERS or any(
            len(key) > 64 or len(value) > MAX_PARAMETER_LENGTH for key, value in params.items()
        ):
            raise CallbackRefused(Refusal.MALFORMED)
        state = params.get("state")
        if not state:
            raise CallbackRefused(Refusal.INCOMPLETE)
        consumed = await self._states.consume(state)
        if consumed is None:
            raise CallbackRefused(Refusal.USED)
        owner = consumed.telegram_id
        if consumed.expired(self._clock.now()):
            raise CallbackRefused(Refusal.EXPIRED, telegram_id=owner)
        if consumed.browser_hash is None or not hmac.compare_digest(
            consumed.browser_hash, _digest(browser_nonce or "")
        ):
            raise CallbackRefused(Refusal.OTHER_BROWSER, telegram_id=owner)
        if consumed.marketplace != marketplace:
            raise CallbackRefused(Refusal.OTHER_MARKETPLACE, telegram_id=owner)
        if "error" in params:
            reason = (
                Refusal.DECLINED if params["error"] == "access_denied" else Refusal.NOT_COMPLETED
            )
            raise CallbackRefused(reason, marketplace=marketplace, telegram_id=owner)
        code = params.get("code")
        if not code:
            raise CallbackRefused(Refusal.NO_CODE, marketplace=marketplace, telegram_id=owner)
        try:
            tokens = await adapter.exchange_code(code, consumed.code_verifier)
            await self._check_scope(adapter, tokens, owner)
            account = await adapter.whoami(tokens)
        except MarketplaceError as exc:
            log.warning("connecting %s for user %s failed: %s", marketplace, owner, exc)
            raise CallbackRefused(
                _refusal_for(exc), marketplace=marketplace, telegram_id=owner
            ) from None
        try:
            async with asyncio.timeout(SETUP_DEADLINE_SECONDS):
                tokens, setup_problem = await self._set_up(adapter, tokens, owner)
        except TimeoutError:
            log.warning("setting up %s for user %s took too long", marketplace, owner)
            raise self._set_up_failed(adapter, owner) from None
        await self.store(owner, marketplace, account, tokens)
        return Connected(owner, marketplace, account, setup_problem)

    @staticmethod
    async def _check_scope(adapter: Marketplace, tokens: Tokens, owner: int) -> None:
        """Refuse a grant narrower than what we asked for: every publish would be refused
        later, far from the consent page where the seller can fix it. A token response without
        `scope` means the scope asked for (RFC 6749 §5.1). The grant is given back."""
        if tokens.scope is None:
            return
        granted = set(tokens.scope.replace(",", " ").split())
        missing = tuple(scope for scope in adapter.oauth.scopes if scope not in granted)
        if not missing:
            return
        log.warning("connecting %s for user %s: the grant lacks %s", adapter.name, owner,
                    " ".join(missing))
        try:
            await adapter.revoke(tokens)
        except MarketplaceError as exc:
            log.warning("giving back %s's narrowed grant for user %s failed: %s",
                        adapter.name, owner, exc)
        raise CallbackRefused(Refusal.SCOPE_MISSING, marketplace=adapter.name,
                              telegram_id=owner, missing_scopes=missing)

    async def _set_up(
        self, adapter: Marketplace, tokens: Tokens, owner: int
    ) -> tuple[Tokens, Rejected | None]:
        """Run the marketplace's account set-up (policies, location, catalog), riding out a
        brief outage. An account stored without it would have every publish refused, so when
        the marketplace stays down nothing is stored and the seller is asked to try again."""
        for attempt in range(SETUP_TRIES):
            try:
                return await adapter.prepare_account(tokens), None
            except Rejected as problem:  # something the seller has to do on the marketplace
                return tokens, problem
            except (TemporarilyUnavailable, RateLimited) as exc:
                log.warning("setting up %s for user %s failed (try %d): %s",
                            adapter.name, owner, attempt + 1, exc)
                if attempt + 1 < SETUP_TRIES:
                    wait = getattr(exc, "retry_after", 0.0) or SETUP_BACKOFF_SECONDS * 2**attempt
                    await asyncio.sleep(min(wait, SETUP_MAX_WAIT_SECONDS))
            except MarketplaceError as exc:  # permissions missing, token refused at once
                log.warning("setting up %s for user %s failed: %s", adapter.name, owner, exc)
                raise CallbackRefused(Refusal.SETUP_REFUSED, marketplace=adapter.name,
                                      telegram_id=owner, detail=exc.message) from None
        raise self._set_up_failed(adapter, owner)

    @staticmethod
    def _set_up_failed(adapter: Marketplace, owner: int) -> CallbackRefused:
        return CallbackRefused(
            Refusal.SETUP_UNANSWERED, marketplace=adapter.name, telegram_id=owner
        )

    async def store(
        self, telegram_id: int, marketplace: str, account: Account, tokens: Tokens
    ) -> None:
        await self._accounts.save_connection(
            telegram_id=telegram_id,
            marketplace=marketplace,
            external_id=account.external_id,
            display_name=account.display_name,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            refresh_expires_at=tokens.refresh_expires_at,
            scope=tokens.scope,
            extra=tokens.extra,
        )
