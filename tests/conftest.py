"""Shared fixtures: the sandboxes, settings pointing at them, a movable clock and the running
bot; every bot a test starts must have raised nothing in its handlers."""

from __future__ import annotations

import concurrent.futures.thread
import dataclasses
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.context import DealScoutApplication
from bot.runtime import BotRuntime
from sandbox.harness import sandbox_settings
from sandbox.telegram import TelegramEmulator
from sandbox.world import SandboxWorld
from tests.helpers import ErrorCollector, MovableClock, report_hung_tasks

# pytest-timeout fails a test after TIMEOUT seconds (pyproject.toml); a little before that, the
# stacks of the tasks still waiting are printed, which says where an async test hung.
TIMEOUT = 60
HANG_REPORT_AFTER = TIMEOUT - 5


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Tests that configure logging must not leak their handlers or levels into the next."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
async def world() -> AsyncIterator[SandboxWorld]:
    """The stand-ins. Every exchange with the eBay one is held up to eBay's own OpenAPI
    documents: whatever a test has the bot do, a request eBay's contract refuses fails it."""
    hang_report = report_hung_tasks(HANG_REPORT_AFTER)
    async with SandboxWorld() as sandboxes:
        yield sandboxes
    hang_report.cancel()
    assert sandboxes.ebay.contract_violations == []


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def telegram(world: SandboxWorld) -> TelegramEmulator:
    return world.telegram


@pytest.fixture
def settings(world: SandboxWorld, tmp_path: Path) -> Settings:
    return sandbox_settings(world, tmp_path)




@pytest.fixture
def handler_errors() -> ErrorCollector:
    return ErrorCollector()


@pytest.fixture
def start_bot(
    settings: Settings, handler_errors: ErrorCollector, clock: MovableClock
) -> Iterator[Callable[..., BotRuntime]]:
    """Factory for running bots; each is stopped at teardown and must have raised nothing."""
    runtimes: list[BotRuntime] = []

    def factory(
        on_build: Callable[[DealScoutApplication], None] | None = None, **overrides: object
    ) -> BotRuntime:
        def build(application: DealScoutApplication) -> None:
            handler_errors.attach(application)
            if on_build is not None:
                on_build(application)

        runtime_settings = dataclasses.replace(settings, **overrides)
        webhook = bool(runtime_settings.webhook_secret)
        runtime = BotRuntime(runtime_settings, webhook=webhook, on_build=build, clock=clock)
        runtimes.append(runtime)
        return runtime

    yield factory
    assert handler_errors.errors == [], f"handlers raised: {handler_errors.errors!r}"


@pytest.fixture
async def bot(start_bot: Callable[..., BotRuntime]) -> AsyncIterator[BotRuntime]:
    runtime = start_bot()
    async with runtime:
        yield runtime


# ── A run that cannot end is a failed run ────────────────────────────────────────────────────

_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    """An unclosed database or server leaves a thread that keeps the interpreter alive after
    the last test, and CI would wait for it until its own timeout. Name it and exit instead."""
    def lingering() -> list[threading.Thread]:
        """Threads that would keep the interpreter alive: not daemons, not pool workers (pools
        end their idle workers at exit)."""
        return [t for t in threading.enumerate()
                if t is not threading.main_thread() and not t.daemon
                and getattr(t, "_target", None) is not concurrent.futures.thread._worker]

    for thread in lingering():
        thread.join(timeout=2)
    left = [thread.name for thread in lingering() if thread.is_alive()]
    if left:
        print(f"\nthe test run left threads running (an unclosed database?): {left}",
              file=sys.stderr, flush=True)
        status = _EXIT_STATUS[-1] if _EXIT_STATUS else 1
        os._exit(status or 1)
