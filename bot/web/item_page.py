"""GET /items/{sku}: the item's own public page.

Facebook requires every catalog product to carry a `link` to the seller's page for it; resellers
have no shop site, so this is it: title, price, condition, description, and where to buy it.
"""

from __future__ import annotations

import html

from aiohttp import web

from bot.context import DealScoutApplication
from bot.parsing import format_price
from bot.selling.texts import CONDITIONS


class ItemPages:
    def __init__(self, application: DealScoutApplication) -> None:
        self._application = application

    def register(self, app: web.Application) -> None:
        app.router.add_get("/items/{sku}", self.show)

    async def show(self, request: web.Request) -> web.Response:
        services = self._application.services
        sku = request.match_info["sku"]
        listing = await services.listings.by_sku(sku) if len(sku) <= 64 else None
        if listing is None or listing.state == "withdrawn":
            raise web.HTTPNotFound(text="This item is not listed.")
        copies = [
            (services.marketplaces[c.marketplace].display_name, c.url)
            for c in await services.listings.cross_posts(listing.id)
            if c.state == "published" and c.url and c.marketplace in services.marketplaces
        ]
        links = "".join(
            f'<li><a href="{html.escape(url)}">{html.escape(name)}</a></li>' for name, url in copies
        )
        sold = "<p><b>Sold.</b></p>" if listing.state == "sold" else ""
        body = (
            f"<h1>{html.escape(listing.title, quote=False)}</h1>{sold}"
            f"<p>{html.escape(format_price(listing.price_cents))} · "
            f"{CONDITIONS.get(listing.condition, '')}</p>"
            f"<p>{html.escape(listing.description, quote=False)}</p>"
            + (f"<p>Buy it on:</p><ul>{links}</ul>" if links else "")
        )
        document = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(listing.title)}</title></head><body>{body}</body></html>"
        )
        return web.Response(text=document, content_type="text/html",
                            headers={"Cache-Control": "public, max-age=300"})
