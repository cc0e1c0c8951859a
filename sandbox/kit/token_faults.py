"""Ways a real OAuth token endpoint misbehaves, queued by a test for the next token calls: an
HTML page with 200, a 400 whose JSON has no `error`, fields of the wrong type, an answer lost
after the work was done (the code redeemed, the refresh token rotated), a grant narrower than
asked for, an answer without `expires_in`, and a 503 or 429 under load. Each is a thing an
independent provider was seen to do."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from enum import StrEnum

from aiohttp import web

from sandbox.kit.errors import ErrorResponder


class TokenFault(StrEnum):
    HTML_PAGE = "html_page"  # 200 with an HTML page (a login wall, a gateway's page)
    ERROR_WITHOUT_CODE = "error_without_code"  # 400 with a JSON body but no `error`
    WRONG_TYPES = "wrong_types"  # 200, a string access_token, but the other fields mistyped
    HANG_AFTER_WORK = "hang_after_work"  # redeems or rotates, then answers too late to be heard
    NARROW_SCOPE = "narrow_scope"  # the grant gets only `scopes`, whatever was asked
    NO_EXPIRES_IN = "no_expires_in"  # the answer names no access token lifetime
    UNAVAILABLE = "unavailable"  # 503: down for the moment
    SLOW_DOWN = "slow_down"  # 429 with Retry-After


@dataclass(frozen=True)
class QueuedTokenFault:
    kind: TokenFault
    grant_type: str | None  # only calls of this grant type take it (any when None)
    scopes: tuple[str, ...] = ()  # NARROW_SCOPE: what is granted

    def applies_to(self, grant_type: str) -> bool:
        return self.grant_type is None or self.grant_type == grant_type


@dataclass
class TokenFaults:
    """Faults for the token endpoint, taken in the order queued, each by one call."""

    hang_seconds: float = 30.0  # HANG_AFTER_WORK: longer than any client waits
    injected: Counter[str] = field(default_factory=Counter)
    _queued: deque[QueuedTokenFault] = field(default_factory=deque)

    def next(
        self,
        kind: TokenFault | str,
        *,
        grant_type: str | None = None,
        times: int = 1,
        scopes: tuple[str, ...] = (),
    ) -> None:
        """Queue `times` faults for the next token calls (of `grant_type` when given), e.g.
        next("html_page", grant_type="refresh_token")."""
        fault = QueuedTokenFault(TokenFault(kind), grant_type, scopes)
        if fault.kind is TokenFault.NARROW_SCOPE and grant_type not in (None, "authorization_code"):
            raise ValueError("a narrowed scope is granted at the code exchange")
        self._queued.extend(fault for _ in range(times))

    def clear(self) -> None:
        self._queued.clear()

    def draw(self, grant_type: str) -> QueuedTokenFault | None:
        """The first queued fault this call takes, removed from the queue."""
        for queued in self._queued:
            if queued.applies_to(grant_type):
                self._queued.remove(queued)
                self.injected[queued.kind] += 1
                return queued
        return None

    @staticmethod
    def refusal(fault: QueuedTokenFault, error: ErrorResponder) -> web.Response | None:
        """The answer of a fault that answers instead of the endpoint (an error in the
        marketplace's shape, `error`, where it has one), or None."""
        if fault.kind is TokenFault.UNAVAILABLE:
            return error(503, "temporarily_unavailable", "The service is temporarily unavailable.")
        if fault.kind is TokenFault.SLOW_DOWN:
            response = error(429, "slow_down", "Too many requests; slow down.")
            response.headers["Retry-After"] = "1"
            return response
        if fault.kind is TokenFault.HTML_PAGE:
            return web.Response(
                text="<!doctype html><html><body><h1>Please sign in</h1></body></html>",
                content_type="text/html",
            )
        if fault.kind is TokenFault.ERROR_WITHOUT_CODE:
            return web.json_response({"message": "Bad Request", "status": 400}, status=400)
        if fault.kind is TokenFault.WRONG_TYPES:
            return web.json_response({"access_token": "at-" + "x" * 20, "token_type": "bearer",
                                      "expires_in": 3600, "refresh_token": 12345,
                                      "scope": ["listings.write"]})
        return None
