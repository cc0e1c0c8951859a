"""The two OAuth routes of our web server.

GET /oauth/{marketplace}/start — opened from the chat's Login URL button: Telegram's signature
proves who opened it; the state is bound to this browser by a cookie, then we redirect to the
marketplace's consent page (the one redirect we ever make, to a URL we built).

GET /oauth/{marketplace}/callback — where the marketplace sends the seller after consent. The page
is plain and says what happened; it never echoes what came in the URL and never redirects.
The chat hears the same news from the bot.

Both are GET only: a HEAD (a link scanner, a messenger's preview) is refused with 405 and
changes nothing, where aiohttp would otherwise run the GET handler for it and spend the link.
"""

from __future__ import annotations

import hashlib
import html
import logging

from aiohttp import web
from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from bot import texts
from bot.accounts.catalog import catalog_keyboard
from bot.buttons import Connect, NewPost, button
from bot.context import DealScoutApplication
from bot.web.telegram_login import (
    MAX_AGE_SECONDS,
    LoginProblem,
    LoginRefused,
    signed_user_id,
)
from marketplaces.base import CatalogChoiceNeeded
from marketplaces.oauth import CallbackRefused, Connected, Refusal

log = logging.getLogger(__name__)


def page(title: str, message: str, status: int) -> web.Response:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;"
        "padding:0 1rem;line-height:1.5}</style></head>"
        f"<body><h1>{html.escape(title, quote=False)}</h1>"
        f"<p>{html.escape(message, quote=False)}</p></body></html>"
    )
    return web.Response(text=body, status=status, content_type="text/html")


def browser_cookie(state: str) -> str:
    """A cookie name per state, so two connections started side by side don't collide."""
    return "ds_oauth_" + hashlib.sha256(state.encode()).hexdigest()[:16]


class OAuthRoutes:
    def __init__(self, application: DealScoutApplication) -> None:
        self._application = application

    def register(self, app: web.Application) -> None:
        app.router.add_get("/oauth/{marketplace}/start", self.start, allow_head=False)
        app.router.add_get("/oauth/{marketplace}/callback", self.callback, allow_head=False)

    async def start(self, request: web.Request) -> web.Response:
        services = self._application.services
        marketplace = request.match_info["marketplace"]
        state = request.query.get("ref", "")
        try:
            user_id = signed_user_id(request.query, self._application.bot.token)
        except LoginRefused as refused:
            if refused.problem is LoginProblem.STALE:
                return page("Link too old", texts.login_too_old(MAX_AGE_SECONDS // 60), 400)
            return page("Not connected", texts.LOGIN_UNSIGNED, 400)
        try:
            authorize_url, nonce = await services.broker.open(marketplace, state, user_id)
        except CallbackRefused as refused:
            return page("Not connected", self._refusal(refused), 400)
        response = web.Response(status=302, headers={"Location": authorize_url})
        response.set_cookie(
            browser_cookie(state),
            nonce,
            max_age=600,
            path=f"/oauth/{marketplace}/",
            httponly=True,
            secure=request.secure or services.settings.public_base_url.startswith("https:"),
            samesite="Lax",  # sent on the marketplace's top-level redirect back to us
        )
        return response

    async def callback(self, request: web.Request) -> web.Response:
        services = self._application.services
        marketplace = request.match_info["marketplace"]
        if len(request.query) != len(set(request.query.keys())):
            return page("Not connected", texts.refusal(CallbackRefused(Refusal.MALFORMED), ""), 400)
        state = request.query.get("state", "")
        nonce = request.cookies.get(browser_cookie(state)) if state else None
        try:
            connected = await services.broker.complete(marketplace, dict(request.query), nonce)
        except CallbackRefused as refused:
            if refused.telegram_id is not None:
                await self._tell(
                    refused.telegram_id,
                    texts.connect_refused(self._refusal(refused)),
                    InlineKeyboardMarkup([[button("Try again", Connect(marketplace))]]),
                )
            title = "You declined" if refused.reason is Refusal.DECLINED else "Not connected"
            return page(title, self._refusal(refused), refused.status)
        name = services.marketplaces[marketplace].display_name
        await self._tell(connected.telegram_id, *self._connected_message(name, connected))
        response = page(
            f"Connected to {name}", f"Connected to {name} — you can go back to Telegram.", 200
        )
        response.del_cookie(browser_cookie(state), path=f"/oauth/{marketplace}/")
        return response

    def _refusal(self, refused: CallbackRefused) -> str:
        adapter = self._application.services.marketplaces.get(refused.marketplace or "")
        return texts.refusal(refused, adapter.display_name if adapter else "The marketplace")

    @staticmethod
    def _connected_message(
        name: str, connected: Connected
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        text = texts.connected(name, connected.account.display_name)
        markup = InlineKeyboardMarkup([[button("📦 Post an item", NewPost())]])
        problem = connected.setup_problem
        if isinstance(problem, CatalogChoiceNeeded):
            text += "\n\n" + texts.choose_catalog(name)
            markup = catalog_keyboard(connected.marketplace, list(problem.catalogs))
        elif problem is not None:
            text += "\n\n" + texts.setup_needed(name, problem.message)
        return text, markup

    async def _tell(
        self, telegram_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        try:
            await self._application.bot.send_message(telegram_id, text, reply_markup=markup)
        except TelegramError as exc:
            log.warning("could not tell user %s about a connection: %s", telegram_id, exc)

