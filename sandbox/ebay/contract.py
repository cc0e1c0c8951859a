"""eBay's own OpenAPI documents (sandbox/ebay/contracts/) as the judge of every request this
sandbox receives and every response it sends.

Why: a stand-in that drifts from eBay's contract lets the adapter drift with it. Each call whose
method and path an eBay document covers is checked against that operation: its query
parameters (declared, required, enumerated), its required headers, its request body and, for a
2xx answer, the status and the body's schema. A property the document does not declare counts as
a mismatch in both directions (eBay's schemas leave objects open; we close them, so a misspelt
field is caught). Each mismatch is one line, "operationId request|response: what is wrong".

Where eBay's document contradicts eBay's documented intent, the intent wins and the document is
patched here, never the check skipped (each patch names its evidence; README.md lists them).
Taxonomy and Media have no document in contracts/ and are not checked.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).parent / "contracts"

# Patches for documented inconsistencies: (document, schema, property) → the schema eBay means.
SCHEMA_PATCHES: dict[tuple[str, str, str], dict[str, Any]] = {
    # Product.aspects is typed "string" in sell_inventory_v1_oas3.json, while the same field's
    # description (and eBay's createOrReplaceInventoryItem samples) shows a map of arrays of
    # strings: "aspects": {"Brand": ["GoPro"], "Storage Type": ["Removable"]}.
    ("sell_inventory_v1_oas3.json", "Product", "aspects"): {
        "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
}


# Responses documented without the body eBay sends: (document, operationId, status) → the status
# whose body it carries.
BODY_PATCHES: dict[tuple[str, str, str], str] = {
    # bulkUpdatePriceQuantity's 207 Multi-Status has no content in the document, yet it is the
    # answer that carries the per-offer results (PriceQuantityResponse.statusCode: "the status
    # of the attempt to update the price and/or quantity of the offer"), in the 200's shape.
    ("sell_inventory_v1_oas3.json", "bulkUpdatePriceQuantity", "207"): "200",
}


@dataclass(frozen=True)
class Operation:
    """One operation of one document, found by method and path."""

    operation_id: str
    method: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]
    document: Document

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p.get("in") == where]


class Document:
    """One OpenAPI document, its object schemas closed (unknown properties refused)."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.base_path = raw["servers"][0]["variables"]["basePath"]["default"]
        self.components = copy.deepcopy(raw.get("components", {}))
        for (document, schema, prop), patched in SCHEMA_PATCHES.items():
            if document == self.name:
                self.components["schemas"][schema]["properties"][prop] = patched
        for schema in self.components.get("schemas", {}).values():
            _close(schema)
        self.operations = [
            Operation(spec["operationId"], method.upper(), _path_pattern(self.base_path, path),
                      _closed_operation(_with_bodies(self.name, spec)), self)
            for path, methods in raw["paths"].items()
            for method, spec in methods.items()
            if isinstance(spec, dict) and "operationId" in spec
        ]
        self._validators: dict[str, Any] = {}

    def problems(self, schema: dict[str, Any], instance: Any) -> list[str]:
        """What is wrong with `instance` against `schema` (refs into this document)."""
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            from jsonschema import Draft4Validator  # the test extra; see ContractBook.available

            validator = Draft4Validator({**schema, "components": self.components})
            self._validators[key] = validator
        found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        return [f"{_where(e.absolute_path)}: {e.message[:300]}" for e in found[:5]]


@cache
def _documents(directory: Path) -> tuple[Document, ...]:
    """The documents, read and closed once per process: every sandbox shares them and the
    validators they build (eBay's documents are megabytes; a test starts many sandboxes)."""
    return tuple(Document(path) for path in sorted(directory.glob("*.json")))


