"""Claims in the update ledger, made together: group commit for the inbox's claims.

Every update is claimed in the database before it is handled (storage/updates.py), one write
per update. With many sellers at once, the claims asked for while one write is under way go
in the next write, together: one trip to the database for a batch instead of one per update.
Nothing is handled before its own claim is committed, so durability is what it was; an update
waits at most for the write already under way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

ClaimMany = Callable[[Sequence[tuple[int, int | None]]], Awaitable[set[int]]]


class ClaimBatcher:
    """`claim(update_id, user_id)` as the update processor calls it, batched underneath."""

    def __init__(self, claim_many: ClaimMany) -> None:
        self._claim_many = claim_many
        self._waiting: dict[int, tuple[int | None, asyncio.Future[bool]]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def claim(self, update_id: int, user_id: int | None) -> bool:
        """True when this call took the update on; False when it was taken before (or is
        being taken by another call right now: a duplicate delivery)."""
        if update_id in self._waiting:
            return False
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[update_id] = (user_id, future)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name="update-claims")
        return await future

    async def _write(self) -> None:
        """Write what waits, then what came meanwhile, until nothing does."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    taken = await self._claim_many(
                        [(update_id, user_id) for update_id, (user_id, _) in batch.items()]
                    )
                except Exception as exc:  # each caller decides what a failed claim means
                    for _, future in batch.values():
                        if not future.done():
                            future.set_exception(exc)
                    continue
                except BaseException:  # cancelled at shutdown: nobody may wait forever
                    for _, future in batch.values():
                        future.cancel()
                    raise
                for update_id, (_, future) in batch.items():
                    if not future.done():
                        future.set_result(update_id in taken)
        finally:
            self._writer = None
            for _, future in self._waiting.values():
                future.cancel()
            self._waiting.clear()
