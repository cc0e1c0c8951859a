"""How a marketplace sandbox says no: every refusal is answered in that marketplace's own error
shape, so a test sees what the real service would send."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

# (status, error code, description) → the marketplace's error response
ErrorResponder = Callable[[int, str, str], web.Response]
