"""What a Bot API method is handed and hands back: request parameters read as Telegram reads
them (strings from forms, natives from JSON, uploads from multipart), and a result that carries
the description some methods add to the response."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.telegram.errors import bad_request

INTEGER_SHAPE = re.compile(r"\s*-?\d+\s*")


@dataclass
class Upload:
    """One file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str
    data: bytes


class Params:
    """Request parameters read as Telegram reads them: strings from forms, natives from JSON."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self._values = values
        self._uploads = uploads

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        """Merge the query string with a JSON, urlencoded or multipart body."""
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise bad_request("can't parse JSON encoded request body") from exc
                if isinstance(body, dict):
                    values.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded",
                                          "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = Upload(key, value.filename, value.content_type,
                                              value.file.read())
                    else:
                        values[key] = value
        return cls(values, uploads)

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, (dict, list)) else str(value)

    def integer(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and INTEGER_SHAPE.fullmatch(value):
            return int(value)
        raise bad_request(f'field "{name}" must be of type Integer')

    def number(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f'field "{name}" must be of type Number') from exc

    def boolean(self, name: str) -> bool:
        value = self._values.get(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if str(value).lower() in ("true", "1"):
            return True
        if str(value).lower() in ("false", "0", ""):
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def structured(self, name: str, what: str) -> Any:
        """A JSON-serialized parameter (reply_markup, media ...), decoded."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {what} JSON object") from exc

    def upload(self, name: str) -> Upload | None:
        return self._uploads.get(name)

    def for_record(self) -> dict[str, Any]:
        """Decoded parameters for ``TelegramEmulator.calls``."""
        record: dict[str, Any] = {}
        for key, value in self._values.items():
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            record[key] = value
        for key, upload in self._uploads.items():
            record[key] = f"<upload {upload.filename or key}, {len(upload.data)} bytes>"
        return record


@dataclass
class Described:
    """A result with the description some methods (setWebhook ...) add to the response."""

    result: Any
    description: str


Handler = Callable[[Params], Awaitable[Any]]
