"""Configuration, `python -m bot check|migrate|demo` (on SQLite and PostgreSQL), and redaction of
secrets in logs."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from bot.config import ConfigError, load_settings
from bot.logs import MASK, configure_logging
from marketplaces import registry
from sandbox.demo import run_demo
from sandbox.harness import free_port, marketplace_env
from sandbox.postgres import LocalPostgres
from storage.crypto import TokenCipher
from storage.migrations import discover

TOKEN = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_names_every_problem_in_one_message(tmp_path: Path) -> None:
    result = run_cli(
        "check",
        env={"WEB_PORT": "eighty", "TELEGRAM_API_BASE": "ftp://example.org", "LOG_LEVEL": "LOUD",
             "PUBLISH_RETRY_BASE_SECONDS": "soon"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(lines) == 6
    for name in (
        "TELEGRAM_BOT_TOKEN is missing",
        "TOKEN_ENCRYPTION_KEY is missing",
        "TELEGRAM_API_BASE is malformed",
        "WEB_PORT is malformed",
        "LOG_LEVEL is malformed",
        "PUBLISH_RETRY_BASE_SECONDS is malformed (a number from 0.01 to 3600",
    ):
        assert name in result.stderr


def test_check_accepts_a_good_env_file_and_never_prints_the_token(tmp_path: Path) -> None:
    key = TokenCipher.generate_key()
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nTOKEN_ENCRYPTION_KEY={key}\n"
        "TELEGRAM_API_BASE=http://127.0.0.1:8081/bot\n"
    )
    result = run_cli("check", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Configuration OK: Bot API at http://127.0.0.1:8081/bot" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
    assert key not in result.stdout + result.stderr


def test_environment_wins_over_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nTOKEN_ENCRYPTION_KEY={TokenCipher.generate_key()}\n"
        "WEB_PORT=9000\n"
    )
    settings = load_settings({"WEB_PORT": "9100"}, env_file)
    assert settings.web_port == 9100
    assert settings.telegram_bot_token == TOKEN
    assert TOKEN not in repr(settings)


def test_webhook_mode_requires_public_url_and_secret(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key()}
    load_settings(env, None)  # polling needs neither
    with pytest.raises(ConfigError) as caught:
        load_settings(env, None, webhook=True)
    assert caught.value.problems == [
        "PUBLIC_BASE_URL is missing (webhook mode needs the bot's public URL)",
        "WEBHOOK_SECRET is missing (webhook mode needs a secret token)",
    ]


@pytest.mark.both_databases
def test_migrate_command_is_idempotent(tmp_path: Path, empty_database: str | Path) -> None:
    where = ({"DATABASE_URL": empty_database} if isinstance(empty_database, str)
             else {"DATABASE_PATH": str(tmp_path / "db" / "bot.sqlite3")})
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key(),
           **where}
    first = run_cli("migrate", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in discover())
    assert f"Applied {len(discover())} migration(s): {names}" in first.stdout
    second = run_cli("migrate", env=env, cwd=tmp_path)
    assert second.returncode == 0
    assert "Database is up to date; nothing to apply." in second.stdout


def test_check_reaches_postgresql_and_never_prints_its_password(
    tmp_path: Path, postgres_server: LocalPostgres
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key(),
           "DATABASE_URL": postgres_server.url()}
    result = run_cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ", database PostgreSQL 15." in result.stdout
    assert (f" at postgresql://deal_scout:***@127.0.0.1:{postgres_server.port}/postgres"
            " (reachable), web server on") in result.stdout
    assert postgres_server.password not in result.stdout + result.stderr


def test_check_says_when_postgresql_is_unreachable_and_why(
    tmp_path: Path, postgres_server: LocalPostgres
) -> None:
    port = free_port()
    url = postgres_server.url().replace(f":{postgres_server.port}/", f":{port}/")
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key(),
           "DATABASE_URL": url}
    result = run_cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "The settings are valid, but the database is not reachable.",
        f"Cannot reach PostgreSQL at postgresql://deal_scout:***@127.0.0.1:{port}/postgres:"
        " nothing answers there (connection refused): is the server running, and are the host"
        " and port right?",
    ]
    assert postgres_server.password not in result.stderr


@pytest.mark.parametrize(("url", "problem"), [
    ("mysql://ana:hunter2-secret@db.example.org/deal",
     "DATABASE_URL is malformed: it must start with postgresql://"),
    ("postgresql://ana:hunter2-secret@db.example.org:54x2/deal",
     "DATABASE_URL is malformed: its port is not a number from 1 to 65535"),
    ("postgresql://ana:hunter2-secret@db.example.org/deal/extra",
     "DATABASE_URL is malformed: its path must be just the database name"),
])
def test_a_malformed_database_url_is_named_without_repeating_it(url: str, problem: str) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key(),
           "DATABASE_URL": url}
    with pytest.raises(ConfigError) as caught:
        load_settings(env, None)
    named = [p for p in caught.value.problems if "DATABASE_URL" in p]
    assert len(named) == 1 and named[0].startswith(problem)
    assert "hunter2-secret" not in str(caught.value)


def test_the_database_password_is_a_secret_the_logs_mask() -> None:
    url = "postgresql://ana:hunter2-secret@db.example.org:5432/deal"
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": url,
                              "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key()}, None)
    assert settings.database_location == url
    assert settings.database_shown == "postgresql://ana:***@db.example.org:5432/deal"
    assert "hunter2-secret" not in repr(settings)
    stream = io.StringIO()
    configure_logging("INFO", settings.secrets(), stream=stream)
    logging.getLogger("tests.redaction").warning("lost %s", url)
    assert "hunter2-secret" not in stream.getvalue()
    assert "postgresql://ana:[REDACTED]@db.example.org" in stream.getvalue()


def test_redaction_masks_tokens_in_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", [TOKEN, "oauth-client-secret-xyz"], stream=stream)
    log = logging.getLogger("tests.redaction")
    log.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    log.info("client secret is oauth-client-secret-xyz")
    log.warning("upstream said Authorization: Bearer eyJhbGciOi.J9.abc")
    log.warning('body {"access_token": "v^1.1#abc", "expires_in": 7200}')
    log.info("some other bot 1234567:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA leaked")
    log.debug("<Request('GET', 'https://graph.facebook.com/debug_token?input_token=EAAGm0PX4')>")
    log.debug("Authorization: Bearer 1234567890|fb-app-secret-value")  # Graph's app token
    try:
        raise RuntimeError(f"connect failed for https://api.telegram.org/bot{TOKEN}/send")
    except RuntimeError:
        log.exception("request failed")
    output = stream.getvalue()
    assert TOKEN not in output
    assert "oauth-client-secret-xyz" not in output
    assert "eyJhbGciOi" not in output
    assert "v^1.1#abc" not in output
    assert "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" not in output
    assert "EAAGm0PX4" not in output
    assert "fb-app-secret-value" not in output
    assert output.count(MASK) >= 8
    assert "RuntimeError: connect failed for https://api.telegram.org/bot[REDACTED]" in output
    assert '"expires_in": 7200' in output


def test_env_example_lists_every_setting_with_a_comment() -> None:
    example = (Path(__file__).parents[2] / ".env.example").read_text().splitlines()
    names = [line.split("=", 1)[0] for line in example if line and not line.startswith("#")]
    core = [
        "TELEGRAM_BOT_TOKEN", "TOKEN_ENCRYPTION_KEY", "TELEGRAM_API_BASE", "TELEGRAM_FILE_BASE",
        "DATA_DIR", "DATABASE_PATH", "DATABASE_URL", "WEB_HOST", "WEB_PORT", "PUBLIC_BASE_URL",
        "WEBHOOK_SECRET", "LOG_LEVEL", "TELEGRAM_MAX_MESSAGES_PER_SECOND",
        "PUBLISH_RETRY_BASE_SECONDS",
    ]
    assert set(core) | set(registry.env_vars()) == set(names)
    for index, line in enumerate(example):
        if line and not line.startswith("#"):
            assert example[index - 1].startswith("# "), f"{line} has no comment above it"


def test_a_half_configured_marketplace_is_named_by_check(tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key(),
        "EBAY_CLIENT_ID": "my-app",
    }
    result = run_cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "EBAY_CLIENT_SECRET" in result.stderr
    assert "PUBLIC_BASE_URL is missing" in result.stderr


async def test_sandbox_configs_round_trip_through_the_environment() -> None:
    from sandbox.world import SandboxWorld

    async with SandboxWorld() as world:
        configs = world.marketplace_configs("https://bot.example.org")
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TOKEN_ENCRYPTION_KEY": TokenCipher.generate_key(),
               "PUBLIC_BASE_URL": "https://bot.example.org"}
        for name, config in configs.items():
            env.update(marketplace_env(name, config))
        settings = load_settings(env, None)
    for name, config in configs.items():
        loaded = settings.marketplaces[name]
        for variable, value in marketplace_env(name, config).items():
            assert marketplace_env(name, loaded)[variable] == value


# ── The demo on PostgreSQL ────────────────────────────────────────────────────────────────────


async def committed_transactions(server: LocalPostgres) -> int:
    conn = await asyncpg.connect(server.url())
    try:
        return await conn.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'")
    finally:
        await conn.close()


async def demo_schemas(server: LocalPostgres) -> list[str]:
    conn = await asyncpg.connect(server.url())
    try:
        rows = await conn.fetch("SELECT schema_name FROM information_schema.schemata"
                                " WHERE schema_name LIKE 'deal_scout_demo_%'")
        return [row[0] for row in rows]
    finally:
        await conn.close()


@pytest.mark.slow
async def test_the_demo_runs_on_the_database_url_and_leaves_nothing_behind(
    tmp_path: Path, postgres_server: LocalPostgres
) -> None:
    before = await committed_transactions(postgres_server)
    result = await asyncio.to_thread(
        run_cli, "demo", "--quiet", env={"DATABASE_URL": postgres_server.url()}, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    first, *_, verdict = result.stdout.splitlines()
    assert first.startswith(
        f"Database: PostgreSQL at postgresql://deal_scout:***@127.0.0.1:{postgres_server.port}"
        "/postgres, schema deal_scout_demo_")
    assert first.endswith(" (dropped after).")
    assert re.fullmatch(r"Demo: (\d+)/\1 steps got the reply they expected \(.*\)\.", verdict)
    assert postgres_server.password not in result.stdout + result.stderr
    # The bot's hundreds of transactions went to the server, in a schema now gone.
    assert await committed_transactions(postgres_server) - before > 300
    assert await demo_schemas(postgres_server) == []


async def test_the_demo_says_plainly_when_the_database_url_is_wrong_or_unreachable(
    postgres_server: LocalPostgres, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://ana:hunter2-secret@db.example.org/deal")
    assert await run_demo(quiet=True) == 2
    assert capsys.readouterr().err == (
        "DATABASE_URL is malformed: it must start with postgresql://, as in"
        " postgresql://user:password@host:5432/database\n")

    port = free_port()
    monkeypatch.setenv("DATABASE_URL", postgres_server.url().replace(
        f":{postgres_server.port}/", f":{port}/"))
    assert await run_demo(quiet=True) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(
        f"Cannot reach PostgreSQL at postgresql://deal_scout:***@127.0.0.1:{port}/postgres:"
        " nothing answers there (connection refused)")
    assert postgres_server.password not in err
