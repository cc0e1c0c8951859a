"""The OAuth 2 client side through authlib: consent links, token endpoint calls (code exchange,
refresh, client credentials) and RFC 7009 revocation.

A fresh `AsyncOAuth2Client` per call: authlib keeps the token on the client object, and one
shared client would mix sellers' tokens. Token calls are rare, so the pool is not missed.
Consent links need no HTTP at all, so they are built by authlib's session-less `OAuth2Client`,
which also derives the PKCE S256 challenge from the verifier.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning

from marketplaces.base import MarketplaceError, NeedsReconnect, OAuthSettings, Tokens
from marketplaces.http import DEFAULT_TIMEOUT, status_error, tls_context, transport_error

# authlib 1.9 prefers the "httpx2" fork and warns when it runs on httpx, the client this project
# chose (DESIGN.md). The warning is about authlib's plans, not our use; authlib forces its own
# warnings to "always", so this filter must come after importing authlib.deprecate.
warnings.filterwarnings(
    "ignore", message="The httpx module is deprecated", category=AuthlibDeprecationWarning
)
from authlib.integrations.base_client import OAuthError  # noqa: E402
from authlib.integrations.httpx_client import AsyncOAuth2Client  # noqa: E402
from authlib.oauth2.client import OAuth2Client  # noqa: E402

# Errors after which no retry helps: the grant is gone and the seller must approve again.
_RECONNECT_ERRORS = frozenset({"invalid_grant", "unauthorized_client", "access_denied"})


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

    return AsyncOAuth2Client(
        **_client_settings(settings),
        timeout=DEFAULT_TIMEOUT,
        verify=tls_context(),
        event_hooks={"response": [refuse_overload]},
    )


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
            if exc.error in _RECONNECT_ERRORS:
                raise NeedsReconnect(
                    marketplace, f"{marketplace} refused the grant ({exc.error})"
                ) from None
            raise MarketplaceError(
                marketplace, f"{marketplace} token endpoint refused the request ({exc.error})"
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
    """A refresh_token grant; the response may carry a rotated refresh token."""
    return await _token_call(
        marketplace, settings, refresh=True, refresh_token=refresh_token
    )


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
    safe = "".join(c for c in error if c.isalnum() or c in "_-.")[:60]
    raise MarketplaceError(marketplace, f"{marketplace} refused the revocation ({safe})")


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
    marketplace did not rotate it, and the connection's extra settings)."""
    now = now or datetime.now(UTC)

    def moment(key: str) -> datetime | None:
        seconds = payload.get(key)
        return now + timedelta(seconds=int(seconds)) if seconds else None

    refresh_token = payload.get("refresh_token") or (previous.refresh_token if previous else None)
    refresh_expires_at = moment("refresh_token_expires_in") or (
        previous.refresh_expires_at if previous else None
    )
    merged_extra = {**(previous.extra if previous else {}), **(extra or {})}
    return Tokens(
        access_token=str(payload["access_token"]),
        refresh_token=refresh_token,
        expires_at=moment("expires_in"),
        refresh_expires_at=refresh_expires_at,
        scope=payload.get("scope"),
        extra=merged_extra,
    )
