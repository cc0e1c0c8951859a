"""eBay's configuration: its hosts in each environment, our keyset, and the variables that set
them, so the adapter runs against eBay, eBay's own sandbox, or ours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from marketplaces.base import OAuthSettings
from marketplaces.settings import EnvReader, callback_url

NAME: Final = "ebay"
# DeliveryConfig.verificationToken: "between 32 and 80 characters … alphanumeric characters,
# underscores (_), and hyphens (-)" (Notification API).
VERIFICATION_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{32,80}")
EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

SCOPE_INVENTORY: Final = "https://api.ebay.com/oauth/api_scope/sell.inventory"
SCOPE_ACCOUNT: Final = "https://api.ebay.com/oauth/api_scope/sell.account"
SCOPE_FULFILLMENT: Final = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
SCOPE_IDENTITY: Final = "https://api.ebay.com/oauth/api_scope/commerce.identity.readonly"
SCOPE_NOTIFICATION: Final = (
    "https://api.ebay.com/oauth/api_scope/commerce.notification.subscription"
)
SCOPE_APPLICATION: Final = "https://api.ebay.com/oauth/api_scope"
# What a seller grants: listing, their policies, their orders, who they are, and subscribing
# to their own sales (ORDER_CONFIRMATION is a user-level topic of the Notification API).
USER_SCOPES: Final = (
    SCOPE_INVENTORY, SCOPE_ACCOUNT, SCOPE_FULFILLMENT, SCOPE_IDENTITY, SCOPE_NOTIFICATION
)

# The APIs' paths under their hosts.
INVENTORY: Final = "/sell/inventory/v1"
ACCOUNT: Final = "/sell/account/v1"
FULFILLMENT: Final = "/sell/fulfillment/v1"
TAXONOMY: Final = "/commerce/taxonomy/v1"
MEDIA: Final = "/commerce/media/v1_beta"
IDENTITY: Final = "/commerce/identity/v1"
METADATA: Final = "/sell/metadata/v1"
BROWSE: Final = "/buy/browse/v1"
NOTIFICATION: Final = "/commerce/notification/v1"


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
    # Where eBay pushes notifications (our web server's /notifications/ebay), and the token
    # that proves the endpoint is ours (32–80 of A–Z a–z 0–9 _ -); None: no pushes, only polls.
    notification_endpoint: str | None = None
    verification_token: str | None = field(default=None, repr=False)
    # Where eBay writes when our endpoint stops answering (the Notification API's config)
    alert_email: str | None = None

    def with_bot_defaults(self, public_base_url: str | None, secret: str) -> EbayConfig:
        """The config as the bot runs it: pushes to our web server's /notifications/ebay and a
        verification token of our own, where the operator set neither."""
        endpoint = self.notification_endpoint
        if endpoint is None and public_base_url:
            endpoint = f"{public_base_url.rstrip('/')}/notifications/{NAME}"
        return replace(self, notification_endpoint=endpoint,
                       verification_token=self.verification_token or secret)

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
    "EBAY_NOTIFICATION_ENDPOINT": "Where eBay pushes sales and account notices "
    "(PUBLIC_BASE_URL/notifications/ebay).",
    "EBAY_VERIFICATION_TOKEN": "Verification token for that endpoint, 32–80 of A-Z a-z 0-9 _ - "
    "(defaults to one derived from TOKEN_ENCRYPTION_KEY).",
    "EBAY_ALERT_EMAIL": "Where eBay writes when the notification endpoint stops answering "
    "(needed once, before eBay takes an endpoint).",
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
    endpoint = settings.url("EBAY_NOTIFICATION_ENDPOINT")  # else PUBLIC_BASE_URL's
    verification = settings.get("EBAY_VERIFICATION_TOKEN")
    if verification is not None and not VERIFICATION_TOKEN.fullmatch(verification):
        settings.problem("EBAY_VERIFICATION_TOKEN is malformed (32–80 of A-Z a-z 0-9 _ -)")
    alert_email = settings.get("EBAY_ALERT_EMAIL")
    if alert_email is not None and not EMAIL.fullmatch(alert_email):
        settings.problem("EBAY_ALERT_EMAIL is malformed (expected an email address)")
    settings.raise_problems("eBay is partly configured")
    return EbayConfig(
        client_id=client_id, client_secret=secret, redirect_uri=runame,
        notification_endpoint=endpoint, verification_token=verification,
        alert_email=alert_email, **urls,
    )
