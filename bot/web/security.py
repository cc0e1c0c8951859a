"""Security headers on every response of the bot's web server.

They are set as the response is prepared (aiohttp's on_response_prepare), which every response
of the app goes through: a handler's, an HTTP error it raised, aiohttp's own 404 and 405, and
the 500 of an unexpected error, which never passes a middleware. A route that needs its own
value of one of these (an item page that may be cached, a photo) sets it on its response; only
what is missing is filled in. `Server` names the product without a version, so a probe learns
nothing to look up.
"""

from __future__ import annotations

from aiohttp import web

SERVER_NAME = "Deal Scout"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # an OAuth callback's URL carries the code: never pass it on
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Frame-Options": "DENY",
}


async def secure_response(request: web.BaseRequest, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Server"] = SERVER_NAME


def protect(app: web.Application) -> None:
    """Give every response `app` sends the security headers and a version-less `Server`."""
    app.on_response_prepare.append(secure_response)
