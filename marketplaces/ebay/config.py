"""eBay's configuration: its hosts in each environment, our keyset, and the variables that set
them, so the adapter runs against eBay, eBay's own sandbox, or ours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from marketplaces.base import OAuthSettings
from marketplaces.settings import EnvReader, callback_url

NAME: Final = "ebay"

SCOPE_INVENTORY: Final = "https://api.ebay.com/oauth/api_scope/sell.inventory"
SCOPE_ACCOUNT: Final = "https://api.ebay.com/oauth/api_scope/sell.account"
SCOPE_FULFILLMENT: Final = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
SCOPE_IDENTITY: Final = "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly"
SCOPE_APPLICATION: Final = "https://api.ebay.com/oauth/api_scope"
USER_SCOPES: Final = (SCOPE_INVENTORY, SCOPE_ACCOUNT, SCOPE_FULFILLMENT, SCOPE_IDENTITY)

# The APIs' paths under their hosts.
INVENTORY: Final = "/sell/inventory/v1"
ACCOUNT: Final = "/sell/account/v1"
FULFILLMENT: Final = "/sell/fulfillment/v1"
TAXONOMY: Final = "/commerce/taxonomy/v1"
MEDIA: Final = "/commerce/media/v1_beta"
IDENTITY: Final = "/commerce/identity/v1"


@dataclass(frozen=True)
class Environment:
    """eBay's hosts for one of its environments."""

    authorize_url: str
    token_url: str
    api_base_url: str
    identity_base_url: str
    media_base_url: str
    web_base_url: str


PRODUCTION = Environment(
    authorize_url="https://auth.ebay.com/oauth2/authorize",
    token_url="https://api.ebay.com/identity/v1/oauth2/token",
    api_base_url="https://api.ebay.com",
    identity_base_url="https://apiz.ebay.com",
    media_base_url="https://apim.ebay.com",
    web_base_url="https://www.ebay.com",
)
SANDBOX = Environment(
    authorize_url="https://auth.sandbox.ebay.com/oauth2/authorize",
    token_url="https://api.sandbox.ebay.com/identity/v1/oauth2/token",
    api_base_url="https://api.sandbox.ebay.com",
    identity_base_url="https://apiz.sandbox.ebay.com",
    media_base_url="https://apim.sandbox.ebay.com",
    web_base_url="https://sandbox.ebay.com",
)
ENVIRONMENTS = {"production": PRODUCTION, "sandbox": SANDBOX}


@dataclass(frozen=True)
class EbayConfig:
    """Everything the adapter needs; every URL is here so it runs against eBay, eBay's own
    sandbox, or ours."""

    client_id: str  # the keyset's App ID
    client_secret: str = field(repr=False)  # the keyset's Cert ID
    redirect_uri: str  # the RuName, which eBay takes as redirect_uri
    authorize_url: str = PRODUCTION.authorize_url
    token_url: str = PRODUCTION.token_url
    api_base_url: str = PRODUCTION.api_base_url  # Sell APIs, Taxonomy
    identity_base_url: str = PRODUCTION.identity_base_url  # Commerce Identity (apiz)
    media_base_url: str = PRODUCTION.media_base_url  # Commerce Media (apim)
    web_base_url: str = PRODUCTION.web_base_url  # public listing pages
    marketplace_id: str = "EBAY_US"
    content_language: str = "en-US"

    def oauth_settings(self) -> OAuthSettings:
        """The grant as eBay runs it: the keyset in a Basic header, no PKCE, no revocation of
        user tokens, refresh tokens that are never rotated."""
        return OAuthSettings(
            self.client_id, self.client_secret, self.authorize_url, self.token_url,
            self.redirect_uri, USER_SCOPES,
        )


_URL_VARS: Mapping[str, str] = {
    "EBAY_AUTHORIZE_URL": "authorize_url",
    "EBAY_TOKEN_URL": "token_url",
    "EBAY_API_BASE_URL": "api_base_url",
    "EBAY_IDENTITY_BASE_URL": "identity_base_url",
    "EBAY_MEDIA_BASE_URL": "media_base_url",
    "EBAY_WEB_BASE_URL": "web_base_url",
}

ENV_VARS: dict[str, str] = {
    "EBAY_CLIENT_ID": "App ID (Client ID) of your eBay keyset; leave empty to turn eBay off.",
    "EBAY_CLIENT_SECRET": "Cert ID (Client Secret) of the same keyset.",
    "EBAY_RUNAME": "RuName eBay redirects to after consent (its accepted URL must be "
    "PUBLIC_BASE_URL/oauth/ebay/callback); defaults to that URL itself.",
    "EBAY_ENVIRONMENT": "production or sandbox: which eBay the URLs below default to "
    "(production).",
    "EBAY_AUTHORIZE_URL": "Consent page (https://auth.ebay.com/oauth2/authorize).",
    "EBAY_TOKEN_URL": "Token endpoint (https://api.ebay.com/identity/v1/oauth2/token).",
    "EBAY_API_BASE_URL": "Sell, Taxonomy APIs host (https://api.ebay.com).",
    "EBAY_IDENTITY_BASE_URL": "Commerce Identity API host (https://apiz.ebay.com).",
    "EBAY_MEDIA_BASE_URL": "Commerce Media API host, for photo uploads (https://apim.ebay.com).",
    "EBAY_WEB_BASE_URL": "Where listing pages live, /itm/<id> (https://www.ebay.com).",
}


def config_from_env(env: Mapping[str, str], *, public_base_url: str | None) -> EbayConfig | None:
    """The eBay settings, or None when EBAY_CLIENT_ID is unset; ValueError names every variable
    that is missing or malformed when eBay is only partly configured."""
    settings = EnvReader(env)
    client_id = settings.get("EBAY_CLIENT_ID")
    if client_id is None:
        return None
    secret = settings.require("EBAY_CLIENT_SECRET", "the Cert ID of your eBay keyset")
    environment = ENVIRONMENTS.get((settings.get("EBAY_ENVIRONMENT") or "production").lower())
    if environment is None:
        settings.problem("EBAY_ENVIRONMENT is malformed (expected production or sandbox)")
        environment = PRODUCTION
    runame = settings.require(
        "EBAY_RUNAME",
        "your app's RuName, or set PUBLIC_BASE_URL",
        default=callback_url(public_base_url, NAME),
    )
    urls = {
        attr: (settings.url(variable) or getattr(environment, attr)).rstrip("/")
        for variable, attr in _URL_VARS.items()
    }
    settings.raise_problems("eBay is partly configured")
    return EbayConfig(client_id=client_id, client_secret=secret, redirect_uri=runame, **urls)
