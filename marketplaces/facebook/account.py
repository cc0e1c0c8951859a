"""The seller's Facebook account: whose token it is, whether it carries the permissions we
asked for, and which Commerce catalog it lists in.

debug_token (with our app token) judges the seller's token: valid or why not, its owner, its
granted scopes. A seller managing one catalog gets it chosen; several raise
`CatalogChoiceNeeded` and the bot calls `with_catalog` with the one picked. The seller's name is
kept as the `brand` Meta asks for on unbranded goods.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from marketplaces.base import (
    Account,
    CatalogChoiceNeeded,
    MarketplaceError,
    NeedsReconnect,
    Rejected,
    TemporarilyUnavailable,
    Tokens,
)
from marketplaces.facebook.catalog import CatalogApi
from marketplaces.facebook.config import NAME, NUMERIC_ID, SCOPES, FacebookConfig
from marketplaces.facebook.errors import (
    MISSING_PERMISSION,
    NO_CATALOG,
    NOT_SET_UP,
    number,
    reconnect,
)
from marketplaces.http import ApiClient


class SellerAccount:
    """Identity, permissions and the chosen catalog, for whoever's tokens are passed."""

    def __init__(self, api: ApiClient, config: FacebookConfig, catalogs: CatalogApi) -> None:
        self._api = api
        self._app_token = f"{config.app_id}|{config.app_secret}"
        self._catalogs = catalogs

    async def whoami(self, tokens: Tokens) -> Account:
        return (await self._identity(tokens))[1]

    async def prepare(self, tokens: Tokens) -> Tokens:
        """Check the permissions, then pick the catalog (CatalogChoiceNeeded if several).
        `extra` gets catalog_id, catalog_name, user_id and brand (the seller's name, which
        Meta asks for as the brand of unbranded goods)."""
        data, account = await self._identity(tokens)
        granted = [str(scope) for scope in data.get("scopes") or []]
        if not set(SCOPES) <= set(granted):
            raise NeedsReconnect(NAME, MISSING_PERMISSION)
        prepared = replace(
            tokens,
            scope=" ".join(granted),
            extra={**tokens.extra, "user_id": account.external_id, "brand": account.display_name},
        )
        catalogs = await self._catalogs.owned(tokens.access_token)
        if not catalogs:
            raise Rejected(NAME, NO_CATALOG, field="account")
        if len(catalogs) > 1:
            raise CatalogChoiceNeeded(
                NAME,
                f"You manage {len(catalogs)} Facebook catalogs. "
                "Choose the one Deal Scout should list your items in.",
                catalogs,
            )
        catalog_id, catalog_name = catalogs[0]
        chosen = with_catalog(prepared, catalog_id)
        return replace(chosen, extra={**chosen.extra, "catalog_name": catalog_name})

    async def brand(self, tokens: Tokens, fallback: str) -> str:
        """The brand set-up stored, else the seller's name now, else `fallback`."""
        brand = tokens.extra.get("brand")
        if brand:
            return brand
        me = await self._me(tokens)
        return str(me.get("name") or fallback)

    async def _me(self, tokens: Tokens) -> dict[str, Any]:
        return await self._api.json(
            "GET", "/me", token=tokens.access_token, params={"fields": "id,name"}
        )

    async def _debug(self, tokens: Tokens) -> dict[str, Any]:
        """debug_token with the app token: validity, owner, expiry and granted scopes."""
        try:
            body = await self._api.json(
                "GET", "/debug_token", token=self._app_token,
                params={"input_token": tokens.access_token},
            )
        except NeedsReconnect:
            # The seller's token is judged in the body; a refused call is about the app token.
            raise MarketplaceError(
                NAME, "facebook refused our app token (check the app secret)"
            ) from None
        data = body.get("data") or {}
        if not data.get("is_valid"):
            raise reconnect(number((data.get("error") or {}).get("subcode")))
        return data

    async def _identity(self, tokens: Tokens) -> tuple[dict[str, Any], Account]:
        """debug_token and /me at once: the token's facts and whose it is."""
        data, me = await asyncio.gather(self._debug(tokens), self._me(tokens))
        user_id = str(data.get("user_id") or me.get("id") or "")
        if not user_id:
            raise TemporarilyUnavailable(NAME, "facebook did not say whose token this is")
        return data, Account(NAME, user_id, str(me.get("name") or user_id))


def with_catalog(tokens: Tokens, catalog_id: str) -> Tokens:
    """The tokens with the seller's chosen catalog, after CatalogChoiceNeeded."""
    if not NUMERIC_ID.match(catalog_id):
        raise ValueError("a Facebook catalog id is numeric")
    return replace(tokens, extra={**tokens.extra, "catalog_id": catalog_id})


def catalog_id_of(tokens: Tokens) -> str:
    """The catalog set-up chose; Rejected(field="account") when set-up never finished."""
    catalog_id = tokens.extra.get("catalog_id")
    if not catalog_id:
        raise Rejected(NAME, NOT_SET_UP, field="account")
    return catalog_id
