"""A read cache for the span of one update.

Handling one message reads the same rows again and again: the seller's draft and its photos,
their accounts (each token decrypted), the kits of their last listing, from the handler, the
prompt after it and the rules in between. Inside an update's scope each of those is read once;
every write through the same repository forgets what it changed, so a read after a write sees
the write. Outside a scope (jobs, the web server) nothing is cached.

One seller's updates are handled one at a time, so nothing else writes that seller's draft
while the scope lives. A task started during the update inherits the scope object but not its
life: the scope is closed when the update ends, and a closed scope caches nothing.

A process alone on its database (SQLite, holding the file's writer lock; PostgreSQL is always
run as shared by replicas) is the only writer of its sellers' rows, so it may also keep them
between updates: `ReadCache` with a `SellerMemo`. Every write goes through the repository that
forgets what it changed, and a read that raced a write (a job reading the draft while the
seller's answer is saved) is not kept, so the memo never holds what the database no longer
says. With several replicas there is no memo: another replica may have changed the row since.
"""

from __future__ import annotations

import functools
import itertools
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_MISSING = object()


class _Scope:
    def __init__(self) -> None:
        self.values: dict[Hashable, Any] = {}
        self.open = True


_CURRENT: ContextVar[_Scope | None] = ContextVar("storage_update_scope", default=None)
# Every scope open now: a write forgets its key in all of them, not only in the scope of the
# code that wrote (a job or another task writes outside the update that read the row, and a
# job may even run in a copy of some update's context).
_OPEN: set[_Scope] = set()


@contextmanager
def update_scope() -> Iterator[None]:
    """Cache reads until the block ends (one update's handling)."""
    scope = _Scope()
    token = _CURRENT.set(scope)
    _OPEN.add(scope)
    try:
        yield
    finally:
        _OPEN.discard(scope)
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
    """No open scope holds `key` any longer."""
    for scope in _OPEN:
        scope.values.pop(key, None)


MISSING = _MISSING


class SellerMemo:
    """Rows kept between updates, the sellers seen last kept first (bounded: a seller who went
    quiet is read again next time)."""

    def __init__(self, capacity: int = 4096) -> None:
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._capacity = capacity

    def recall(self, key: Hashable) -> Any:
        value = self._values.get(key, _MISSING)
        if value is not _MISSING:
            self._values.move_to_end(key)
        return value

    def keep(self, key: Hashable, value: Any) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self._capacity:
            self._values.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        self._values.pop(key, None)


class ReadCache:
    """A repository's cached reads: for the update being handled, and with a memo (one process
    alone on its database) between updates too."""

    def __init__(self, memo: SellerMemo | None = None, remembered_writes: int = 16384) -> None:
        self._memo = memo
        # key → the number of its last write, numbered across all keys, so a read that raced a
        # write sees a different number, even after the key was dropped from here.
        self._writes: OrderedDict[Hashable, int] = OrderedDict()
        self._numbered = itertools.count(1)
        self._remembered = remembered_writes
        self._dropped = 0  # the highest number dropped from `_writes`: what a dropped key has

    async def read(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """What `load()` returns, read once and kept unless a write came while it ran."""
        found = self.peek(key)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        writes = self._last_write(key)
        value = await load()
        if self._last_write(key) == writes:
            self._keep(key, value)
        return value

    def _last_write(self, key: Hashable) -> int:
        return self._writes.get(key, self._dropped)

    def peek(self, key: Hashable) -> Any:
        """What is cached for `key` (`MISSING` when nothing is), without reading."""
        found = recall(key)
        if found is _MISSING and self._memo is not None:
            found = self._memo.recall(key)
        return found

    def forget(self, key: Hashable) -> int:
        """Before a write to what `key` holds: nothing cached for it any longer. Returns the
        write's number, for `written`."""
        forget(key)
        if self._memo is not None:
            self._memo.forget(key)
        write = self._writes[key] = next(self._numbered)
        self._writes.move_to_end(key)
        while len(self._writes) > self._remembered:
            _, dropped = self._writes.popitem(last=False)
            self._dropped = max(self._dropped, dropped)
        return write

    def written(self, key: Hashable, value: Any, write: int) -> None:
        """After write number `write`: `value` is what the database holds now, unless another
        write came since."""
        if self._writes.get(key) == write:
            self._keep(key, value)

    def _keep(self, key: Hashable, value: Any) -> None:
        keep(key, value)
        if self._memo is not None:
            self._memo.keep(key, value)


Method = TypeVar("Method", bound=Callable[..., Awaitable[Any]])


def forgets(kind: str) -> Callable[[Method], Method]:
    """A repository method that writes a seller's `kind` rows (its first argument, or
    `telegram_id=`, is the seller): what the cache held for them is forgotten once the write
    is done, even when it failed halfway."""

    def decorate(method: Method) -> Method:
        @functools.wraps(method)
        async def writing(self: Any, *args: Any, **kwargs: Any) -> Any:
            seller = kwargs["telegram_id"] if "telegram_id" in kwargs else args[0]
            try:
                return await method(self, *args, **kwargs)
            finally:
                self._cache.forget((kind, seller))

        return writing  # type: ignore[return-value]

    return decorate
