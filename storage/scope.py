"""A read cache for the span of one update.

Handling one message reads the same rows again and again: the seller's draft and its photos,
their accounts (each token decrypted), the kits of their last listing, from the handler, the
prompt after it and the rules in between. Inside an update's scope each of those is read once;
every write through the same repository forgets what it changed, so a read after a write sees
the write. Outside a scope (jobs, the web server) nothing is cached.

One seller's updates are handled one at a time, so nothing else writes that seller's draft
while the scope lives. A task started during the update inherits the scope object but not its
life: the scope is closed when the update ends, and a closed scope caches nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_MISSING = object()


class _Scope:
    def __init__(self) -> None:
        self.values: dict[Hashable, Any] = {}
        self.open = True


_CURRENT: ContextVar[_Scope | None] = ContextVar("storage_update_scope", default=None)


@contextmanager
def update_scope() -> Iterator[None]:
    """Cache reads until the block ends (one update's handling)."""
    scope = _Scope()
    token = _CURRENT.set(scope)
    try:
        yield
    finally:
        scope.open = False
        scope.values.clear()
        _CURRENT.reset(token)


def _scope() -> _Scope | None:
    scope = _CURRENT.get()
    return scope if scope is not None and scope.open else None


def recall(key: Hashable) -> Any:
    """The value kept under `key` in this scope, or `MISSING`."""
    scope = _scope()
    return _MISSING if scope is None else scope.values.get(key, _MISSING)


def keep(key: Hashable, value: Any) -> None:
    scope = _scope()
    if scope is not None:
        scope.values[key] = value


def forget(key: Hashable) -> None:
    scope = _scope()
    if scope is not None:
        scope.values.pop(key, None)


MISSING = _MISSING
