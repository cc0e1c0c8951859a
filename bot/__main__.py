"""The command line: `python -m bot {run,check,migrate,demo,generate-key}` (also `deal-scout`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from storage.crypto import TokenCipher


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deal-scout", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot (long polling unless --webhook)")
    run.add_argument("--webhook", action="store_true", help="receive updates on the web server")
    check = commands.add_parser("check", help="validate the configuration and say what is wrong")
    check.add_argument("--webhook", action="store_true", help="also check webhook settings")
    commands.add_parser("migrate", help="apply database migrations (safe to repeat)")
    demo = commands.add_parser("demo", help="run the bot against the local sandbox with a script")
    demo.add_argument("--quiet", action="store_true", help="print only the verdict")
    commands.add_parser("generate-key", help="print a new TOKEN_ENCRYPTION_KEY")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "generate-key":
        print(TokenCipher.generate_key())
        return 0
    if args.command == "demo":
        from sandbox.demo import run_demo  # lazily: only the demo touches the sandbox

        return asyncio.run(run_demo(quiet=args.quiet))
    try:
        settings = load_settings(webhook=getattr(args, "webhook", False))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.secrets())
    if args.command == "check":
        return asyncio.run(_check(settings))
    if args.command == "migrate":
        return asyncio.run(_migrate(settings.database_location))
    from bot.runtime import run_until_stopped

    asyncio.run(run_until_stopped(settings, webhook=args.webhook))
    return 0


async def _check(settings: Settings) -> int:
    """Settings are valid; a PostgreSQL server must also answer (a SQLite file is made at the
    first start, so there is nothing to reach)."""
    database = f"database {settings.database_shown}"
    if settings.database_url:
        from storage.db import DatabaseUnavailable, opened

        try:
            async with opened(settings.database_url, migrate=False) as db:
                database = f"database {await db.server_version()} at {db.location} (reachable)"
        except DatabaseUnavailable as exc:
            print(f"The settings are valid, but the database is not reachable.\n{exc}",
                  file=sys.stderr)
            return 1
    print(
        f"Configuration OK: Bot API at {settings.telegram_api_base}, {database}, "
        f"web server on {settings.web_host}:{settings.web_port}."
    )
    return 0


async def _migrate(location: str | Path) -> int:
    from storage.db import Database, DatabaseUnavailable
    from storage.migrations import MigrationError

    try:
        db = await Database.open(location, migrate=False)
    except DatabaseUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        applied = await db.migrate()
    except MigrationError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        await db.close()
    if applied:
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied)
        print(f"Applied {len(applied)} migration(s): {names}")
    else:
        print("Database is up to date; nothing to apply.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
