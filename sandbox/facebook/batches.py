"""The Catalog Batch API: items_batch validates each request at once and hands the accepted
ones to the catalog for processing in the background; check_batch_request_status reports how
that went. The catalog batch rate limit (code 80014) can be switched on for a test."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from sandbox.facebook.catalog import Catalog, CatalogBackend
from sandbox.facebook.errors import GraphError
from sandbox.facebook.graph import GraphApi
from sandbox.kit import OAuthProvider

MAX_BATCH_REQUESTS: Final = 5000
_CATALOG_RATE_LIMIT: Final = (
    "There have been too many calls for the batch uploads to this catalog account. Wait a bit "
    "and try again. For more info, please refer to "
    "https://developers.facebook.com/docs/graph-api/overview/rate-limiting#catalog."
)


def _truthy(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


class BatchApi(GraphApi):
    """/{catalog}/items_batch and /{catalog}/check_batch_request_status."""

    def __init__(self, oauth: OAuthProvider, store: CatalogBackend, *, app_id: str,
                 base_url: Callable[[], str]) -> None:
        super().__init__(oauth, store, app_id=app_id, base_url=base_url)
        self.throttles: deque[int] = deque()  # minutes to wait, one per throttled call

    def routes(self, router: web.UrlDispatcher, prefix: str) -> None:
        router.add_post(f"{prefix}/{{node}}/items_batch", self.items_batch)
        router.add_get(f"{prefix}/{{node}}/check_batch_request_status", self.batch_status)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise GraphError(400, 100, "(#100) The request body is not valid JSON") from None
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update({k: str(v) for k, v in (await request.post()).items()})
        return params

    async def items_batch(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        grant = self.grant(request, any_of=("catalog_management",), form=params)
        catalog = self.catalog(grant, request.match_info["node"], "POST")
        if self.throttles:
            minutes = self.throttles.popleft()
            usage = {catalog.business_id: [{
                "type": "catalog_batch", "call_count": 100, "total_cputime": 0, "total_time": 0,
                "estimated_time_to_regain_access": minutes,
            }]}
            raise GraphError(400, 80014, _CATALOG_RATE_LIMIT,
                             headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
        requests = self._batch_requests(params, catalog)
        allow_upsert = _truthy(params.get("allow_upsert"), True)
        statuses, work = [], []
        for line, record in enumerate(requests):
            errors, warnings, retailer_id, job = self.store.check_record(
                catalog, record, allow_upsert
            )
            if errors or warnings:
                statuses.append({
                    "retailer_id": retailer_id,
                    "errors": [{"message": m} for m in errors],
                    "warnings": [{"message": m} for m in warnings],
                })
            if not errors and job is not None:
                work.append((line, *job))
        handles = [self.store.submit(catalog.catalog_id, work, allow_upsert).handle] if work else []
        return web.json_response({"handles": handles, "validation_status": statuses})

    @staticmethod
    def _batch_requests(params: dict[str, Any], catalog: Catalog) -> list[Any]:
        item_type = params.get("item_type")
        if not item_type:
            raise GraphError(400, 100, "(#100) The parameter item_type is required")
        if item_type != "PRODUCT_ITEM" or catalog.vertical != "commerce":
            raise GraphError(400, 100, (
                f"(#100) item_type {item_type} is not supported by a catalog of vertical "
                f"{catalog.vertical}"
            ))
        raw = params.get("requests")
        if raw is None:
            raise GraphError(400, 100, "(#100) The parameter requests is required")
        try:
            requests = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            requests = None
        if not isinstance(requests, list) or not 1 <= len(requests) <= MAX_BATCH_REQUESTS:
            raise GraphError(400, 100, (
                f"(#100) param requests must be an array of 1 to {MAX_BATCH_REQUESTS} objects"
            ))
        return requests

    async def batch_status(self, request: web.Request) -> web.Response:
        grant = self.grant(request, any_of=("catalog_management",))
        catalog = self.catalog(grant, request.match_info["node"], "GET")
        handle = request.query.get("handle")
        if not handle:
            raise GraphError(400, 100, "(#100) The parameter handle is required")
        batch = self.store.batches.get(handle)
        if batch is None or batch.catalog_id != catalog.catalog_id:
            raise GraphError(400, 100, "(#100) Invalid handle")
        return web.json_response({"data": [{
            "handle": batch.handle,
            "status": batch.status,
            "errors_total_count": len(batch.errors),
            "errors": batch.errors,
            "warnings_total_count": len(batch.warnings),
            "warnings": batch.warnings,
            "ids_of_invalid_requests": batch.invalid_ids,
        }]})
