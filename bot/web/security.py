"""Security headers on every response of the bot's web server, as one aiohttp middleware.

A route that needs its own value of one of these (an item page that may be cached, a photo)
sets it on its response; the middleware only fills in what is missing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping

from aiohttp import web

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # an OAuth callback's URL carries the code: never pass it on
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Frame-Options": "DENY",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _fill(headers: MutableMapping[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as raised:  # 404s, redirects and errors raised by aiohttp
        _fill(raised.headers)
        raise
    _fill(response.headers)
    return response
