"""Shared fixtures: the sandboxes, settings pointing at them, the database, a movable clock and
the running bot; every bot a test starts must have raised nothing in its handlers.

The database is SQLite unless a test is marked `both_databases`: it then runs once on SQLite and
once on PostgreSQL, each time on a database of its own. `DEAL_SCOUT_TEST_DATABASE=postgresql`
makes PostgreSQL the database of every other test too. The PostgreSQL server is started once per
run, on first use, from the machine's binaries (sandbox/postgres.py); when it cannot be, those
tests fail saying why.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.thread
import dataclasses
import logging
import os
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.context import DealScoutApplication
from bot.runtime import BotRuntime
from sandbox.harness import sandbox_settings
from sandbox.postgres import LocalPostgres, PostgresUnavailable
from sandbox.telegram import TelegramEmulator
from sandbox.world import SandboxWorld
from storage.db import Database
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


# ── The database: SQLite, or PostgreSQL ───────────────────────────────────────────────────────

BACKENDS = ("sqlite", "postgresql")
DEFAULT_BACKEND = os.environ.get("DEAL_SCOUT_TEST_DATABASE", "sqlite")
TEMPLATE = "deal_scout_template"  # migrated once per run; each test's database is a copy


def pytest_configure(config: pytest.Config) -> None:
    if DEFAULT_BACKEND not in BACKENDS:
        raise pytest.UsageError(f"DEAL_SCOUT_TEST_DATABASE must be one of {', '.join(BACKENDS)}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_databases"
    ):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs on."""
    return getattr(request, "param", DEFAULT_BACKEND)


def _in_own_loop(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to the end on a loop of its own (a session fixture may be set up while a
    test's loop is running)."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, work).result()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """One PostgreSQL server for the run, with a template database the migrations were applied
    to; stopped and removed at the end."""
    server = None
    try:
        server = LocalPostgres()
        server.start()
    except PostgresUnavailable as exc:
        if server is not None:
            server.stop()
        pytest.fail(f"PostgreSQL could not be started for the tests: {exc}", pytrace=False)

    async def migrated_template() -> None:
        db = await Database.open(await server.create_database(TEMPLATE))
        await db.close()

    try:
        _in_own_loop(migrated_template())
        yield server
    finally:
        server.stop()


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest
) -> AsyncIterator[str | None]:
    """A fresh, migrated PostgreSQL database for this test (None on SQLite: the bot's file is
    in the test's own folder)."""
    if backend != "postgresql":
        yield None
        return
    server: LocalPostgres = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = await server.create_database(name, template=TEMPLATE)
    yield url
    await server.drop_database(name)


@pytest.fixture
async def empty_database(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str | Path]:
    """Where a test opens a database of its own, nothing applied yet: a new SQLite file, or a
    new, empty PostgreSQL database."""
    if backend != "postgresql":
        yield tmp_path / "bot.sqlite3"
        return
    server: LocalPostgres = request.getfixturevalue("postgres_server")
    name = f"empty_{uuid.uuid4().hex[:16]}"
    url = await server.create_database(name)
    yield url
    await server.drop_database(name)


@pytest.fixture
def settings(world: SandboxWorld, tmp_path: Path, database_url: str | None) -> Settings:
    return sandbox_settings(world, tmp_path, database_url=database_url)




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
