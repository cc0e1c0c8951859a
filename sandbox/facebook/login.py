"""Facebook Login and its tokens: the Login dialog (comma-separated scopes), the code exchange
and fb_exchange_token at oauth/access_token, and debug_token."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web

from sandbox.facebook.catalog import CatalogBackend
from sandbox.facebook.errors import GraphError, graph_error_response
from sandbox.facebook.graph import GraphApi
from sandbox.kit import OAuthClient, OAuthProvider, TokenError, TokenRefused

APP_ID: Final = "1784512309917403"
APP_SECRET: Final = "3f8a0c6e1b2d4f5a9c7e8b1d2a3c4e5f"
SHORT_LIVED_SECONDS: Final = 2 * 3600
LONG_LIVED_SECONDS: Final = 60 * 86400
SCOPES: Final = frozenset({"public_profile", "email", "catalog_management", "business_management"})


class FacebookOAuth(OAuthProvider):
    """Facebook Login: comma-separated scopes (normalised for the shared consent flow)."""

    async def consent(
        self, authorize_url: str, *, approve: bool = True, account_id: str | None = None
    ) -> str:
        return await super().consent(
            _spaced_scope(authorize_url), approve=approve, account_id=account_id
        )


def _spaced_scope(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v.replace(",", " ") if k == "scope" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class LoginApi(GraphApi):
    """dialog/oauth, oauth/access_token and debug_token."""

    def __init__(self, oauth: OAuthProvider, store: CatalogBackend, *, app_id: str,
                 app_secret: str, base_url: Callable[[], str]) -> None:
        super().__init__(oauth, store, app_id=app_id, base_url=base_url)
        self.app_secret = app_secret

    def routes(self, router: web.UrlDispatcher, prefix: str) -> None:
        router.add_get(f"{prefix}/dialog/oauth", self.dialog)
        router.add_post(f"{prefix}/dialog/oauth", self.oauth.decide)
        router.add_route("*", f"{prefix}/oauth/access_token", self.token)
        router.add_get(f"{prefix}/debug_token", self.debug_token)

    async def dialog(self, request: web.Request) -> web.Response:
        """The Login dialog; Facebook's comma-separated scope is read like spaces."""
        scope = request.query.get("scope", "")
        if "," in scope:
            url = request.rel_url.update_query(scope=scope.replace(",", " "))
            request = request.clone(rel_url=url)
        return await self.oauth.authorize_page(request)

    async def token(self, request: web.Request) -> web.Response:
        """oauth/access_token: the code exchange (no grant_type, as Facebook documents) and
        grant_type=fb_exchange_token; GET with query parameters or POST with a form."""
        form = {**request.query, **{k: str(v) for k, v in (await request.post()).items()}}
        grant_type = form.get("grant_type") or ("authorization_code" if "code" in form else "")
        self.oauth.token_requests.append({"grant_type": grant_type})
        try:
            client = self.oauth.authenticate_client(request, form)
            if grant_type == "authorization_code":
                issued = self.oauth.redeem_code(client, {**form, "grant_type": grant_type})
                body = self._token_body(issued["access_token"], int(issued["expires_in"]))
            elif grant_type == "fb_exchange_token":
                body = self._long_lived(client, form.get("fb_exchange_token", ""))
            else:
                raise GraphError(400, 100, "Missing authorization code")
        except TokenError as exc:
            return graph_error_response(exc.status, exc.error, exc.description)
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    def _long_lived(self, client: OAuthClient, short_token: str) -> dict[str, Any]:
        try:
            grant = self.oauth.grant_for(short_token)
        except TokenRefused as exc:
            raise self.token_refusal(exc.reason) from None
        if grant.client_id != client.client_id:
            raise self.token_refusal("invalid")
        long_lived = self.oauth.issue(grant.account, client.client_id, grant.scopes,
                                      with_refresh=False)
        long_lived.access_expires_at = time.time() + LONG_LIVED_SECONDS
        return self._token_body(long_lived.access_token, LONG_LIVED_SECONDS)

    @staticmethod
    def _token_body(access_token: str, expires_in: int) -> dict[str, Any]:
        return {"access_token": access_token, "token_type": "bearer", "expires_in": expires_in}

    async def debug_token(self, request: web.Request) -> web.Response:
        app_token = self.token_of(request)
        if not app_token or not secrets.compare_digest(
            app_token, f"{self.app_id}|{self.app_secret}"
        ):
            raise GraphError(400, 190, "Invalid OAuth access token signature.")
        input_token = request.query.get("input_token")
        if not input_token:
            raise GraphError(400, 100, "(#100) The parameter input_token is required")
        return web.json_response({"data": self._inspect(input_token)})

    def _inspect(self, token: str) -> dict[str, Any]:
        grant = self.find_grant(token)
        try:
            self.oauth.grant_for(token)
        except TokenRefused as exc:
            refusal = self.token_refusal(exc.reason)
            data: dict[str, Any] = {"is_valid": False, "scopes": []}
            data["error"] = {"code": refusal.code, "message": refusal.message}
            if refusal.subcode:
                data["error"]["subcode"] = refusal.subcode
            if grant is not None:
                data.update(app_id=grant.client_id, user_id=grant.account.account_id)
            return data
        assert grant is not None
        return {
            "app_id": grant.client_id,
            "type": "USER",
            "application": "Deal Scout",
            "data_access_expires_at": int(time.time()) + 90 * 86400,
            "expires_at": int(grant.access_expires_at),
            "is_valid": True,
            "scopes": list(grant.scopes),
            "granular_scopes": [{"scope": scope} for scope in grant.scopes],
            "user_id": grant.account.account_id,
        }
