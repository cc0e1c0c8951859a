"""A throwaway PostgreSQL server for the tests, the demo's checks and the benchmarks: started
from the machine's own binaries (initdb, pg_ctl) in a temporary folder, on a free loopback port,
and removed when stopped. Nothing is set up by hand.

initdb and pg_ctl refuse to run as root, and sessions and CI run as root here: as root, the
server runs as the unprivileged `postgres` system user (Debian's postgresql package makes it)
through runuser; as anyone else, as that user. It listens on TCP only, with password
authentication, so a test can check that the password never shows.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from sandbox.harness import free_port
from storage.database_url import PostgresUrl
from storage.postgres import connect_once

SUPERUSER = "deal_scout"
RUN_AS = "postgres"  # the system user Debian's package creates for its own server
START_ATTEMPTS = 3  # a free port can be taken between choosing it and binding it
# Settings for a server whose data is thrown away: durability off, room for many pools.
THROWAWAY_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says what is missing."""


def find_bindir() -> Path:
    """The folder with initdb and pg_ctl: PG_BINDIR when set (and nothing else then), else
    `pg_config --bindir`, the newest /usr/lib/postgresql/N/bin (Debian keeps the server
    binaries off the PATH), or the PATH."""
    chosen = os.environ.get("PG_BINDIR")
    if chosen:
        if not all((Path(chosen) / program).is_file() for program in ("initdb", "pg_ctl")):
            raise PostgresUnavailable(f"PG_BINDIR ({chosen}) has no initdb and pg_ctl in it")
        return Path(chosen)
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                   check=True, timeout=10).stdout.strip()
            candidates.append(Path(found))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    candidates.extend(reversed(versions))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresUnavailable(
        "PostgreSQL's server programs (initdb, pg_ctl) are not on this machine: install "
        "Debian's postgresql package, or set PG_BINDIR to the folder that holds them"
    )


def _run_as_prefix() -> list[str]:
    """How to run the server's programs: as they are, or as root through runuser."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        raise PostgresUnavailable(
            f"initdb refuses to run as root, and there is no {RUN_AS!r} user to run it as "
            "(Debian's postgresql package creates one): run as an ordinary user, or create it"
        ) from None
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", RUN_AS, "--"]


class LocalPostgres:
    """One server in a temporary folder. `start()`, then `url(name)` for each database made
    with `create_database`; `stop()` ends the server and removes the folder."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self._prefix = _run_as_prefix()
        self._root: Path | None = None

    @property
    def data_dir(self) -> Path:
        assert self._root is not None, "start() first"
        return self._root / "data"

    def url(self, database: str = "postgres") -> str:
        """A URL for `database` as the superuser, password and all (for the bot's settings)."""
        password = urllib.parse.quote(self.password, safe="")
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="deal-scout-pg-"))
        if self._prefix:
            shutil.chown(self._root, user=RUN_AS)
        password_file = self._root / "password"
        password_file.write_text(self.password)
        if self._prefix:
            shutil.chown(password_file, user=RUN_AS)
        try:
            self._run("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--pwfile",
                      str(password_file), "--auth", "scram-sha-256", "-E", "UTF8",
                      "--no-locale", "--no-sync")
        finally:
            password_file.unlink()
        for attempt in range(START_ATTEMPTS):
            self.port = free_port()
            options = " ".join([f"-p {self.port}", f"-k {self._root}",
                                *(f"-c {name}={value}" for name, value in
                                  THROWAWAY_SETTINGS.items())])
            try:
                self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self._root / "log"),
                          "-o", options, "-w", "-t", "30", "start")
                return
            except PostgresUnavailable:
                if attempt == START_ATTEMPTS - 1:
                    raise

    def stop(self) -> None:
        """Stop at once (the data is thrown away) and remove the folder."""
        if self._root is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable):
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self._root, ignore_errors=True)
        self._root = None

    def _run(self, program: str, *args: str) -> None:
        command = [*self._prefix, str(self.bindir / program), *args]
        try:
            subprocess.run(command, cwd=self._root, capture_output=True, text=True, check=True,
                           timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            output = getattr(exc, "stderr", "") or ""
            log = self._root / "log" if self._root else None
            if log is not None and log.exists():
                output += log.read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(f"{program} failed: {exc}\n{output.strip()}") from None

    # ── Databases ──

    async def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new, empty database (or a copy of `template`); returns its URL."""
        conn = await asyncpg.connect(self.url())
        try:
            copy = f" TEMPLATE {_quoted(template)}" if template else ""
            await conn.execute(f"CREATE DATABASE {_quoted(name)}{copy}")
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, name: str) -> None:
        """Drop it, ending any connection still open to it."""
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
        finally:
            await conn.close()

    def __enter__(self) -> LocalPostgres:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@contextlib.asynccontextmanager
async def throwaway_schema(url: str, name: str) -> AsyncIterator[str]:
    """A fresh schema `name` in the database at `url`, and a URL whose sessions use it; the
    schema and everything in it are dropped when the block ends. The demo runs in one, so a
    database used before (or after) sees nothing of it. `DatabaseUnavailable` when the server
    cannot be reached."""
    parsed = PostgresUrl.parse(url)
    conn = await connect_once(parsed)
    try:
        await conn.execute(f"CREATE SCHEMA {_quoted(name)}")
    finally:
        await conn.close()
    try:
        yield parsed.with_server_settings(search_path=name).url
    finally:
        conn = await connect_once(parsed)
        try:
            await conn.execute(f"DROP SCHEMA {_quoted(name)} CASCADE")
        finally:
            await conn.close()
