"""An OAuth 2 authorization server as a marketplace runs it, strictly: the consent page, the
authorization code grant (PKCE where required), refresh with optional rotation and reuse
detection (RFC 9700), client credentials, revocation (RFC 7009), and the bearer check the API
routes use. `token_faults` makes its token endpoint misbehave as some real ones do."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from aiohttp import web

from marketplaces.http import tls_context
from sandbox.kit.errors import ErrorResponder
from sandbox.kit.grants import Grant, MarketplaceAccount, OAuthClient, TokenError, TokenRefused
from sandbox.kit.pages import html_page
from sandbox.kit.token_faults import QueuedTokenFault, TokenFault, TokenFaults


def oauth_error_json(status: int, error: str, description: str) -> web.Response:
    """RFC 6749 §5.2 error body, which eBay and most OAuth servers use."""
    return web.json_response({"error": error, "error_description": description}, status=status)


@dataclass
class _Spent:
    """A refresh token rotated away: its grant, the token that replaced it, and when."""

    grant: Grant
    successor: str
    rotated_at: float

    def replayable(self, interval_seconds: float) -> bool:
        """Within the reuse interval and nothing rotated since: the client lost our answer."""
        return (
            self.grant.refresh_token == self.successor
            and time.time() - self.rotated_at <= interval_seconds
        )


@dataclass
class _PendingCode:
    account: MarketplaceAccount
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    expires_at: float


class OAuthProvider:
    """The authorization code grant as a marketplace runs it, strictly.

    Refuses: an unknown client, a redirect_uri not registered exactly, a scope not offered,
    a missing PKCE challenge where PKCE is required (S256 only), a code used twice or late,
    a verifier that does not match, a wrong client secret, an expired or revoked refresh token.
    """

    CODE_TTL_SECONDS = 300

    def __init__(
        self,
        *,
        name: str,
        clients: Iterable[OAuthClient],
        accounts: Iterable[MarketplaceAccount],
        scopes: Iterable[str],
        access_ttl_seconds: int,
        refresh_ttl_seconds: int | None,
        pkce_required: bool = False,
        rotate_refresh_tokens: bool = False,
        detect_refresh_reuse: bool = False,
        refresh_reuse_interval_seconds: float = 0.0,
        client_auth: frozenset[str] = frozenset({"client_secret_basic"}),
        error: ErrorResponder = oauth_error_json,
    ) -> None:
        self.name = name
        self.clients = {client.client_id: client for client in clients}
        self.accounts = {account.account_id: account for account in accounts}
        self.scopes = frozenset(scopes)
        self.access_ttl_seconds = access_ttl_seconds
        self.refresh_ttl_seconds = refresh_ttl_seconds
        self.pkce_required = pkce_required
        self.rotate_refresh_tokens = rotate_refresh_tokens
        # RFC 9700 §4.14.2: a rotated-away refresh token presented again means it leaked, so
        # the whole grant is revoked.
        self.detect_refresh_reuse = detect_refresh_reuse
        # The reuse interval (as Auth0 and Okta offer): the token rotated away last, presented
        # again within this many seconds, gets the grant's current pair instead, so a client
        # that died before storing the new pair (even twice) keeps the account.
        self.refresh_reuse_interval_seconds = refresh_reuse_interval_seconds
        self._spent_refresh: dict[str, _Spent] = {}
        self.reuse_detected = 0
        self.client_auth = client_auth
        self.error = error
        self._codes: dict[str, _PendingCode] = {}
        self._by_access: dict[str, Grant] = {}
        self._by_refresh: dict[str, Grant] = {}
        self.token_requests: list[dict[str, str]] = []  # grant types seen, for tests
        self.revocations = 0
        self.token_faults = TokenFaults()  # misbehaviour a test asks for, call by call

    def register_redirect(self, client_id: str, redirect_uri: str) -> None:
        """Add a redirect URI to a client, as an operator does in a developer console."""
        client = self.clients[client_id]
        if redirect_uri not in client.redirect_uris:
            self.clients[client_id] = OAuthClient(
                client.client_id, client.client_secret, (*client.redirect_uris, redirect_uri)
            )

    @property
    def default_account(self) -> MarketplaceAccount:
        return next(iter(self.accounts.values()))

    # ── authorize: the consent page ──

    def _authorize_problem(self, query: dict[str, str]) -> str | None:
        """Why an authorize request must be refused outright (shown, never redirected)."""
        client = self.clients.get(query.get("client_id", ""))
        if client is None:
            return "This app is not registered (unknown client_id)."
        if query.get("redirect_uri") not in client.redirect_uris:
            return "The redirect_uri does not match any URI registered for this app."
        return None

    def _redirect_problem(self, query: dict[str, str]) -> tuple[str, str] | None:
        """Problems reported back to the app's redirect_uri as ?error=…, per RFC 6749 §4.1.2.1."""
        if query.get("response_type") != "code":
            return "unsupported_response_type", "response_type must be code"
        requested = tuple(query.get("scope", "").split())
        if not requested or not set(requested) <= self.scopes:
            return "invalid_scope", "the requested scope is missing or not offered"
        if self.pkce_required or query.get("code_challenge"):
            if query.get("code_challenge_method") != "S256":
                return "invalid_request", "PKCE with code_challenge_method=S256 is required"
            if not 43 <= len(query.get("code_challenge", "")) <= 128:
                return "invalid_request", "code_challenge is missing or malformed"
        return None

    async def authorize_page(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        problem = self._authorize_problem(query)
        if problem:
            return html_page(f"{self.name}: cannot continue", f"<p>{html.escape(problem)}</p>", 400)
        redirect_error = self._redirect_problem(query)
        if redirect_error:
            raise web.HTTPFound(_with_query(query["redirect_uri"], {
                "error": redirect_error[0], "error_description": redirect_error[1],
                **({"state": query["state"]} if "state" in query else {}),
            }))
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        options = "".join(
            f'<option value="{html.escape(a.account_id)}">{html.escape(a.display_name)}</option>'
            for a in self.accounts.values()
        )
        body = (
            f"<p>Deal Scout wants to manage your listings on {html.escape(self.name)}.</p>"
            f"<p>Scopes: {html.escape(query.get('scope', ''))}</p>"
            f'<form method="post">{hidden}<label>Account <select name="account">{options}'
            '</select></label> <button name="decision" value="approve">Approve</button> '
            '<button name="decision" value="deny">Deny</button></form>'
        )
        return html_page(f"Sign in to {self.name}", body)

    async def decide(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        query = {k: str(v) for k, v in form.items() if k not in ("decision", "account")}
        problem = self._authorize_problem(query) or (
            "invalid request" if self._redirect_problem(query) else None
        )
        if problem:
            return html_page(f"{self.name}: cannot continue", f"<p>{html.escape(problem)}</p>", 400)
        state = {"state": query["state"]} if "state" in query else {}
        if form.get("decision") != "approve":
            raise web.HTTPFound(_with_query(query["redirect_uri"], {
                "error": "access_denied", "error_description": "The user denied access.",
                **state,
            }))
        account = self.accounts.get(str(form.get("account", "")))
        if account is None:
            return html_page(f"{self.name}: cannot continue", "<p>Unknown account.</p>", 400)
        code = secrets.token_urlsafe(32)
        self._codes[code] = _PendingCode(
            account=account,
            client_id=query["client_id"],
            redirect_uri=query["redirect_uri"],
            scopes=tuple(query["scope"].split()),
            code_challenge=query.get("code_challenge"),
            expires_at=time.time() + self.CODE_TTL_SECONDS,
        )
        raise web.HTTPFound(_with_query(query["redirect_uri"], {"code": code, **state}))

    async def consent(
        self, authorize_url: str, *, approve: bool = True, account_id: str | None = None
    ) -> str:
        """Play the seller in the browser: open the consent page, press Approve or Deny, and
        return where the marketplace redirects (our callback URL with code or error)."""
        async with httpx.AsyncClient(follow_redirects=False, timeout=10,
                                     verify=tls_context()) as browser:
            page = await browser.get(authorize_url)
            if page.status_code == 302:
                return page.headers["location"]
            if page.status_code != 200:
                raise ValueError(f"consent page refused the request: {page.text[:200]}")
            form = dict(parse_qsl(urlsplit(authorize_url).query))
            form["decision"] = "approve" if approve else "deny"
            form["account"] = account_id or self.default_account.account_id
            answer = await browser.post(authorize_url.split("?", 1)[0], data=form)
            if answer.status_code != 302:
                raise ValueError(f"consent was refused: {answer.text[:200]}")
            return answer.headers["location"]

    # ── token endpoint ──

    def authenticate_client(self, request: web.Request, form: dict[str, str]) -> OAuthClient:
        """Client credentials by HTTP Basic or in the body, as this marketplace allows."""
        header = request.headers.get("Authorization", "")
        client_id = secret = None
        if header.startswith("Basic ") and "client_secret_basic" in self.client_auth:
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode()
                client_id, _, secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id = None
        elif "client_secret_post" in self.client_auth:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        client = self.clients.get(client_id or "")
        if client is None or not secrets.compare_digest(secret or "", client.client_secret):
            raise TokenError(401, "invalid_client", "client authentication failed")
        return client

    async def token_endpoint(self, request: web.Request) -> web.Response:
        form = {**dict(request.query), **{k: str(v) for k, v in (await request.post()).items()}}
        self.token_requests.append({"grant_type": form.get("grant_type", "")})
        fault = self.token_faults.draw(form.get("grant_type", ""))
        if fault is not None and (instead := TokenFaults.refusal(fault, self.error)) is not None:
            return instead
        if fault and fault.kind is TokenFault.NARROW_SCOPE:
            self._narrow(form.get("code", ""), fault)
        try:
            client = self.authenticate_client(request, form)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                body = self.redeem_code(client, form)
            elif grant_type == "refresh_token":
                body = self._refresh(client, form)
            elif grant_type == "client_credentials":
                body = self._application_token(client, form)
            else:
                raise TokenError(400, "unsupported_grant_type", "grant_type is not supported")
        except TokenError as exc:
            return self.error(exc.status, exc.error, exc.description)
        if fault and fault.kind is TokenFault.NO_EXPIRES_IN:
            body.pop("expires_in", None)
        if fault and fault.kind is TokenFault.HANG_AFTER_WORK:
            # The code is redeemed or the token rotated: the answer comes after the client
            # gave up on it (or never, when the client hangs up and the handler is cancelled).
            await asyncio.sleep(self.token_faults.hang_seconds)
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    def _narrow(self, code: str, fault: QueuedTokenFault) -> None:
        """The code's grant will carry only the fault's scopes, as if the seller had unticked
        the others on the consent page (or the provider ignored what was asked)."""
        pending = self._codes.get(code)
        if pending is not None:
            pending.scopes = fault.scopes

    def redeem_code(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        pending = self._codes.pop(form.get("code", ""), None)  # single use, even on failure
        if pending is None or pending.expires_at < time.time():
            raise TokenError(400, "invalid_grant", "the authorization code is invalid or used")
        if pending.client_id != client.client_id:
            raise TokenError(400, "invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri") != pending.redirect_uri:
            raise TokenError(400, "invalid_grant", "redirect_uri does not match the request")
        if pending.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not verifier or not secrets.compare_digest(challenge, pending.code_challenge):
                raise TokenError(400, "invalid_grant", "PKCE verification failed")
        grant = self.issue(pending.account, client.client_id, pending.scopes)
        return self.token_body(grant)

    def _refresh(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        presented = form.get("refresh_token", "")
        self._forget_spent()
        spent = self._spent_refresh.get(presented)
        # A refresh token is bound to the client it was issued to (RFC 6749 §6): another
        # client presenting a spent one neither replays it nor ends the owner's grant.
        if spent is not None and spent.grant.client_id != client.client_id:
            spent = None
        if spent is not None and not spent.grant.revoked:
            if spent.replayable(self.refresh_reuse_interval_seconds):
                return self.token_body(spent.grant, include_refresh=True)
            if self.detect_refresh_reuse:
                self.reuse_detected += 1
                self.revoke(spent.grant)
        grant = self._by_refresh.get(presented)
        if (
            grant is None
            or grant.revoked
            or grant.client_id != client.client_id
            or (grant.refresh_expires_at is not None and grant.refresh_expires_at < time.time())
        ):
            raise TokenError(400, "invalid_grant", "the refresh token is invalid or expired")
        self._by_access.pop(grant.access_token, None)
        grant.access_token = secrets.token_urlsafe(32)
        grant.access_expires_at = time.time() + self.access_ttl_seconds
        self._by_access[grant.access_token] = grant
        if self.rotate_refresh_tokens:
            self._by_refresh.pop(presented, None)
            grant.refresh_token = secrets.token_urlsafe(40)
            self._spent_refresh[presented] = _Spent(grant, grant.refresh_token, time.time())
            self._by_refresh[grant.refresh_token] = grant
            if self.refresh_ttl_seconds:  # each rotated token lives its own full term
                grant.refresh_expires_at = time.time() + self.refresh_ttl_seconds
        return self.token_body(grant, include_refresh=self.rotate_refresh_tokens)

    def _forget_spent(self) -> None:
        """Drop rotated-away tokens nobody can use any more: their grant is revoked, or they
        would have expired by now anyway."""
        now = time.time()
        self._spent_refresh = {
            token: spent for token, spent in self._spent_refresh.items()
            if not spent.grant.revoked
            and not (self.refresh_ttl_seconds and spent.rotated_at + self.refresh_ttl_seconds < now)
        }

    def _application_token(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        app_account = MarketplaceAccount(f"app:{client.client_id}", "application")
        scopes = tuple(form.get("scope", "").split())
        grant = self.issue(app_account, client.client_id, scopes, with_refresh=False)
        return self.token_body(grant)

    def issue(
        self,
        account: MarketplaceAccount,
        client_id: str,
        scopes: tuple[str, ...],
        *,
        with_refresh: bool = True,
    ) -> Grant:
        now = time.time()
        refresh = secrets.token_urlsafe(40) if with_refresh and self.refresh_ttl_seconds else None
        grant = Grant(
            account=account,
            client_id=client_id,
            scopes=scopes,
            access_token=secrets.token_urlsafe(32),
            access_expires_at=now + self.access_ttl_seconds,
            refresh_token=refresh,
            refresh_expires_at=now + self.refresh_ttl_seconds if refresh else None,
        )
        self._by_access[grant.access_token] = grant
        if refresh:
            self._by_refresh[refresh] = grant
        return grant

    def token_body(self, grant: Grant, *, include_refresh: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": grant.access_token,
            "token_type": "bearer",
            "expires_in": max(0, round(grant.access_expires_at - time.time())),
            "scope": " ".join(grant.scopes),
        }
        if include_refresh and grant.refresh_token and grant.refresh_expires_at:
            body["refresh_token"] = grant.refresh_token
            body["refresh_token_expires_in"] = round(grant.refresh_expires_at - time.time())
        return body

    async def revoke_endpoint(self, request: web.Request) -> web.Response:
        """RFC 7009: revoke by access or refresh token; unknown tokens still answer 200."""
        form = {k: str(v) for k, v in (await request.post()).items()}
        try:
            self.authenticate_client(request, form)
        except TokenError as exc:
            return self.error(exc.status, exc.error, exc.description)
        token = form.get("token", "")
        grant = self._by_access.get(token) or self._by_refresh.get(token)
        if grant is not None:
            self.revoke(grant)
        return web.Response(status=200)

    # ── API side ──

    def grant_for(self, token: str | None, *, scope: str | None = None) -> Grant:
        """The grant behind an API call's token, or TokenRefused saying why not."""
        if not token:
            raise TokenRefused("missing")
        grant = self._by_access.get(token)
        if grant is None:
            raise TokenRefused("invalid")
        if grant.revoked:
            raise TokenRefused("revoked")
        if grant.access_expires_at < time.time():
            raise TokenRefused("expired")
        if scope is not None and scope not in grant.scopes:
            raise TokenRefused("insufficient_scope")
        return grant

    @staticmethod
    def bearer(request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        return header[7:].strip() if header.lower().startswith("bearer ") else None

    # ── test and demo controls ──

    def grants(self, account_id: str | None = None) -> list[Grant]:
        unique = {id(g): g for g in self._by_access.values()}.values()
        return [g for g in unique if account_id is None or g.account.account_id == account_id]

    def expire_access_tokens(self, account_id: str | None = None) -> int:
        """Make live access tokens expired now (refresh tokens keep working)."""
        grants = self.grants(account_id)
        for grant in grants:
            grant.access_expires_at = time.time() - 1
        return len(grants)

    def revoke(self, grant: Grant) -> None:
        grant.revoked = True
        self.revocations += 1
        self._by_refresh.pop(grant.refresh_token or "", None)

    def revoke_account(self, account_id: str) -> int:
        grants = self.grants(account_id)
        for grant in grants:
            self.revoke(grant)
        return len(grants)


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query), *params.items()])
    return urlunsplit(parts._replace(query=query))
