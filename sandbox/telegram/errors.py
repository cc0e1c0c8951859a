"""How the emulator says no: Telegram's refusals, and a test asking for the impossible.

An ApiError is worded as Telegram words it and becomes the HTTP error response; an
EmulatorError is raised at a test that asks the seller to do what no human could.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refusal worded as Telegram words it; becomes the HTTP error response."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends with this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code,
                                "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    """Telegram prefixes every 400 description with "Bad Request: "."""
    return ApiError(400, f"Bad Request: {text}")


class EmulatorError(Exception):
    """A test asked the seller to do something a human could not (press a missing button ...)."""
