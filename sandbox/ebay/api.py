"""What every eBay API handler shares: the bearer token check (with its scope), the caller's
seller account, and eBay's request-format checks (JSON bodies, Content-Language)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.ebay.accounts import Seller
from sandbox.ebay.errors import invalid_request, inventory_error, token_refused
from sandbox.ebay.marketplace import LOCALES
from sandbox.ebay.state import EbayState
from sandbox.kit import Grant, OAuthProvider, TokenRefused


class EbayApi:
    """What every API shares: the bearer token check and eBay's request-format checks. Each
    subclass adds its routes with `routes(router)`."""

    def __init__(self, state: EbayState, oauth: OAuthProvider) -> None:
        self.state = state
        self.oauth = oauth

    def grant(self, request: web.Request, scope: str) -> Grant:
        self.state.requests.append(f"{request.method} {request.path}")
        try:
            return self.oauth.grant_for(OAuthProvider.bearer(request), scope=scope)
        except TokenRefused as exc:
            raise token_refused(exc.reason) from None

    def grant_any(self, request: web.Request, scopes: tuple[str, ...]) -> Grant:
        """The caller's grant when its token holds any one of `scopes` (eBay lists the scopes
        that each suffice under an operation's `security`)."""
        self.state.requests.append(f"{request.method} {request.path}")
        try:
            grant = self.oauth.grant_for(OAuthProvider.bearer(request))
        except TokenRefused as exc:
            raise token_refused(exc.reason) from None
        if not set(scopes) & set(grant.scopes):
            raise token_refused("insufficient_scope")
        return grant

    def seller(self, request: web.Request, scope: str) -> Seller:
        return self.state.sellers[self.grant(request, scope).account.account_id]

    @staticmethod
    async def json_body(request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise invalid_request("The Content-Type header must be application/json.")
        try:
            body = json.loads(await request.text() or "null")
        except ValueError:
            raise invalid_request("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise invalid_request("The request body must be a JSON object.")
        return body

    @staticmethod
    def content_language(request: web.Request) -> str:
        """Inventory writes need the language of their texts, as eBay insists."""
        language = request.headers.get("Content-Language", "")
        if language not in LOCALES:
            raise inventory_error(400, 25709, "Invalid value for header Content-Language.")
        return language
