"""The contract's error shape: RFC 9457 problem documents with the contract's own problem types,
for handler refusals, token challenges (RFC 6750) and injected faults."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final

from aiohttp import web

from sandbox.kit import Refusal

REALM: Final = "offerup"
PROBLEM_PREFIX: Final = "tag:dealscout.app,2025:offerup/"


def problem_response(
    status: int,
    *,
    kind: str | None = None,
    title: str | None = None,
    detail: str = "",
    headers: dict[str, str] | None = None,
    **members: Any,
) -> web.Response:
    """An RFC 9457 problem document; `kind` names one of the contract's own problem types."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_PREFIX}{kind}" if kind else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(members)
    return web.json_response(
        body, status=status, headers=headers, content_type="application/problem+json"
    )


def fault_problem(status: int, _code: str, description: str) -> web.Response:
    """The problem shape for injected 429s and 5xx (the middleware adds Retry-After)."""
    return problem_response(status, detail=description)


class Problem(Refusal):
    """Raised by a handler to answer with a problem document."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self._response = response

    def response(self) -> web.Response:
        return self._response


def invalid(errors: list[dict[str, str]]) -> Problem:
    count = len(errors)
    return Problem(problem_response(
        422,
        kind="validation",
        title="The listing is invalid",
        detail=f"{count} field{'s are' if count > 1 else ' is'} invalid.",
        errors=errors,
    ))


def token_problem(reason: str, scope: str) -> web.Response:
    if reason == "missing":
        return problem_response(
            401,
            detail="An access token is required.",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    if reason == "insufficient_scope":
        return problem_response(
            403,
            detail=f"The access token lacks the {scope} scope.",
            headers={"WWW-Authenticate": (
                f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
            )},
        )
    description = {
        "expired": "The access token expired",
        "revoked": "The access token was revoked",
    }.get(reason, "The access token is invalid")
    return problem_response(
        401,
        detail=f"{description}.",
        headers={"WWW-Authenticate": (
            f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
        )},
    )
