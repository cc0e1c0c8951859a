"""The HTTP plumbing every API adapter shares, written once.

Each adapter keeps one `httpx.AsyncClient` for its lifetime (`make_client`) and sends every call
through an `ApiClient`, which does what all marketplaces need alike: bearer auth, a retry of
blips on calls that are safe to repeat, a transport failure turned into `TemporarilyUnavailable`,
any answer but the expected ones turned into our error family by the marketplace's own mapper,
and a success body read as a JSON object (with `required` fields). What differs between
marketplaces, the meaning of an error body, stays in each marketplace's `errors` module.
"""

from __future__ import annotations

import email.utils
import ssl
from collections.abc import Callable, Collection, Generator, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

import httpx
from httpx_retries import Retry, RetryTransport

from marketplaces.base import (
    MarketplaceError,
    RateLimited,
    TemporarilyUnavailable,
    TimedOut,
    Unreadable,
)

DEFAULT_TIMEOUT: Final = httpx.Timeout(20.0, connect=5.0)
SUCCESS: Final = range(200, 300)

# One call rides out a blip (a 5xx, a timeout, a dropped connection) with two quick retries, so
# a publish of ten calls does not start over for one of them. 429 is not retried here: the
# engine waits as long as the marketplace's Retry-After asks. Only idempotent methods by
# default; a POST that is safe to send twice says so with `extensions=REPEATABLE`.
CALL_RETRY: Final = Retry(
    total=2, backoff_factor=0.3, max_backoff_wait=2.0, status_forcelist=(500, 502, 503, 504)
)
REPEATABLE: Final[dict[str, Any]] = {
    "retry": CALL_RETRY.copy_with(allowed_methods=(*Retry.RETRYABLE_METHODS, "POST"))
}

ErrorMapper = Callable[[httpx.Response], MarketplaceError]


@cache
def tls_context() -> ssl.SSLContext:
    """One TLS context (httpx's defaults: certifi's CAs) for every client the process makes.
    Building one reads the whole CA bundle, about 50 ms of CPU on the event loop, and httpx
    builds one per client unless given one; an SSLContext is safe to share."""
    return httpx.create_ssl_context()


def make_client(
    base_url: str,
    *,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    headers: dict[str, str] | None = None,
) -> httpx.AsyncClient:
    """The one client an adapter keeps for its lifetime, retrying blips (see CALL_RETRY)."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        transport=RetryTransport(
            httpx.AsyncHTTPTransport(limits=limits, verify=tls_context()), retry=CALL_RETRY
        ),
        headers={"User-Agent": "DealScout/1.0", **(headers or {})},
    )


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` on one call; the token never shows in a repr."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(…)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def retry_after_seconds(response: httpx.Response, default: float = 1.0) -> float:
    """Retry-After as seconds, whether sent as a number or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def transport_error(marketplace: str, exc: httpx.TransportError) -> TemporarilyUnavailable:
    """A timeout or a connection failure, in words safe to log (no URL, so no token)."""
    if isinstance(exc, httpx.TimeoutException):
        return TimedOut(marketplace, f"{marketplace} timed out ({type(exc).__name__})")
    return TemporarilyUnavailable(
        marketplace, f"{marketplace} could not be reached ({type(exc).__name__})"
    )


def status_error(marketplace: str, response: httpx.Response) -> MarketplaceError | None:
    """The errors every marketplace shares by status alone: 429 and 5xx. None otherwise."""
    if response.status_code == 429:
        return RateLimited(
            marketplace,
            f"{marketplace} asked us to slow down",
            retry_after_seconds(response),
        )
    if response.status_code >= 500:
        return TemporarilyUnavailable(
            marketplace, f"{marketplace} answered {response.status_code}; try again later"
        )
    return None


def json_object(marketplace: str, response: httpx.Response) -> dict[str, Any]:
    """A success answer's JSON object; anything else is the marketplace misbehaving, not us."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Unreadable(
            marketplace, f"{marketplace} sent an unreadable answer (HTTP {response.status_code})"
        )
    return body


def required(marketplace: str, body: Mapping[str, Any], key: str) -> str:
    """A field the marketplace always sends on success, as text; without it the marketplace is
    misbehaving, as with an unreadable body."""
    value = body.get(key)
    if value in (None, ""):
        raise Unreadable(marketplace, f"{marketplace}'s answer lacked {key}; try again later")
    return str(value)


class ApiClient:
    """One marketplace's API over its shared client: every call goes out the same way."""

    def __init__(
        self,
        marketplace: str,
        client: httpx.AsyncClient,
        errors: ErrorMapper,
        *,
        ok: Collection[int] = SUCCESS,
    ) -> None:
        self.marketplace = marketplace
        self._client = client
        self._errors = errors
        self._ok = ok

    async def call(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        ok: Collection[int] | None = None,
        tolerate: Collection[int] = (),
        repeatable: bool = False,
        errors: ErrorMapper | None = None,
        **request: Any,
    ) -> httpx.Response:
        """Send one call with `token` as bearer. An `ok` status (the client's default unless
        given) or a `tolerate` one returns the response, for the caller to read; any other
        becomes our error family through `errors` (the client's mapper unless given).
        `repeatable` marks a POST that is safe to send again after a blip (see CALL_RETRY)."""
        try:
            response = await self._client.request(
                method,
                url,
                auth=BearerAuth(token) if token else None,
                extensions=REPEATABLE if repeatable else None,
                **request,
            )
        except httpx.TransportError as exc:
            raise transport_error(self.marketplace, exc) from None
        status = response.status_code
        if status in (self._ok if ok is None else ok) or status in tolerate:
            return response
        raise (errors or self._errors)(response)

    async def json(self, method: str, url: str, **call: Any) -> dict[str, Any]:
        """`call`, then its answer's JSON object (see `json_object`)."""
        return json_object(self.marketplace, await self.call(method, url, **call))

    async def aclose(self) -> None:
        await self._client.aclose()
