"""What every /v1 handler shares: the caller's grant for a scope, or the RFC 6750 challenge the
contract specifies."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from sandbox.kit import Grant, OAuthProvider, TokenRefused
from sandbox.offerup.problems import Problem, token_problem


def is_api(request: web.Request) -> bool:
    """Whether the request is for the /v1 API (faults and problem documents apply)."""
    return request.path.startswith("/v1/")


class PartnerApi:
    """The base of the handler classes; each adds its routes with `routes(router)`."""

    def __init__(self, oauth: OAuthProvider, base_url: Callable[[], str]) -> None:
        self.oauth = oauth
        self.base_url = base_url

    def grant(self, request: web.Request, scope: str) -> Grant:
        """The caller's grant, or the RFC 6750 challenge the contract specifies."""
        try:
            return self.oauth.grant_for(self.oauth.bearer(request), scope=scope)
        except TokenRefused as refused:
            raise Problem(token_problem(refused.reason, scope)) from None
