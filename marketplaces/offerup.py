"""OfferUp, through the partner listing contract in docs/offerup-api.md.

OfferUp has no public listing API, so this adapter speaks a contract of our own built from
standards (OAuth 2 with PKCE and rotating refresh tokens, RFC 7009 revocation, RFC 9457 problem
details, the Idempotency-Key header). Whoever implements it is plugged in by configuration:
OFFERUP_API_BASE and, where they differ, the OAuth endpoint URLs.

Two things shape the code below:

- Idempotency. A publish sends `Idempotency-Key` derived from the listing's SKU, and uploads
  photos that the partner identifies by their content, so a retry after a crash sends the same
  body and gets the same listing back. A changed listing under a used key is patched instead.
- Refresh-token rotation with reuse detection. Presenting a refresh token twice revokes the
  whole grant, so concurrent refreshes of one connection share a single token call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from marketplaces import oauth_client, photos
from marketplaces.base import (
    Account,
    Condition,
    Listing,
    ListingStatus,
    MarketplaceError,
    NeedsReconnect,
    OAuthSettings,
    Published,
    Rejected,
    Rules,
    TemporarilyUnavailable,
    TokenExpired,
    Tokens,
    safe_sku,
)
from marketplaces.http import REPEATABLE, make_client, status_error, transport_error

NAME: Final = "offerup"
SCOPES: Final = ("listings.write", "listings.read", "profile.read")
OTHER_CATEGORY_ID: Final = "999"  # the contract guarantees this leaf ("Other") exists

RULES: Final = Rules(
    marketplace=NAME,
    display_name="OfferUp",
    title_max=70,
    description_max=5000,
    photo_max=12,
    photo_min_side=400,
    photo_max_side=2048,
    location_required=True,
    conditions=frozenset(Condition),
    price_min_cents=100,
    price_max_cents=100_000_000,
    photo_max_bytes=12 * 1024 * 1024,
)

_CONDITIONS: Final = {
    Condition.NEW: "new",
    Condition.LIKE_NEW: "used_like_new",
    Condition.GOOD: "used_good",
    Condition.FAIR: "used_fair",
    Condition.FOR_PARTS: "for_parts",
}
_STATUSES: Final = {
    "active": ListingStatus.LIVE,
    "sold": ListingStatus.SOLD,
    "archived": ListingStatus.ENDED,
}
# First segment of a problem's errors[].field → (our Rejected.field, the word a seller knows)
_FIELDS: Final = {
    "title": ("title", "title"),
    "description": ("description", "description"),
    "price": ("price", "price"),
    "condition": ("condition", "condition"),
    "category_id": ("category", "category"),
    "photo_ids": ("photos", "photos"),
    "file": ("photos", "photo"),
    "location": ("location", "location"),
}
_PROBLEM_PREFIX: Final = "tag:dealscout.app,2025:offerup/"
_FIELD_HEAD = re.compile(r"^[A-Za-z_]+")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")

_NO_LOCATION: Final = (
    "OfferUp needs to know where the item is. Add a ZIP code or share your location, "
    "then try again."
)
_NO_PHOTOS: Final = "OfferUp needs at least one photo of the item. Add a photo, then try again."
_CLOSED: Final = (
    "This item is already sold or withdrawn on OfferUp, so it can't be changed there."
)
_PHOTO_TOO_BIG: Final = "A photo is too large for OfferUp (over 12 MB). Send a smaller photo."
_PHOTO_UNREADABLE: Final = (
    "OfferUp couldn't read one of the photos. Send it again as a regular photo."
)
_RESTRICTED: Final = {
    "phone_unverified": (
        "Your OfferUp account can't post yet: confirm your phone number in the OfferUp app "
        "(Account → Account settings), then try again."
    ),
    "suspended": (
        "OfferUp has suspended posting on your account. Contact OfferUp support; I can't post "
        "there until they lift it."
    ),
}
_RESTRICTED_OTHER: Final = (
    "Your OfferUp account can't post listings right now. Check the OfferUp app for a notice, "
    "then try again."
)


# ── Configuration ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class OfferUpConfig:
    """Where the partner endpoint lives and who we are to it."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    api_base: str  # the contract's API_BASE; /v1/... hangs below it
    authorize_url: str
    token_url: str
    revoke_url: str
    scopes: tuple[str, ...] = SCOPES
    timeout_seconds: float = 20.0
    category_cache_seconds: float = 86_400.0  # the contract's Cache-Control max-age

    @classmethod
    def for_partner(
        cls, api_base: str, *, client_id: str, client_secret: str, redirect_uri: str
    ) -> OfferUpConfig:
        """A config whose OAuth endpoints sit at the contract's default paths under api_base."""
        base = api_base.rstrip("/")
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            api_base=base,
            authorize_url=f"{base}/oauth/authorize",
            token_url=f"{base}/oauth/token",
            revoke_url=f"{base}/oauth/revoke",
        )


