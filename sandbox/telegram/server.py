"""The Bot API server stand-in: the HTTP routes PTB calls (methods and file downloads), the
token check, the record of every call, and what ties the chats, updates and methods together."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.kit.server import LoopbackServer
from sandbox.telegram.callbacks import CallbacksApi
from sandbox.telegram.chat import ChatMessage
from sandbox.telegram.commands import CommandsApi
from sandbox.telegram.control import ControlSurface
from sandbox.telegram.errors import ApiError, EmulatorError
from sandbox.telegram.files import FileStore, StoredFile, render_photo
from sandbox.telegram.group import GroupChat
from sandbox.telegram.media import MAX_PHOTO_UPLOAD_BYTES, MediaInput
from sandbox.telegram.messages import MessagesApi
from sandbox.telegram.params import Described, Handler, Params
from sandbox.telegram.ratelimit import RateLimiter
from sandbox.telegram.room import ChatRoom
from sandbox.telegram.seller import Seller
from sandbox.telegram.updates import UpdatesApi

DEFAULT_TOKEN = "123456789:AAE-sandbox-token-for-local-use-only0"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
# Telegram's chat ids: a basic group's is negative, a supergroup's or channel's is -100….
_GROUP_IDS = {"group": -700_000_000, "supergroup": -1_000_700_000_000,
              "channel": -1_000_800_000_000}


@dataclass
class ApiCall:
    """One Bot API request as the emulator answered it."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    description: str | None = None
    result: Any = None


