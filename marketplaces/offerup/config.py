"""OfferUp's configuration: the partner endpoint implementing docs/offerup-api.md and who we are
to it. OfferUp has no public listing API, so without OFFERUP_API_BASE there is no OfferUp."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from marketplaces.base import OAuthSettings
from marketplaces.settings import EnvReader, callback_url

NAME: Final = "offerup"
SCOPES: Final = ("listings.write", "listings.read", "profile.read")
# A rotated-away refresh token presented again within this many seconds gets the pair the
# rotation issued (docs/offerup-api.md §2.4, "Reuse interval"); after it, the grant is revoked.
REFRESH_REUSE_SECONDS: Final = 60.0


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

    def oauth_settings(self) -> OAuthSettings:
        """The contract's grant: PKCE S256 required, rotating refresh tokens with a reuse
        interval, RFC 7009 revocation, client credentials in a Basic header."""
        return OAuthSettings(
            self.client_id, self.client_secret, self.authorize_url, self.token_url,
            self.redirect_uri, self.scopes, revoke_url=self.revoke_url, pkce=True,
            timeout_seconds=self.timeout_seconds, refresh_reuse_seconds=REFRESH_REUSE_SECONDS,
        )

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


def config_from_env(
    env: Mapping[str, str], *, public_base_url: str | None
) -> OfferUpConfig | None:
    """The OfferUp config from the environment; None when OFFERUP_CLIENT_ID is unset.

    Raises ValueError naming every missing or malformed variable at once.
    """
    settings = EnvReader(env)
    client_id = settings.get("OFFERUP_CLIENT_ID")
    if client_id is None:
        return None
    secret = settings.require("OFFERUP_CLIENT_SECRET")
    api_base = settings.url("OFFERUP_API_BASE", missing="the partner endpoint's base URL") or ""
    api_base = api_base.rstrip("/")

    def endpoint(name: str, default_path: str) -> str:
        return settings.url(name) or f"{api_base}{default_path}"

    config = OfferUpConfig(
        client_id=client_id,
        client_secret=secret,
        api_base=api_base,
        authorize_url=endpoint("OFFERUP_AUTHORIZE_URL", "/oauth/authorize"),
        token_url=endpoint("OFFERUP_TOKEN_URL", "/oauth/token"),
        revoke_url=endpoint("OFFERUP_REVOKE_URL", "/oauth/revoke"),
        redirect_uri=settings.url(
            "OFFERUP_REDIRECT_URI",
            callback_url(public_base_url, NAME),
            missing="or set PUBLIC_BASE_URL",
        ) or "",
    )
    settings.raise_problems("OfferUp is partly configured")
    return config