ENV_VARS: Final[dict[str, str]] = {
    "OFFERUP_CLIENT_ID": "Client id the OfferUp partner endpoint issued to Deal Scout; "
    "empty turns OfferUp off.",
    "OFFERUP_CLIENT_SECRET": "Client secret that goes with OFFERUP_CLIENT_ID.",
    "OFFERUP_API_BASE": "Base URL of the partner endpoint implementing docs/offerup-api.md "
    "(required: OfferUp has no public listing API).",
    "OFFERUP_AUTHORIZE_URL": "OAuth consent page; defaults to OFFERUP_API_BASE/oauth/authorize.",
    "OFFERUP_TOKEN_URL": "OAuth token endpoint; defaults to OFFERUP_API_BASE/oauth/token.",
    "OFFERUP_REVOKE_URL": "OAuth revocation endpoint; defaults to OFFERUP_API_BASE/oauth/revoke.",
    "OFFERUP_REDIRECT_URI": "Redirect URI registered with the partner; defaults to "
    "PUBLIC_BASE_URL/oauth/offerup/callback.",
}


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def config_from_env(
    env: Mapping[str, str], *, public_base_url: str | None
) -> OfferUpConfig | None:
    """The OfferUp config from the environment; None when OFFERUP_CLIENT_ID is unset.

    Raises ValueError naming every missing or malformed variable at once.
    """
    def value(name: str) -> str:
        return env.get(name, "").strip()

    client_id = value("OFFERUP_CLIENT_ID")
    if not client_id:
        return None
    problems: list[str] = []
    secret = value("OFFERUP_CLIENT_SECRET")
    if not secret:
        problems.append("OFFERUP_CLIENT_SECRET is missing")
    api_base = value("OFFERUP_API_BASE").rstrip("/")
    if not api_base:
        problems.append("OFFERUP_API_BASE is missing (the partner endpoint's base URL)")
    elif not _is_http_url(api_base):
        problems.append("OFFERUP_API_BASE must be an http(s) URL")

    def endpoint(name: str, default_path: str) -> str:
        url = value(name)
        if url and not _is_http_url(url):
            problems.append(f"{name} must be an http(s) URL")
        return url or f"{api_base}{default_path}"

    authorize_url = endpoint("OFFERUP_AUTHORIZE_URL", "/oauth/authorize")
    token_url = endpoint("OFFERUP_TOKEN_URL", "/oauth/token")
    revoke_url = endpoint("OFFERUP_REVOKE_URL", "/oauth/revoke")
    redirect_uri = value("OFFERUP_REDIRECT_URI")
    if not redirect_uri and public_base_url:
        redirect_uri = f"{public_base_url.rstrip('/')}/oauth/offerup/callback"
    if not redirect_uri:
        problems.append("OFFERUP_REDIRECT_URI is missing (or set PUBLIC_BASE_URL)")
    elif not _is_http_url(redirect_uri):
        problems.append("OFFERUP_REDIRECT_URI must be an http(s) URL")
    if problems:
        raise ValueError("OfferUp settings: " + "; ".join(problems))
    return OfferUpConfig(
        client_id=client_id,
        client_secret=secret,
        redirect_uri=redirect_uri,
        api_base=api_base,
        authorize_url=authorize_url,
        token_url=token_url,
        revoke_url=revoke_url,
    )


