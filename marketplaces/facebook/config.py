"""Facebook's configuration: our Meta app, the Graph API version, and every URL, so the adapter
runs against the real Graph API or our sandbox."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from marketplaces.base import OAuthSettings
from marketplaces.settings import EnvReader, callback_url

NAME: Final = "facebook"
DEFAULT_API_VERSION: Final = "v24.0"
SCOPES: Final = ("catalog_management", "business_management")
NUMERIC_ID: Final = re.compile(r"^\d{1,30}$")  # app, catalog and product ids
_VERSION: Final = re.compile(r"^v\d+\.\d+$")


@dataclass(frozen=True)
class FacebookConfig:
    """Where Facebook lives and who we are to it; every URL can point at the real Graph API or
    at our sandbox."""

    app_id: str
    app_secret: str = field(repr=False)
    redirect_uri: str
    item_link_base: str  # product `link` = f"{item_link_base}/{sku}", our public item page
    api_version: str = DEFAULT_API_VERSION
    authorize_url: str = f"https://www.facebook.com/{DEFAULT_API_VERSION}/dialog/oauth"
    token_url: str = f"https://graph.facebook.com/{DEFAULT_API_VERSION}/oauth/access_token"
    graph_url: str = f"https://graph.facebook.com/{DEFAULT_API_VERSION}"
    web_base: str = "https://www.facebook.com"
    batch_poll_interval: float = 1.0  # first wait between check_batch_request_status calls
    batch_poll_timeout: float = 60.0  # give up (TemporarilyUnavailable; safe to retry) after

    def oauth_settings(self) -> OAuthSettings:
        """Facebook Login's code flow: comma-separated scopes, no PKCE, the app secret in the
        form, no refresh tokens (the seller reconnects), revocation by DELETE /me/permissions."""
        return OAuthSettings(
            self.app_id, self.app_secret, self.authorize_url, self.token_url, self.redirect_uri,
            SCOPES, revoke_url=f"{self.graph_url}/me/permissions",
            token_auth="client_secret_post", scope_separator=",", refreshable=False,
        )


ENV_VARS: Final = {
    "FACEBOOK_APP_ID": "App ID from the Meta app dashboard; leave empty to turn Facebook off.",
    "FACEBOOK_APP_SECRET": "App secret from the Meta app dashboard (Settings > Basic).",
    "FACEBOOK_API_VERSION": f"Graph API version used in every URL below ({DEFAULT_API_VERSION}).",
    "FACEBOOK_REDIRECT_URI": "OAuth redirect URI (PUBLIC_BASE_URL/oauth/facebook/callback).",
    "FACEBOOK_AUTHORIZE_URL": "Login dialog (https://www.facebook.com/{version}/dialog/oauth).",
    "FACEBOOK_TOKEN_URL": "Token URL (https://graph.facebook.com/{version}/oauth/access_token).",
    "FACEBOOK_GRAPH_URL": "Graph API base (https://graph.facebook.com/{version}).",
    "FACEBOOK_WEB_BASE_URL": "Public pages base for product links (https://www.facebook.com).",
    "FACEBOOK_ITEM_LINK_BASE": "Base of each product's `link` field (PUBLIC_BASE_URL/items).",
}


def config_from_env(
    env: Mapping[str, str], *, public_base_url: str | None
) -> FacebookConfig | None:
    """The Facebook settings, None when FACEBOOK_APP_ID is unset; ValueError naming every
    missing or malformed variable when Facebook is only partly configured."""
    settings = EnvReader(env)
    app_id = settings.get("FACEBOOK_APP_ID")
    if app_id is None:
        return None
    if not NUMERIC_ID.match(app_id):
        settings.problem("FACEBOOK_APP_ID must be the numeric App ID from the Meta app dashboard")
    secret = settings.require("FACEBOOK_APP_SECRET")
    version = settings.get("FACEBOOK_API_VERSION") or DEFAULT_API_VERSION
    if not _VERSION.match(version):
        settings.problem("FACEBOOK_API_VERSION must look like v24.0")
    items = f"{public_base_url.rstrip('/')}/items" if public_base_url else None

    def url(name: str, default: str | None) -> str:
        return (settings.url(name, default, missing="or set PUBLIC_BASE_URL") or "").rstrip("/")

    config = FacebookConfig(
        app_id=app_id,
        app_secret=secret,
        redirect_uri=url("FACEBOOK_REDIRECT_URI", callback_url(public_base_url, NAME)),
        item_link_base=url("FACEBOOK_ITEM_LINK_BASE", items),
        api_version=version,
        authorize_url=url(
            "FACEBOOK_AUTHORIZE_URL", f"https://www.facebook.com/{version}/dialog/oauth"
        ),
        token_url=url(
            "FACEBOOK_TOKEN_URL", f"https://graph.facebook.com/{version}/oauth/access_token"
        ),
        graph_url=url("FACEBOOK_GRAPH_URL", f"https://graph.facebook.com/{version}"),
        web_base=url("FACEBOOK_WEB_BASE_URL", "https://www.facebook.com"),
    )
    settings.raise_problems("Facebook is partly configured")
    return config