class TelegramEmulator(LoopbackServer):
    """The Bot API server stand-in: serve it, point PTB at it, drive sellers against it."""

    SHUTDOWN_TIMEOUT = 0.25

    def __init__(self, *, token: str = DEFAULT_TOKEN, bot_username: str = "DealScoutBot",
                 bot_first_name: str = "Deal Scout",
                 rate_limit_per_second: int | None = 30) -> None:
        if not _TOKEN_SHAPE.fullmatch(token):
            raise ValueError("token must look like a Bot API token: '<digits>:<30+ characters>'")
        super().__init__()
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.calls: list[ApiCall] = []
        self._sellers: dict[int, Seller] = {}
        self._groups: dict[int, GroupChat] = {}
        self._files = FileStore()
        self._media = MediaInput(self._files)
        self._updates = UpdatesApi()
        self._commands = CommandsApi()
        self._callbacks = CallbacksApi()
        messages = MessagesApi(self.chat, self._media, RateLimiter(rate_limit_per_second))
        self._update_ids = itertools.count(100_001)
        self._history: dict[int, dict[str, Any]] = {}
        self._session: aiohttp.ClientSession | None = None
        handlers: dict[str, Handler] = {
            "getMe": self._get_me, "close": self._true, "logOut": self._true,
            **self._updates.methods(), **messages.methods(), **self._callbacks.methods(),
            **self._commands.methods(),
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ---- lifecycle ----------------------------------------------------------------------

    def application(self) -> web.Application:
        """The Bot API routes, file downloads and the control surface, fresh for each start."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        ControlSurface(self).install(app)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0 picks a free port)."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._updates.session = self._media.session = self._session
        self._updates.closing = False
        await super().start(host, port)

    async def stop(self) -> None:
        """Stop serving; waiting long polls are answered at once."""
        await self._updates.close()
        await super().stop()
        if self._session:
            await self._session.close()
            self._session = self._updates.session = self._media.session = None

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder.base_url (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder.base_file_url."""
        return f"{self.url}/file/bot"

    @property
    def commands(self) -> list[dict[str, str]]:
        """The last setMyCommands for the default scope and no language."""
        return self._commands.default()

    @property
    def webhook(self) -> dict[str, Any] | None:
        """What setWebhook set (url, secret_token, allowed_updates ...), None without one."""
        return self._updates.webhook

    # ---- the human side -----------------------------------------------------------------

    def seller(self, user_id: int, first_name: str, *, username: str | None = None,
               last_name: str | None = None, language_code: str = "en") -> Seller:
        """The seller with this id (created on first call; the same object afterwards)."""
        if user_id <= 0:
            raise ValueError("a user id is a positive integer")
        if user_id not in self._sellers:
            self._sellers[user_id] = Seller(self, user_id, first_name, username=username,
                                            last_name=last_name, language_code=language_code)
        return self._sellers[user_id]

    def group(self, title: str, members: list[Seller], *, kind: str = "group",
              privacy_mode: bool = True, bot_is_admin: bool = False) -> GroupChat:
        """A new group (or "supergroup", or "channel") with the bot and these members in it.
        Privacy mode is on by default, as for every bot Telegram creates (group.py says what
        it lets through); members act in it through `group.member(seller)`."""
        chat_id = _GROUP_IDS.get(kind, 0) - len(self._groups) - 1  # GroupChat checks kind
        group = GroupChat(self, chat_id, title, kind=kind, privacy_mode=privacy_mode,
                          bot_is_admin=bot_is_admin)
        for member in members:
            group.add_member(member)
        self._groups[chat_id] = group
        return group

    def chat(self, chat_id: int) -> ChatRoom | None:
        """The chat with this id: a seller's private chat or a group."""
        return self._sellers.get(chat_id) or self._groups.get(chat_id)

    @property
    def callback_answer_seconds(self) -> float | None:
        """How long after a press answerCallbackQuery is still accepted (None: no limit)."""
        return self._callbacks.answer_seconds

    @callback_answer_seconds.setter
    def callback_answer_seconds(self, seconds: float | None) -> None:
        self._callbacks.answer_seconds = seconds

    @property
    def update_deliveries(self) -> Counter[int]:
        """How many times each update went out to the bot (more than once after a crash)."""
        return self._updates.queue.deliveries

    @property
    def update_watchers(self) -> list[Callable[[list[dict[str, Any]]], None]]:
        """Callables told each batch of updates as it goes out (append and remove freely)."""
        return self._updates.queue.watchers

    def presses_answered_more_than_once(self) -> list[tuple[int, str, int]]:
        """(user id, callback data, answerCallbackQuery calls) for every press the bot tried
        to answer more than once: Telegram refuses the second answer, so a bot that handles a
        redelivered press again shows here."""
        return self._callbacks.answered_more_than_once()

    def redeliver(self, update_id: int) -> None:
        """Queue an already delivered update again with the same update_id."""
        update = self._history.get(update_id)
        if update is None:
            raise EmulatorError(f"No update {update_id} was ever sent")
        self._updates.queue.push(update, redelivered=True)

    def known_seller(self, user_id: int) -> Seller | None:
        """The seller with this id if a test or the control surface ever created one."""
        return self._sellers.get(user_id)

    def transcript(self, user_id: int | None = None) -> str:
        """A readable log of one chat, or of every chat when user_id is None."""
        if user_id is not None:
            seller = self._sellers.get(user_id)
            return seller.transcript() if seller else ""
        chats: list[ChatRoom] = [*self._sellers.values(), *self._groups.values()]
        return "\n\n".join(f"=== {chat.where} ({chat.chat_id}) ===\n{chat.transcript()}"
                           for chat in chats if chat.started)

    def bot_user(self, *, full: bool = False) -> dict[str, Any]:
        """The bot's User object; getMe adds the bot-only fields."""
        user: dict[str, Any] = {"id": self.bot_id, "is_bot": True,
                                "first_name": self.bot_first_name,
                                "username": self.bot_username}
        if full:
            user.update(can_join_groups=True, can_read_all_group_messages=False,
                        supports_inline_queries=False, can_connect_to_business=False,
                        has_main_web_app=False)
        return user

    def from_seller(self, seller: Seller, message: ChatMessage) -> dict[str, Any]:
        """Post a seller's message in their private chat and queue its update."""
        update = self.send_in(seller, seller, message)
        assert update is not None  # a private chat hands the bot everything
        return update

    def edited_in(self, chat: ChatRoom, message: ChatMessage) -> dict[str, Any] | None:
        """Queue the edited_message (edited_channel_post) update of a message a person edited
        in place, if Telegram would hand the bot that message at all."""
        if not chat.reaches_bot(message):
            return None
        return self._emit(f"edited_{chat.update_kind}", chat.api_message(message))

    def send_in(self, chat: ChatRoom, person: Seller,
                message: ChatMessage) -> dict[str, Any] | None:
        """Post a person's message in a chat and queue its update, if Telegram would hand it
        to the bot (None when privacy mode keeps it in the group)."""
        if chat.is_private:
            chat.started = True
        else:
            message.sender_id = person.user_id
        chat.add(message, f"{chat.author_name(message)} → ")
        if not chat.reaches_bot(message):
            chat.note("      (privacy mode: the bot does not receive this)")
            return None
        return self._emit(chat.update_kind, chat.api_message(message))

    def callback(self, seller: Seller, message: ChatMessage, data: str, line: str, *,
                 room: ChatRoom | None = None) -> dict[str, Any]:
        """Queue a callback_query for a seller's press on a bot message in `room` (their
        private chat by default)."""
        chat = room or seller
        query_id = self._callbacks.press(seller, message.message_id, data, room=chat)
        chat.note(line)
        return self._emit("callback_query", {
            "id": query_id, "from": seller.user(), "message": chat.api_message(message),
            "chat_instance": chat.chat_instance, "data": data,
        })

    def _emit(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self._history[update["update_id"]] = update
        self._updates.offer(update, kind)
        return update

    async def store_photo(self, image: bytes) -> list[StoredFile]:
        """Keep a seller's photo as Telegram does (several sizes); EmulatorError if no image."""
        rendered = await asyncio.to_thread(render_photo, image)
        if rendered is None:
            raise EmulatorError("send_photo needs image bytes Pillow can open")
        return self._files.add_photo(rendered)

    async def store_document(self, data: bytes, *, file_name: str,
                             mime_type: str) -> dict[str, Any]:
        """Keep a seller's document and return its Document object."""
        stored = self._files.add(data, kind="document", mime_type=mime_type, file_name=file_name)
        document = stored.document()
        if mime_type.startswith("image/") and len(data) <= MAX_PHOTO_UPLOAD_BYTES:
            rendered = await asyncio.to_thread(render_photo, data)
            if rendered:
                thumb_bytes, width, height = rendered.sizes[min(1, len(rendered.sizes) - 1)]
                thumb = self._files.add(thumb_bytes, kind="thumbnail", mime_type="image/jpeg",
                                        width=width, height=height)
                document["thumbnail"] = thumb.photo_size()
        return document

    # ---- HTTP ---------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        sent_name = request.match_info["method"]
        method = self._methods.get(sent_name.lower())
        name = method[0] if method else sent_name
        params = Params({}, {})
        try:
            params = await Params.read(request)
            self._check_token(request.match_info["token"])
            if method is None:
                raise ApiError(404, "Not Found")
            outcome = await method[1](params)
        except ApiError as error:
            self.calls.append(ApiCall(name, params.for_record(), False, error.code,
                                      error.description))
            return web.json_response(error.body(), status=error.code)
        body: dict[str, Any] = {"ok": True}
        if isinstance(outcome, Described):
            body.update(result=outcome.result, description=outcome.description)
        else:
            body["result"] = outcome
        self.calls.append(ApiCall(name, params.for_record(), True, result=body["result"]))
        return web.json_response(body)

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
        except ApiError as error:
            return web.json_response(error.body(), status=error.code)
        stored = self._files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    def _check_token(self, token: str) -> None:
        # Telegram: a well-formed but wrong token is 401, a malformed one 404.
        if token == self.token:
            return
        if _TOKEN_SHAPE.fullmatch(token):
            raise ApiError(401, "Unauthorized")
        raise ApiError(404, "Not Found")

    async def _true(self, params: Params) -> bool:
        return True

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return self.bot_user(full=True)