# ── Problem documents (RFC 9457) ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Problem:
    """What an error response says, read defensively: any member may be missing."""

    status: int
    kind: str  # the part after the tag prefix, "" for about:blank and unknown types
    detail: str
    errors: tuple[tuple[str, str], ...]  # (field path, message)
    members: Mapping[str, Any]

    @classmethod
    def read(cls, response: httpx.Response) -> _Problem:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        kind = str(body.get("type", ""))
        errors = tuple(
            (str(item.get("field", "")), str(item.get("message", "")))
            for item in body.get("errors") or ()
            if isinstance(item, dict)
        )
        return cls(
            status=response.status_code,
            kind=kind.removeprefix(_PROBLEM_PREFIX) if kind.startswith(_PROBLEM_PREFIX) else "",
            detail=_clean(str(body.get("detail") or body.get("title") or "")),
            errors=errors,
            members=body,
        )


def _clean(text: str, limit: int = 200) -> str:
    """A partner's phrase made safe to show: one line, bounded."""
    return _UNPRINTABLE.sub(" ", text).strip()[:limit]


def _validation_rejection(problem: _Problem) -> Rejected:
    """One sentence naming every refused field, with `field` set to the first one."""
    if not problem.errors:
        detail = problem.detail.rstrip(".") or "it is invalid"
        return Rejected(NAME, f"OfferUp didn't accept this listing: {detail}.")
    parts: list[str] = []
    first_field: str | None = None
    for path, message in problem.errors:
        head = _FIELD_HEAD.match(path)
        ours, word = _FIELDS.get(head.group(0) if head else "", (None, _clean(path, 40)))
        first_field = first_field or ours
        parts.append(f"the {word} {_clean(message).rstrip('.') or 'is not accepted'}")
    return Rejected(
        NAME,
        "OfferUp didn't accept this listing: "
        + "; ".join(dict.fromkeys(parts))
        + ". Fix it and try again.",
        field=first_field,
    )


