"""Graph's error shape, {"error": {message, type, code, error_subcode, fbtrace_id}}, for handler
refusals, the token endpoint and injected faults."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from sandbox.kit import Refusal


class GraphError(Refusal):
    """An answer in Graph's shape: {"error": {message, type, code, error_subcode, fbtrace_id}}."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        kind: str = "OAuthException",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.subcode, self.kind, self.headers = subcode, kind, headers or {}

    def response(self) -> web.Response:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode:
            error["error_subcode"] = self.subcode
        if self.code in (1, 2):
            error["is_transient"] = True
        error["fbtrace_id"] = secrets.token_urlsafe(8)
        headers = dict(self.headers)
        if self.code == 190:
            challenge = f'OAuth "Facebook Platform" "invalid_token" "{self.message}"'
            headers["WWW-Authenticate"] = challenge
        return web.json_response({"error": error}, status=self.status, headers=headers)


def graph_error_response(status: int, error: str, description: str) -> web.Response:
    """Kit errors (token endpoint, injected faults) as Graph renders them."""
    if error == "rate_limited":
        return GraphError(400, 4, "(#4) Application request limit reached").response()
    if status >= 500:
        code, text = (1, "An unknown error occurred") if status == 500 else (
            2, "Service temporarily unavailable")
        return GraphError(status, code, text).response()
    if error == "invalid_client":
        return GraphError(400, 1, "Error validating client secret.").response()
    if error == "invalid_grant":
        if "redirect_uri" in description:
            return GraphError(400, 100, (
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request"
            ), subcode=36008).response()
        return GraphError(400, 100, "This authorization code has been used.",
                          subcode=36009).response()
    return GraphError(400, 100, f"Invalid parameter: {description}").response()


def missing_object(object_id: str, method: str) -> GraphError:
    return GraphError(400, 100, (
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation."
    ), subcode=33, kind="GraphMethodException")