class ContractBook:
    """Every document in contracts/, and the checks of one exchange against them."""

    def __init__(self, directory: Path = CONTRACTS_DIR) -> None:
        self.directory = directory

    @cached_property
    def available(self) -> bool:
        """Whether jsonschema (the `test` extra) is installed; without it nothing is checked."""
        try:
            import jsonschema  # noqa: F401
        except ImportError:
            return False
        return True

    @property
    def documents(self) -> tuple[Document, ...]:
        return _documents(self.directory)

    def find(self, method: str, path: str) -> Operation | None:
        if not self.available:
            return None
        trimmed = path.rstrip("/") or "/"
        for document in self.documents:
            if not trimmed.startswith(document.base_path):
                continue
            # A literal path (…/offer/get_listing_fees) wins over a template (…/offer/{id}).
            matches = [op for op in document.operations
                       if op.method == method and op.pattern.fullmatch(trimmed)]
            if matches:
                return min(matches, key=lambda op: op.pattern.pattern.count("[^/]+"))
        return None

    def check_request(
        self,
        operation: Operation,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> list[str]:
        found = []
        declared = {p["name"]: p for p in operation.parameters("query")}
        for name, parameter in declared.items():
            if parameter.get("required") and name not in query:
                found.append(f"query parameter {name} is required")
            elif name in query:
                found += [f"query parameter {name}{problem}" for problem in
                          _parameter_problems(parameter.get("schema", {}), query[name])]
        found += [f"query parameter {name} is not in the document"
                  for name in query if name not in declared]
        lowered = {name.lower() for name in headers}
        found += [f"header {p['name']} is required" for p in operation.parameters("header")
                  if p.get("required") and p["name"].lower() not in lowered]
        request_body = operation.spec.get("requestBody")
        if request_body is None:
            return found
        if not body:
            if request_body.get("required"):
                found.append("a request body is required")
            return found
        schema = (request_body.get("content", {}).get("application/json") or {}).get("schema")
        if schema is None:
            return found
        try:
            instance = json.loads(body)
        except ValueError:
            return [*found, "the request body is not JSON"]
        return found + [f"body {p}" for p in operation.document.problems(schema, instance)]

    def check_response(self, operation: Operation, status: int, body: bytes) -> list[str]:
        if not 200 <= status < 300:
            return []  # eBay documents error bodies by errorId, not by schema
        documented = operation.spec.get("responses", {}).get(str(status))
        if documented is None:
            return [f"status {status} is not documented"]
        schema = (documented.get("content", {}).get("application/json") or {}).get("schema")
        if schema is None:
            return [f"status {status} has no body in the document"] if body else []
        if not body:
            return []  # an optional body left out (Media's createImageFromFile does so)
        try:
            instance = json.loads(body)
        except ValueError:
            return ["the body is not JSON"]
        return [f"body {p}" for p in operation.document.problems(schema, instance)]


def _close(schema: Any) -> None:
    """Refuse properties a schema does not declare, all the way down."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if "properties" in schema:
        for child in schema["properties"].values():
            _close(child)
        schema.setdefault("additionalProperties", False)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _close(schema[key])


def _with_bodies(document: str, spec: dict[str, Any]) -> dict[str, Any]:
    responses = spec.get("responses", {})
    for (name, operation_id, status), like in BODY_PATCHES.items():
        if name == document and operation_id == spec.get("operationId"):
            responses[status] = {**responses.get(status, {}),
                                 "content": responses[like]["content"]}
    return spec


def _closed_operation(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    bodies = [spec.get("requestBody") or {}, *spec.get("responses", {}).values()]
    for body in bodies:
        for media in (body.get("content") or {}).values():
            _close(media.get("schema"))
    return spec


def _path_pattern(base: str, path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path.rstrip("/"))
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(re.escape(base) + regex)


def _parameter_problems(schema: Mapping[str, Any], value: str) -> list[str]:
    if "enum" in schema and value not in schema["enum"]:
        return [f" is not one of {schema['enum']}"]
    if schema.get("type") == "integer" and not re.fullmatch(r"-?\d+", value):
        return [" is not an integer"]
    return []


def _where(path: Any) -> str:
    return "/" + "/".join(str(part) for part in path) if path else "/"
