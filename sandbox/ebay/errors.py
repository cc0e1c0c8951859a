"""eBay's error body, `{"errors": [{"errorId", "domain", "category", "message",
"longMessage", "parameters"}]}`, for handler refusals, token refusals and injected faults (the
package docstring says where each error id comes from)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.kit import Refusal


class EbayApiError(Refusal):
    """Raised by a handler; the kit's `refusals` middleware answers with eBay's error body."""

    def __init__(self, status: int, *errors: dict[str, Any]) -> None:
        super().__init__(errors[0]["message"] if errors else str(status))
        self.status = status
        self.errors = list(errors)

    def response(self) -> web.Response:
        return web.json_response({"errors": self.errors}, status=self.status)


def problem(
    error_id: int,
    message: str,
    *,
    domain: str = "API_INVENTORY",
    category: str = "REQUEST",
    long_message: str | None = None,
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "errorId": error_id,
        "domain": domain,
        "category": category,
        "message": message,
        "longMessage": long_message or message,
    }
    if domain == "API_INVENTORY":
        entry["subdomain"] = "Selling"
    if parameters:
        entry["parameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
    return entry


def inventory_error(status: int, error_id: int, message: str, **kwargs: Any) -> EbayApiError:
    return EbayApiError(status, problem(error_id, message, **kwargs))


def invalid_request(detail: str) -> EbayApiError:
    return EbayApiError(400, problem(
        2004, "Invalid request", domain="ACCESS",
        long_message=f"The request has errors. {detail} For help, see the documentation for "
        "this API.",
    ))


def fault_response(status: int, code: str, description: str) -> web.Response:
    """An injected 429 or 5xx in the shape eBay's gateway sends."""
    if status == 429:
        entry = problem(2001, "Too many requests", domain="ACCESS",
                        long_message="The request limit has been reached for the resource.")
    else:
        entry = problem(
            2003, "Internal error", domain="ACCESS", category="APPLICATION",
            long_message="There was a problem with an eBay internal system or process. Contact "
            "eBay developer support for assistance.",
        )
    return web.json_response({"errors": [entry]}, status=status)


def token_refused(reason: str) -> EbayApiError:
    if reason == "missing":
        return EbayApiError(401, problem(
            1002, "Missing access token", domain="OAuth",
            long_message="Access token is missing in the Authorization HTTP request header.",
        ))
    if reason == "insufficient_scope":
        return EbayApiError(403, problem(
            1100, "Access denied", domain="ACCESS",
            long_message="Insufficient permissions to fulfill the request.",
        ))
    return EbayApiError(401, problem(
        1001, "Invalid access token", domain="OAuth",
        long_message="Invalid access token. Check the value of the Authorization HTTP request "
        "header.",
    ))
