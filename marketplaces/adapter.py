"""What every API adapter has in common, written once.

An API adapter is named by its `rules` (`name`, `display_name`), connects with the
`OAuthSettings` its configuration gives, has its consent links built by authlib
(`oauth_client.authorization_url`), and keeps one `ApiClient` that closes with it. Everything a
marketplace does its own way lives in that marketplace's package.
"""

from __future__ import annotations

from typing import ClassVar

from marketplaces import oauth_client
from marketplaces.base import OAuthSettings, Rules
from marketplaces.http import ApiClient


class ApiMarketplace:
    """Base of the eBay, Facebook and OfferUp adapters: the shared part of `Marketplace`."""

    rules: ClassVar[Rules]

    def __init__(self, oauth: OAuthSettings, api: ApiClient) -> None:
        self.oauth = oauth
        self._api = api

    @property
    def name(self) -> str:
        """"ebay", "facebook", "offerup": the key everywhere else."""
        return self.rules.marketplace

    @property
    def display_name(self) -> str:
        """The marketplace as sellers write it ("eBay")."""
        return self.rules.display_name

    def authorization_url(self, state: str, code_verifier: str | None = None) -> str:
        """The consent page link; with `oauth.pkce` it carries the S256 challenge of
        `code_verifier` (required then), otherwise the verifier is ignored."""
        return oauth_client.authorization_url(self.name, self.oauth, state, code_verifier)

    async def aclose(self) -> None:
        await self._api.aclose()
