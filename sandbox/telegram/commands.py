"""setMyCommands, getMyCommands and deleteMyCommands: command lists kept per scope and
language, checked as Telegram checks them."""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.telegram.errors import bad_request
from sandbox.telegram.params import Handler, Params

MAX_COMMANDS = 100
COMMAND_SCOPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})
_COMMAND_SHAPE = re.compile(r"[a-z0-9_]{1,32}")


class CommandsApi:
    """setMyCommands and friends: command lists stored per scope and language."""

    def __init__(self) -> None:
        self._lists: dict[tuple[str, str], list[dict[str, str]]] = {}

    def methods(self) -> dict[str, Handler]:
        return {"setMyCommands": self.set_my_commands, "getMyCommands": self.get_my_commands,
                "deleteMyCommands": self.delete_my_commands}

    def default(self) -> list[dict[str, str]]:
        """The list for the default scope and no language."""
        return list(self._lists.get((self._scope_key(None), ""), []))

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        if scope["type"].startswith("chat") and "chat_id" not in scope:
            raise bad_request("chat_id is empty")
        return json.dumps({key: scope[key] for key in ("type", "chat_id", "user_id")
                           if key in scope}, sort_keys=True)

    def _key(self, params: Params) -> tuple[str, str]:
        language = params.text("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return self._scope_key(params.structured("scope", "BotCommandScope")), language

    async def set_my_commands(self, params: Params) -> bool:
        commands = params.structured("commands", "BotCommand array")
        if commands is None:
            commands = []
        if not isinstance(commands, list):
            raise bad_request("can't parse BotCommand array JSON object")
        if len(commands) > MAX_COMMANDS:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        self._lists[self._key(params)] = [self._checked(command) for command in commands]
        return True

    @staticmethod
    def _checked(command: Any) -> dict[str, str]:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        for key in ("command", "description"):
            if not isinstance(command.get(key), str):
                raise bad_request(f'can\'t parse BotCommand: Can\'t find field "{key}"')
        if not _COMMAND_SHAPE.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command["description"].strip()
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("command description is too long")
        return {"command": command["command"], "description": description}

    async def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return list(self._lists.get(self._key(params), []))

    async def delete_my_commands(self, params: Params) -> bool:
        self._lists.pop(self._key(params), None)
        return True