def _api_error(response: httpx.Response) -> MarketplaceError:
    """Any non-success answer from /v1 as one of our errors; never carries a token."""
    overload = status_error(NAME, response)
    if overload is not None:
        return overload
    problem = _Problem.read(response)
    challenge = response.headers.get("WWW-Authenticate", "")
    if response.status_code == 401:
        return TokenExpired(NAME, "OfferUp no longer accepts the access token")
    if response.status_code == 403 and "insufficient_scope" in challenge:
        return NeedsReconnect(
            NAME, "the OfferUp connection lacks a permission Deal Scout needs; connect again"
        )
    if problem.kind == "account-restricted" or response.status_code == 403:
        reason = str(problem.members.get("reason", ""))
        return Rejected(NAME, _RESTRICTED.get(reason, _RESTRICTED_OTHER), field="account")
    if problem.kind == "idempotency-key-in-flight":
        return TemporarilyUnavailable(NAME, "OfferUp is still creating this listing; retry shortly")
    if problem.kind == "listing-closed":
        return Rejected(NAME, _CLOSED)
    if response.status_code == 413:
        return Rejected(NAME, _PHOTO_TOO_BIG, field="photos")
    if response.status_code == 422:
        return _validation_rejection(problem)
    return MarketplaceError(
        NAME, f"OfferUp answered {response.status_code}: {problem.detail or 'no detail'}"
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise MarketplaceError(NAME, f"OfferUp sent an unreadable answer ({response.status_code})")
    return body


# ── Helpers with state ────────────────────────────────────────────────────────────────────────


class _RefreshOnce:
    """Callers refreshing the same refresh token share one token call and its answer.

    With rotation and reuse detection, a second exchange of a token that was just rotated
    revokes the seller's whole connection, so this is not an optimisation but a necessity.
    Answers are remembered briefly, for callers that read the old tokens just before the new
    ones were stored.
    """

    def __init__(self, remember_seconds: float = 120.0) -> None:
        self._remember_seconds = remember_seconds
        self._running: dict[str, asyncio.Future[Tokens]] = {}
        self._answers: dict[str, tuple[float, Tokens]] = {}

    async def run(self, refresh_token: str, call: Callable[[], Awaitable[Tokens]]) -> Tokens:
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        now = time.monotonic()
        self._answers = {k: v for k, v in self._answers.items() if v[0] > now}
        if key in self._answers:
            return self._answers[key][1]
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(call())
            self._running[key] = running
            running.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(running)

    def _settle(self, key: str, done: asyncio.Future[Tokens]) -> None:
        self._running.pop(key, None)
        if done.cancelled() or done.exception() is not None:
            return
        self._answers[key] = (time.monotonic() + self._remember_seconds, done.result())


class _Categories:
    """Leaf category names → ids, fetched once a day (they change rarely)."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl_seconds = ttl_seconds
        self._leaves: dict[str, str] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    @staticmethod
    def key(name: str) -> str:
        return " ".join(name.casefold().split())

    def fresh(self) -> bool:
        if self._fetched_at is None:
            return False
        return time.monotonic() - self._fetched_at < self._ttl_seconds

    async def lookup(self, name: str, fetch: Callable[[], Awaitable[dict[str, Any]]]) -> str | None:
        async with self._lock:
            if not self.fresh():
                body = await fetch()
                self._leaves = {
                    self.key(str(item["name"])): str(item["id"])
                    for item in body.get("categories", ())
                    if isinstance(item, dict) and item.get("leaf") and "id" in item
                }
                self._fetched_at = time.monotonic()
        return self._leaves.get(self.key(name))


# ── The adapter ───────────────────────────────────────────────────────────────────────────────


class OfferUpMarketplace:
    """Lists on OfferUp through a partner endpoint; see the module docstring for why."""

    name = NAME
    display_name = RULES.display_name
    rules = RULES

    def __init__(self, config: OfferUpConfig) -> None:
        self.config = config
        self.oauth = OAuthSettings(
            client_id=config.client_id,
            client_secret=config.client_secret,
            authorize_url=config.authorize_url,
            token_url=config.token_url,
            redirect_uri=config.redirect_uri,
            scopes=config.scopes,
            revoke_url=config.revoke_url,
            pkce=True,
            token_auth="client_secret_basic",
        )
        timeout = httpx.Timeout(config.timeout_seconds, connect=min(5.0, config.timeout_seconds))
        self._http = make_client(f"{config.api_base.rstrip('/')}/", timeout=timeout)
        self._refreshes = _RefreshOnce()
        self._categories = _Categories(config.category_cache_seconds)

    # ── connecting ──

    def authorization_url(self, state: str, code_verifier: str | None = None) -> str:
        """The consent link; the contract requires PKCE, so the verifier is mandatory."""
        return oauth_client.authorization_url(NAME, self.oauth, state, code_verifier)

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> Tokens:
        """Code + PKCE verifier → tokens; a used or mismatched code raises NeedsReconnect."""
        if not code_verifier:
            raise ValueError("OfferUp requires PKCE: pass the code verifier")
        payload = await oauth_client.exchange_code(NAME, self.oauth, code, code_verifier)
        return oauth_client.tokens_from_response(payload)

    async def refresh(self, tokens: Tokens) -> Tokens:
        """New tokens, including the rotated refresh token the caller must store at once."""
        if not tokens.refresh_token:
            raise NeedsReconnect(NAME, "the OfferUp connection cannot be refreshed; connect again")
        return await self._refreshes.run(tokens.refresh_token, lambda: self._refresh_now(tokens))

    async def _refresh_now(self, tokens: Tokens) -> Tokens:
        payload = await oauth_client.refresh(NAME, self.oauth, tokens.refresh_token or "")
        previous = tokens
        if not payload.get("refresh_token"):
            # The presented refresh token is spent either way; keeping it would make the next
            # refresh a reuse, which revokes the grant. Without one, the seller reconnects.
            previous = dataclasses.replace(tokens, refresh_token=None, refresh_expires_at=None)
        return oauth_client.tokens_from_response(payload, previous=previous)

    async def revoke(self, tokens: Tokens) -> None:
        """RFC 7009: revoking the refresh token (or else the access token) ends the grant."""
        token, hint = (
            (tokens.refresh_token, "refresh_token")
            if tokens.refresh_token
            else (tokens.access_token, "access_token")
        )
        await oauth_client.revoke(NAME, self.oauth, token, hint)

    async def whoami(self, tokens: Tokens) -> Account:
        me = await self._me(tokens)
        return Account(NAME, str(me["id"]), str(me.get("display_name") or me["id"]))

    async def prepare_account(self, tokens: Tokens) -> Tokens:
        """Nothing to set up on OfferUp, but an account that may not post is told why now,
        rather than at the first listing. Tokens come back unchanged."""
        me = await self._me(tokens)
        posting = me.get("posting") or {}
        if not posting.get("allowed", False):
            reason = str(posting.get("reason", ""))
            raise Rejected(NAME, _RESTRICTED.get(reason, _RESTRICTED_OTHER), field="account")
        return tokens

    async def _me(self, tokens: Tokens) -> dict[str, Any]:
        response = await self._call("GET", "/v1/me", tokens)
        if response.status_code != 200:
            raise _api_error(response)
        me = _json(response)
        if "id" not in me:
            raise MarketplaceError(NAME, "OfferUp's profile answer has no account id")
        return me

    # ── listing ──

    @staticmethod
    def idempotency_key(listing: Listing) -> str:
        """The Idempotency-Key for a listing: the same SKU always gives the same key."""
        return f"listing:{safe_sku(listing.sku)}"

    async def publish(self, tokens: Tokens, listing: Listing) -> Published:
        """Create the listing once per SKU; a retry returns it, a changed listing patches it."""
        location = _location(listing)
        if not listing.photos:
            raise Rejected(NAME, _NO_PHOTOS, field="photos")
        category_id = await self._category_id(tokens, listing)
        photo_ids = await self._upload_photos(tokens, listing.photos[: RULES.photo_max])
        body: dict[str, Any] = {
            "title": listing.title,
            "price": {"amount": listing.price_decimal, "currency": listing.currency},
            "condition": _CONDITIONS[listing.condition],
            "category_id": category_id,
            "photo_ids": photo_ids,
            "location": location,
        }
        if listing.description:
            body["description"] = listing.description
        key = self.idempotency_key(listing)
        response = await self._call(
            "POST", "/v1/listings", tokens, json=body, headers={"Idempotency-Key": f'"{key}"'},
            extensions=REPEATABLE,
        )
        if response.status_code in (200, 201):
            return _published(_json(response))
        problem = _Problem.read(response)
        if problem.kind == "idempotency-key-reused" and problem.members.get("listing_id"):
            return await self._update(tokens, str(problem.members["listing_id"]), body)
        raise _api_error(response)

    async def _update(self, tokens: Tokens, external_id: str, body: dict[str, Any]) -> Published:
        """Bring the listing this SKU created in line with `body`, unless it already is."""
        current = await self._call("GET", f"/v1/listings/{external_id}", tokens)
        if current.status_code != 200:
            raise _api_error(current)
        listing = _json(current)
        if _same_listing(listing, body):
            return _published(listing)
        response = await self._call("PATCH", f"/v1/listings/{external_id}", tokens, json=body)
        if response.status_code != 200:
            raise _api_error(response)
        return _published(_json(response))

    async def withdraw(self, tokens: Tokens, external_id: str) -> None:
        """Archive the listing; one that no longer exists counts as withdrawn."""
        response = await self._call("DELETE", f"/v1/listings/{external_id}", tokens)
        if response.status_code in (204, 404):
            return
        problem = _Problem.read(response)
        if problem.kind == "listing-closed":
            raise Rejected(
                NAME, "This item has already sold on OfferUp, so it can't be withdrawn there."
            )
        raise _api_error(response)

    async def status(self, tokens: Tokens, external_id: str) -> ListingStatus:
        """Live, sold or ended; a listing OfferUp no longer knows is ended."""
        response = await self._call("GET", f"/v1/listings/{external_id}", tokens)
        if response.status_code == 404:
            return ListingStatus.ENDED
        if response.status_code != 200:
            raise _api_error(response)
        state = _json(response).get("status")
        if state not in _STATUSES:
            raise MarketplaceError(NAME, f"OfferUp reported an unknown status {state!r:.40}")
        return _STATUSES[state]

    async def aclose(self) -> None:
        await self._http.aclose()

    # ── pieces of a publish ──

    async def _category_id(self, tokens: Tokens, listing: Listing) -> str:
        """The seller's explicit OfferUp category, else a leaf of the same name, else Other."""
        explicit = listing.category_ids.get(NAME)
        if explicit:
            return explicit
        if not listing.category:
            return OTHER_CATEGORY_ID

        async def fetch() -> dict[str, Any]:
            response = await self._call("GET", "/v1/categories", tokens)
            if response.status_code != 200:
                raise _api_error(response)
            return _json(response)

        return await self._categories.lookup(listing.category, fetch) or OTHER_CATEGORY_ID

    async def _upload_photos(self, tokens: Tokens, originals: tuple[bytes, ...]) -> list[str]:
        prepared = await asyncio.gather(*(_prepare(photo) for photo in originals))
        return list(await asyncio.gather(*(self._upload(tokens, data) for data in prepared)))

    async def _upload(self, tokens: Tokens, data: bytes) -> str:
        response = await self._call(
            "POST", "/v1/photos", tokens, files={"file": ("photo.jpg", data, "image/jpeg")},
            extensions=REPEATABLE,  # at worst an unused copy of the picture
        )
        if response.status_code in (200, 201):
            photo = _json(response)
            if "id" not in photo:
                raise MarketplaceError(NAME, "OfferUp's photo answer has no photo id")
            return str(photo["id"])
        if response.status_code == 415:
            raise Rejected(NAME, _PHOTO_UNREADABLE, field="photos")
        raise _api_error(response)

    async def _call(
        self, method: str, path: str, tokens: Tokens, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens.access_token}", **kwargs.pop("headers", {})}
        try:
            return await self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error(NAME, exc) from None


def _location(listing: Listing) -> dict[str, Any]:
    """The contract's location: a ZIP code when we have one, else coordinates."""
    where = listing.location
    if where is not None and where.postal_code:
        return {"postal_code": where.postal_code.strip()}
    if where is not None and where.has_coordinates:
        return {"latitude": where.latitude, "longitude": where.longitude}
    raise Rejected(NAME, _NO_LOCATION, field="location")


async def _prepare(original: bytes) -> bytes:
    try:
        return await photos.prepare_async(original, RULES)
    except photos.PhotoRejected as exc:
        raise Rejected(NAME, exc.message, field="photos") from None


def _same_listing(current: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether the partner's listing already says what `body` says (titles are trimmed there)."""
    photos = [photo for photo in current.get("photos") or () if isinstance(photo, dict)]
    photo_ids = [photo.get("id") for photo in photos]
    return (
        current.get("title") == body["title"].strip()
        and current.get("description", "") == body.get("description", "")
        and current.get("price") == body["price"]
        and current.get("condition") == body["condition"]
        and current.get("category_id") == body["category_id"]
        and photo_ids == body["photo_ids"]
        and current.get("location") == body["location"]
    )


def _published(body: dict[str, Any]) -> Published:
    if "id" not in body or "url" not in body:
        raise MarketplaceError(NAME, "OfferUp's listing answer has no id or url")
    return Published(NAME, str(body["id"]), str(body["url"]))
