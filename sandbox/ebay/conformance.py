"""The aiohttp middleware that holds every exchange up to eBay's documents (contract.py) and
keeps what did not match, so a test can assert that neither side strayed from eBay's contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.ebay.contract import ContractBook
from sandbox.kit import Handler


@dataclass
class Conformance:
    """Mismatches seen so far: requests (the client's side) and responses (ours)."""

    book: ContractBook = field(default_factory=ContractBook)
    requests: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[str]:
        return [*self.requests, *self.responses]

    def middleware(self) -> Any:
        @web.middleware
        async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
            operation = self.book.find(request.method, request.path)
            if operation is None:
                return await handler(request)
            body = await request.read() if request.body_exists else b""
            self.requests += [
                f"{operation.operation_id} request: {problem}" for problem in
                self.book.check_request(operation, request.query, request.headers, body)
            ]
            response = await handler(request)
            if isinstance(response, web.Response):
                sent = response.body if isinstance(response.body, bytes) else b""
                self.responses += [
                    f"{operation.operation_id} response {response.status}: {problem}"
                    for problem in self.book.check_response(operation, response.status, sent)
                ]
            return response

        return check
