"""The OAuth 2 client side through authlib: consent links, token endpoint calls (code exchange,
refresh, client credentials) and RFC 7009 revocation.

A fresh `AsyncOAuth2Client` per call: authlib keeps the token on the client object, and one
shared client would mix sellers' tokens. Token calls are rare, so the pool is not missed.
Consent links need no HTTP at all, so they are built by authlib's session-less `OAuth2Client`,
which also derives the PKCE S256 challenge from the verifier.

A provider can misbehave in ways authlib does not catch (an HTML page with 200, a 400 whose JSON
has no `error`, a token response without `access_token`): every answer is checked before
authlib reads it (`token_answer_problem`), and one that is not a 2xx JSON object with a string
`access_token`, nor an RFC 6749 §5.2 error, is `Unreadable`, like any other broken answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
from authlib.deprecate import AuthlibDeprecationWarning

from marketplaces.base import (
    MarketplaceError,
    NeedsReconnect,
    OAuthSettings,
    TimedOut,
    Tokens,
    Unreadable,
)
from marketplaces.http import status_error, tls_context, transport_error

# authlib 1.9 prefers the "httpx2" fork and warns when it runs on httpx, the client this project
# chose (DESIGN.md). The warning is about authlib's plans, not our use; authlib forces its own
# warnings to "always", so this filter must come after importing authlib.deprecate.
warnings.filterwarnings(
    "ignore", message="The httpx module is deprecated", category=AuthlibDeprecationWarning
)
from authlib.integrations.base_client import OAuthError  # noqa: E402
from authlib.integrations.httpx_client import AsyncOAuth2Client  # noqa: E402
from authlib.oauth2.client import OAuth2Client  # noqa: E402

log = logging.getLogger(__name__)

# Errors after which no retry helps: the grant is gone and the seller must approve again.
_RECONNECT_ERRORS = frozenset({"invalid_grant", "unauthorized_client", "access_denied"})
# The marketplace does not know us by our client id and secret: the operator must fix them.
_CLIENT_ERRORS = frozenset({"invalid_client"})

# An access token whose answer names no lifetime (`expires_in` is only RECOMMENDED by RFC 6749
# §5.1) is taken to live this long when it can be refreshed, so the refresh job renews it on a
# schedule instead of waiting for a refused call. One hour is OfferUp's documented lifetime and
# the commonest; renewing early costs one token call, renewing late a failed publish.
DEFAULT_ACCESS_LIFETIME: Final = timedelta(hours=1)

# Waits before sending a timed-out refresh again with the same refresh token. Each retry must
# reach the marketplace within its reuse interval (OAuthSettings.refresh_reuse_seconds) of the
# rotation the lost answer may have carried, with REUSE_MARGIN_SECONDS to spare.
REFRESH_RETRY_WAITS: Final = (2.0, 5.0, 10.0)
REUSE_MARGIN_SECONDS: Final = 5.0


class ClientRefused(MarketplaceError):
    """The token endpoint refused our own client credentials (`invalid_client`): nothing the
    seller does helps until the operator fixes the client id or secret."""


def token_answer_problem(response: httpx.Response) -> str | None:
    """What makes a token endpoint's answer unusable, in words safe to log (nothing from the
    body), or None for a token response or an RFC 6749 §5.2 error, which authlib reads."""
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if not isinstance(body, dict):
        return f"HTTP {status} with a body that is not a JSON object"
    if not 200 <= status < 300:
        error = body.get("error")
        return None if isinstance(error, str) and error else f"HTTP {status} without an error code"
    if "error" in body:
        return None  # a §5.2 error sent with 200: authlib raises it as the refusal it is
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        return f"HTTP {status} without a string access_token"
    for lifetime in ("expires_in", "refresh_token_expires_in"):
        if lifetime in body and _seconds(body[lifetime]) is None:
            return f"HTTP {status} with an {lifetime} that is not a number of seconds"
    for text in ("refresh_token", "scope"):
        if text in body and not isinstance(body[text], str):
            return f"HTTP {status} with a {text} that is not a string"
    return None


def _safe_code(error: object) -> str:
    """An error code from the marketplace, cut to what a code can be, so a log line never
    carries whatever else a provider put there."""
    return "".join(c for c in str(error) if c.isalnum() or c in "_-.")[:60]


def _seconds(value: Any) -> int | None:
    """A lifetime in whole seconds from a token response (a number, or digits as text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value >= 0:
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _client_settings(settings: OAuthSettings) -> dict[str, Any]:
    """Who we are to the marketplace, as authlib's clients take it."""
    return {
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
        "token_endpoint_auth_method": settings.token_auth,
        "revocation_endpoint_auth_method": settings.token_auth,
        "scope": settings.scope_separator.join(settings.scopes) or None,
        "redirect_uri": settings.redirect_uri,
        "code_challenge_method": "S256" if settings.pkce else None,
    }


def _client(marketplace: str, settings: OAuthSettings) -> AsyncOAuth2Client:
    async def refuse_overload(response: httpx.Response) -> None:
        # Before authlib reads the body: a 429 or 5xx is about load, not about the grant.
        mapped = status_error(marketplace, response)
        if mapped is not None:
            raise mapped

    client = AsyncOAuth2Client(
        **_client_settings(settings),
        timeout=httpx.Timeout(settings.timeout_seconds, connect=min(5.0, settings.timeout_seconds)),
        verify=tls_context(),
        event_hooks={"response": [refuse_overload]},
    )
    check = _answer_check(marketplace)
    client.register_compliance_hook("access_token_response", check)
    client.register_compliance_hook("refresh_token_response", check)
    return client


def _answer_check(marketplace: str) -> Callable[[httpx.Response], httpx.Response]:
    """authlib's compliance hook: a token answer authlib would choke on is Unreadable."""

    def check(response: httpx.Response) -> httpx.Response:
        problem = token_answer_problem(response)
        if problem is not None:
            raise Unreadable(
                marketplace, f"{marketplace} token endpoint answered unreadably ({problem})"
            )
        return response

    return check


def authorization_url(
    marketplace: str, settings: OAuthSettings, state: str, code_verifier: str | None = None
) -> str:
    """The consent page link: client, redirect, scopes (joined as the marketplace wants them),
    state and, where the marketplace takes PKCE, the S256 challenge of `code_verifier`."""
    if settings.pkce and not code_verifier:
        raise ValueError(f"{marketplace} requires PKCE: pass the code verifier")
    client = OAuth2Client(None, **_client_settings(settings))
    url, _ = client.create_authorization_url(
        settings.authorize_url, state=state, code_verifier=code_verifier if settings.pkce else None
    )
    return str(url)


async def _token_call(marketplace: str, settings: OAuthSettings, **kwargs: Any) -> dict[str, Any]:
    async with _client(marketplace, settings) as client:
        try:
            if kwargs.pop("refresh", False):
                return dict(await client.refresh_token(settings.token_url, **kwargs))
            return dict(await client.fetch_token(settings.token_url, **kwargs))
        except OAuthError as exc:
            code = _safe_code(exc.error)
            if code in _RECONNECT_ERRORS:
                raise NeedsReconnect(
                    marketplace, f"{marketplace} refused the grant ({code})"
                ) from None
            if code in _CLIENT_ERRORS:
                raise ClientRefused(
                    marketplace, f"{marketplace} refused our client credentials ({code})"
                ) from None
            raise MarketplaceError(
                marketplace, f"{marketplace} token endpoint refused the request ({code})"
            ) from None
        except httpx.HTTPStatusError as exc:
            mapped = status_error(marketplace, exc.response)
            raise mapped or MarketplaceError(
                marketplace, f"{marketplace} token endpoint answered {exc.response.status_code}"
            ) from None
        except httpx.TransportError as exc:
            raise transport_error(marketplace, exc) from None


async def exchange_code(
    marketplace: str, settings: OAuthSettings, code: str, code_verifier: str | None = None
) -> dict[str, Any]:
    """The authorization code grant's second leg: code (+ PKCE verifier) → token response."""
    extra = {"code_verifier": code_verifier} if code_verifier else {}
    return await _token_call(
        marketplace,
        settings,
        grant_type="authorization_code",
        code=code,
        redirect_uri=settings.redirect_uri,
        **extra,
    )


def live_refresh_token(marketplace: str, tokens: Tokens, now: datetime | None = None) -> str:
    """The refresh token to present; NeedsReconnect when there is none or it has expired, as no
    token call could succeed then."""
    if not tokens.refresh_token:
        raise NeedsReconnect(marketplace, f"{marketplace} connection has no refresh token")
    if tokens.refresh_expires_at and tokens.refresh_expires_at <= (now or datetime.now(UTC)):
        raise NeedsReconnect(marketplace, f"{marketplace} refresh token has expired")
    return tokens.refresh_token


async def refresh(marketplace: str, settings: OAuthSettings, refresh_token: str) -> dict[str, Any]:
    """A refresh_token grant; the response may carry a rotated refresh token.

    A call that timed out may have been carried out, the token rotated and the answer lost.
    Presented again later, the old token is a reuse and the marketplace revokes the grant; so it
    is presented again at once, while the reuse interval lets the marketplace answer with the
    pair it already issued (docs/offerup-api.md §2.4), and never after."""
    started = time.monotonic()
    waits = iter(REFRESH_RETRY_WAITS)
    while True:
        try:
            return await _token_call(
                marketplace, settings, refresh=True, refresh_token=refresh_token
            )
        except TimedOut:
            elapsed = time.monotonic() - started
            wait = next(waits, None)
            window = settings.refresh_reuse_seconds - REUSE_MARGIN_SECONDS
            if wait is None or elapsed + wait > window:
                raise
            log.warning("refreshing %s timed out after %.1f s: sending the same refresh token "
                        "again in %.0f s", marketplace, elapsed, wait)
            await asyncio.sleep(wait)


async def revoke(
    marketplace: str, settings: OAuthSettings, token: str, token_type_hint: str
) -> None:
    """RFC 7009: ask the marketplace to forget `token` (and with it the grant). A 200 means done,
    also for a token it no longer knew; anything else is an error without the token in it."""
    if not settings.revoke_url:
        raise ValueError(f"{marketplace} has no revocation endpoint")
    async with _client(marketplace, settings) as client:
        try:
            response = await client.revoke_token(
                settings.revoke_url, token=token, token_type_hint=token_type_hint
            )
        except httpx.TransportError as exc:
            raise transport_error(marketplace, exc) from None
    if response.status_code == 200:
        return
    try:
        error = str(response.json().get("error", response.status_code))
    except (ValueError, AttributeError):
        error = str(response.status_code)
    raise MarketplaceError(
        marketplace, f"{marketplace} refused the revocation ({_safe_code(error)})"
    )


async def client_credentials(
    marketplace: str, settings: OAuthSettings, scopes: tuple[str, ...]
) -> dict[str, Any]:
    """An application token (no seller involved), e.g. for eBay's Taxonomy API."""
    return await _token_call(
        marketplace, settings, grant_type="client_credentials", scope=" ".join(scopes)
    )


def tokens_from_response(
    payload: dict[str, Any],
    *,
    previous: Tokens | None = None,
    extra: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Tokens:
    """Our `Tokens` from an RFC 6749 token response (keeping the old refresh token if the
    marketplace did not rotate it, and the connection's extra settings). A refreshable access
    token without a lifetime is given DEFAULT_ACCESS_LIFETIME; an unrefreshable one none, as
    nothing could renew it on a schedule anyway."""
    now = now or datetime.now(UTC)

    def moment(key: str) -> datetime | None:
        seconds = _seconds(payload.get(key))
        return now + timedelta(seconds=seconds) if seconds else None

    refresh_token = payload.get("refresh_token") or (previous.refresh_token if previous else None)
    refresh_expires_at = moment("refresh_token_expires_in") or (
        previous.refresh_expires_at if previous else None
    )
    expires_at = moment("expires_in")
    if expires_at is None and refresh_token:
        expires_at = now + DEFAULT_ACCESS_LIFETIME
    merged_extra = {**(previous.extra if previous else {}), **(extra or {})}
    return Tokens(
        access_token=str(payload["access_token"]),
        refresh_token=refresh_token,
        expires_at=expires_at,
        refresh_expires_at=refresh_expires_at,
        scope=payload.get("scope"),
        extra=merged_extra,
    )
