"""How a marketplace sandbox says no: every refusal is answered in that marketplace's own error
shape, so a test sees what the real service would send. A handler raises a Refusal (eBay's
error list, Graph's error object, a problem document) and the `refusals` middleware answers
with it; injected faults and the token endpoint render theirs through an ErrorResponder."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Awaitable, Callable

from aiohttp import web

# (status, error code, description) → the marketplace's error response
ErrorResponder = Callable[[int, str, str], web.Response]


class Refusal(Exception, metaclass=ABCMeta):
    """Raised by a handler; each marketplace says how it looks on the wire."""

    @abstractmethod
    def response(self) -> web.Response:
        """The error response the marketplace sends for this refusal."""


@web.middleware
async def refusals(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Answer a handler's Refusal with its response."""
    try:
        return await handler(request)
    except Refusal as refusal:
        return refusal.response()
