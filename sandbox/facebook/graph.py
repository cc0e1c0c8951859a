"""What every Graph API handler shares: the caller's token (header, query or form) and Graph's
refusals of it, the permission check, `fields` selection, cursor paging and the catalogs a
caller may see."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final
from urllib.parse import urlencode

from aiohttp import web

from sandbox.facebook.catalog import Catalog, CatalogBackend
from sandbox.facebook.errors import GraphError, missing_object
from sandbox.kit import Grant, OAuthProvider, TokenRefused

API_VERSION: Final = "v24.0"


class GraphApi:
    """The base of the handler classes; each adds its routes under the version prefix with
    `routes(router, prefix)`."""

    def __init__(self, oauth: OAuthProvider, store: CatalogBackend, *, app_id: str,
                 base_url: Callable[[], str]) -> None:
        self.oauth = oauth
        self.store = store
        self.app_id = app_id
        self.base_url = base_url

    @staticmethod
    def token_of(request: web.Request, form: dict[str, Any] | None = None) -> str | None:
        """The caller's token: an Authorization header (Bearer or OAuth), the query or the form."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() in ("bearer", "oauth") and value.strip():
            return value.strip()
        token = request.query.get("access_token") or (form or {}).get("access_token")
        return str(token) if token else None

    def grant(
        self,
        request: web.Request,
        *,
        any_of: Iterable[str] = (),
        form: dict[str, Any] | None = None,
    ) -> Grant:
        """The grant behind the call's user token, or Graph's refusal."""
        try:
            grant = self.oauth.grant_for(self.token_of(request, form))
        except TokenRefused as exc:
            raise self.token_refusal(exc.reason) from None
        needed = tuple(any_of)
        if needed and not set(needed) & set(grant.scopes):
            raise GraphError(
                403, 200, f"(#200) Requires {' or '.join(needed)} permission to manage the object"
            )
        return grant

    def token_refusal(self, reason: str) -> GraphError:
        """Graph's answer to a missing, expired, revoked or unreadable token."""
        if reason == "missing":
            return GraphError(400, 104, "An access token is required to request this resource.")
        if reason == "expired":
            return GraphError(
                400, 190, "Error validating access token: Session has expired.", subcode=463
            )
        if reason == "revoked":
            return GraphError(400, 190, (
                f"Error validating access token: The user has not authorized application "
                f"{self.app_id}."
            ), subcode=458)
        return GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")

    def find_grant(self, token: str) -> Grant | None:
        """The grant a token was issued for, even when it no longer works."""
        return next((g for g in self.oauth.grants() if g.access_token == token), None)

    @staticmethod
    def fields(
        request: web.Request, allowed: frozenset[str], default: str, node: str
    ) -> list[str]:
        """The names asked for in `fields` (or `default`), refusing any the node does not have."""
        wanted = [f.strip() for f in request.query.get("fields", default).split(",") if f.strip()]
        for name in wanted:
            if name not in allowed:
                raise GraphError(400, 100, (
                    f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"
                ))
        return wanted

    def paged(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        """One page of `items` with Graph's cursors and the next page's URL."""
        limit = max(1, min(int(request.query.get("limit", "25") or 25), 500))
        start = int(request.query.get("after", "0") or 0)
        page = items[start:start + limit]
        end = start + len(page)
        body: dict[str, Any] = {"data": page}
        if page:
            body["paging"] = {"cursors": {"before": str(start), "after": str(end)}}
            if end < len(items):
                query = {**request.query, "after": str(end)}
                body["paging"]["next"] = f"{self.base_url()}{request.path}?{urlencode(query)}"
        return web.json_response(body)

    def catalog(self, grant: Grant, catalog_id: str, method: str) -> Catalog:
        """A catalog the caller may see, or Graph's "does not exist" refusal."""
        catalog = self.store.visible_catalog(grant.account.account_id, catalog_id)
        if catalog is None:
            raise missing_object(catalog_id, method)
        return catalog
