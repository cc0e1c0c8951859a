"""The HTML pages a browser sees on a marketplace sandbox: a listing's public page and the
plain pages of the consent flow, every text escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable

from aiohttp import web


def listing_page(
    *,
    marketplace: str,
    title: str,
    price: str,
    status: str,
    description: str = "",
    image_urls: Iterable[str] = (),
) -> web.Response:
    """The public page at a listing's URL: what a buyer would see, all text escaped."""
    images = "".join(
        f'<img src="{html.escape(url)}" alt="" style="max-width:320px;margin:4px">'
        for url in image_urls
    )
    body = (
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="price">{html.escape(price)}</p>'
        f'<p class="status">{html.escape(status)}</p>'
        f"<div>{images}</div>"
        f'<p class="description">{html.escape(description)}</p>'
    )
    return html_page(f"{title} | {marketplace}", body)


def html_page(title: str, body: str, status: int = 200) -> web.Response:
    """A whole HTML document around `body` (already escaped); `title` is escaped here."""
    document = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )
    return web.Response(text=document, status=status, content_type="text/html")
