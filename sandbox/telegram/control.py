"""A small HTTP side door under /_sandbox/ for manual runs (`python -m sandbox`): send as a
seller, press a button, read a chat, the transcript and the recorded calls. Not part of the Bot
API."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Protocol

from aiohttp import web

from sandbox.telegram.errors import EmulatorError
from sandbox.telegram.seller import Seller


class Emulator(Protocol):
    """What the side door reaches into (server.TelegramEmulator)."""

    calls: Sequence[Any]

    def seller(self, user_id: int, first_name: str, *, username: str | None = None,
               last_name: str | None = None, language_code: str = "en") -> Seller: ...

    def known_seller(self, user_id: int) -> Seller | None: ...

    def transcript(self, user_id: int | None = None) -> str: ...


class ControlSurface:
    """A small HTTP side door under /_sandbox/ for manual runs; not part of the Bot API."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def install(self, app: web.Application) -> None:
        app.router.add_post("/_sandbox/sellers/{user_id:\\d+}/messages", self._send)
        app.router.add_post("/_sandbox/sellers/{user_id:\\d+}/photos", self._photo)
        app.router.add_post("/_sandbox/sellers/{user_id:\\d+}/press", self._press)
        app.router.add_get("/_sandbox/sellers/{user_id:\\d+}/messages", self._messages)
        app.router.add_get("/_sandbox/transcript", self._transcript)
        app.router.add_get("/_sandbox/calls", self._calls)

    def _seller(self, request: web.Request, body: dict[str, Any]) -> Seller:
        user_id = int(request.match_info["user_id"])
        return self._emulator.seller(user_id, str(body.get("first_name") or f"Seller {user_id}"),
                                     username=body.get("username"))

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        try:
            body = await request.json()
        except ValueError as exc:
            raise web.HTTPBadRequest(text="the body must be a JSON object") from exc
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="the body must be a JSON object")
        return body

    async def _send(self, request: web.Request) -> web.Response:
        """POST {"text": "..."} to send it as the seller (created on first use)."""
        body = await self._body(request)
        if not isinstance(body.get("text"), str) or not body["text"]:
            raise web.HTTPBadRequest(text='send {"text": "..."}')
        return web.json_response(await self._seller(request, body).send_text(body["text"]))

    async def _photo(self, request: web.Request) -> web.Response:
        """POST raw image bytes; ?caption=... optional."""
        seller = self._seller(request, dict(request.query))
        try:
            update = await seller.send_photo(await request.read(),
                                             caption=request.query.get("caption"))
        except EmulatorError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        return web.json_response(update)

    async def _press(self, request: web.Request) -> web.Response:
        """POST {"button": "Help", "message_id": 5?} to tap a button."""
        body = await self._body(request)
        seller = self._seller(request, body)
        try:
            update = await seller.press(str(body.get("button", "")),
                                        message_id=body.get("message_id"))
        except EmulatorError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        return web.json_response(update)

    async def _messages(self, request: web.Request) -> web.Response:
        """GET the chat's messages, current state; 404 for a seller who never existed."""
        seller = self._emulator.known_seller(int(request.match_info["user_id"]))
        if seller is None:
            raise web.HTTPNotFound(text="no such seller")
        return web.json_response([message.summary() for message in seller.messages])

    async def _transcript(self, request: web.Request) -> web.Response:
        user_id = request.query.get("user_id")
        text = self._emulator.transcript(int(user_id) if user_id and user_id.isdigit() else None)
        return web.Response(text=text + "\n", content_type="text/plain")

    async def _calls(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(call) for call in self._emulator.calls],
                                 dumps=lambda data: json.dumps(data, default=str))
