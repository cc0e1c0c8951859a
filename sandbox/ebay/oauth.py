"""OAuth as eBay runs it: the scopes, the sandbox app's credentials and token lifetimes, the
authorize and token paths, and eBay's quirks at the token endpoint."""

from __future__ import annotations

from typing import Any

from sandbox.kit import Grant, OAuthClient, OAuthProvider, TokenError

SCOPE_INVENTORY = "https://api.ebay.com/oauth/api_scope/sell.inventory"
SCOPE_ACCOUNT = "https://api.ebay.com/oauth/api_scope/sell.account"
SCOPE_FULFILLMENT = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
SCOPE_IDENTITY = "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly"
SCOPE_NOTIFICATION = "https://api.ebay.com/oauth/api_scope/commerce.notification.subscription"
SCOPE_NOTIFICATION_READ = f"{SCOPE_NOTIFICATION}.readonly"
SCOPE_APPLICATION = "https://api.ebay.com/oauth/api_scope"
USER_SCOPES = (SCOPE_INVENTORY, SCOPE_ACCOUNT, SCOPE_FULFILLMENT, SCOPE_IDENTITY,
               SCOPE_NOTIFICATION, SCOPE_NOTIFICATION_READ)

CLIENT_ID = "DealScou-DealScou-SBX-5f3e2a1b4-7c9d0e12"
CLIENT_SECRET = "SBX-5f3e2a1b4c7d-9e0f-4a1b-8c2d-3e4f"
ACCESS_TTL_SECONDS = 7200
REFRESH_TTL_SECONDS = 47_304_000  # about 18 months

AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/identity/v1/oauth2/token"


class EbayOAuth(OAuthProvider):
    """eBay's token endpoint: "User/Application Access Token" types, no `scope` in responses,
    application tokens only for the public scope, refresh scopes within the grant."""

    INVALID_SCOPE = (
        "The requested scope is invalid, unknown, malformed, or exceeds the scope granted to the "
        "client"
    )

    def token_body(self, grant: Grant, *, include_refresh: bool = True) -> dict[str, Any]:
        body = super().token_body(grant, include_refresh=include_refresh)
        body.pop("scope", None)
        application = grant.account.account_id.startswith("app:")
        body["token_type"] = "Application Access Token" if application else "User Access Token"
        return body

    def _application_token(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        requested = set(form.get("scope", "").split())
        if not requested or not requested <= {SCOPE_APPLICATION}:
            raise TokenError(400, "invalid_scope", self.INVALID_SCOPE)
        return super()._application_token(client, form)

    def _refresh(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        grant = self._by_refresh.get(form.get("refresh_token", ""))
        requested = set(form.get("scope", "").split())
        if grant is not None and not requested <= set(grant.scopes):
            raise TokenError(400, "invalid_scope", self.INVALID_SCOPE)
        return super()._refresh(client, form)
