"""Settings from the environment, with an optional `.env` file underneath it.

Every outside base URL is a setting, so the same code runs against Telegram, an operator's own
Bot API server, or the local sandbox. `python -m bot check` reports every problem in one message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from marketplaces import registry
from marketplaces.settings import EnvReader
from storage.crypto import InvalidKeyError, TokenCipher
from storage.database_url import PostgresUrl

BOT_TOKEN_PATTERN = re.compile(r"^\d{5,20}:[A-Za-z0-9_-]{30,64}$")
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """One or more settings are missing or malformed; `problems` names each of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"Configuration has {len(problems)} problem(s):\n{listed}")


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str = field(repr=False)
    token_encryption_key: str = field(repr=False)
    telegram_api_base: str = "https://api.telegram.org/bot"
    telegram_file_base: str = "https://api.telegram.org/file/bot"
    data_dir: Path = Path("data")
    database_path: Path = Path("data/deal-scout.sqlite3")
    # postgresql://…: PostgreSQL instead of the SQLite file (it may hold a password).
    database_url: str | None = field(default=None, repr=False)
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    public_base_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    # Messages a second the bot allows itself (Telegram's limit is about 30); 0 turns the
    # throttle off, e.g. for a benchmark against the emulator. A 429 is waited out either way.
    telegram_max_rate: float = 30.0
    # First retry delay of a publish that hit a timeout, 5xx or 429 (doubling, six tries).
    publish_retry_base_seconds: float = 30.0
    # marketplace name → that adapter's config (only the configured ones)
    marketplaces: Mapping[str, Any] = field(default_factory=dict)

    @property
    def webhook_url(self) -> str:
        if not self.public_base_url:
            raise ConfigError(["PUBLIC_BASE_URL is required for webhook mode"])
        return f"{self.public_base_url.rstrip('/')}/telegram/webhook"

    @property
    def database_location(self) -> str | Path:
        """What `Database.open` takes: the PostgreSQL URL when set, else the SQLite file."""
        return self.database_url or self.database_path

    @property
    def database_shown(self) -> str:
        """The database as it may be printed: a path, or the URL without its password."""
        return PostgresUrl(self.database_url).redacted if self.database_url else str(
            self.database_path)

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line or a page."""
        keys = self.token_encryption_key.split(",")
        clients = [getattr(config, attribute, None) for config in self.marketplaces.values()
                   for attribute in ("client_secret", "app_secret")]
        database = PostgresUrl(self.database_url).password if self.database_url else None
        values = [self.telegram_bot_token, self.webhook_secret, *keys, *clients, database]
        return [value.strip() for value in values if value and value.strip()]


def read_environment(
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
) -> dict[str, str]:
    """The process environment over the `.env` file (the environment wins)."""
    merged: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: str | Path | None = ".env",
    *,
    webhook: bool = False,
) -> Settings:
    """Validate everything and build `Settings`, or raise `ConfigError` naming every problem."""
    env = read_environment(environ, env_file)
    reader = EnvReader(env)
    get = reader.get

    token = get("TELEGRAM_BOT_TOKEN")
    if token is None:
        reader.problem("TELEGRAM_BOT_TOKEN is missing (the token @BotFather gave you)")
    elif not BOT_TOKEN_PATTERN.match(token):
        reader.problem("TELEGRAM_BOT_TOKEN is malformed (expected 123456789:AA… from @BotFather)")

    key = get("TOKEN_ENCRYPTION_KEY")
    if key is None:
        reader.problem(
            "TOKEN_ENCRYPTION_KEY is missing (make one with: python -m bot generate-key)"
        )
    else:
        try:
            TokenCipher.from_setting(key)
        except InvalidKeyError as exc:
            reader.problem(f"TOKEN_ENCRYPTION_KEY is malformed: {exc}")

    urls = {
        name: reader.url(name, default)
        for name, default in (
            ("TELEGRAM_API_BASE", Settings.telegram_api_base),
            ("TELEGRAM_FILE_BASE", Settings.telegram_file_base),
            ("PUBLIC_BASE_URL", None),
        )
    }

    port_text = get("WEB_PORT") or str(Settings.web_port)
    port = int(port_text) if port_text.isdigit() else -1
    if not 1 <= port <= 65535:
        reader.problem("WEB_PORT is malformed (expected a port number from 1 to 65535)")

    log_level = (get("LOG_LEVEL") or Settings.log_level).upper()
    if log_level not in LOG_LEVELS:
        reader.problem(f"LOG_LEVEL is malformed (expected one of {', '.join(LOG_LEVELS)})")

    max_rate = _number(reader, "TELEGRAM_MAX_MESSAGES_PER_SECOND", Settings.telegram_max_rate,
                       0, 1000, "0 = off")
    retry_base = _number(reader, "PUBLISH_RETRY_BASE_SECONDS",
                         Settings.publish_retry_base_seconds, 0.01, 3600,
                         "the first retry's wait, doubling")

    database_url = get("DATABASE_URL")
    if database_url is not None:
        try:
            PostgresUrl.parse(database_url)
        except ValueError as exc:
            reader.problem(f"DATABASE_URL is malformed: {exc}")

    secret = get("WEBHOOK_SECRET")
    if secret is not None and not WEBHOOK_SECRET_PATTERN.match(secret):
        reader.problem("WEBHOOK_SECRET is malformed (16–256 characters of A–Z, a–z, 0–9, _ and -)")
    if webhook:
        if urls["PUBLIC_BASE_URL"] is None:
            reader.problem("PUBLIC_BASE_URL is missing (webhook mode needs the bot's public URL)")
        if secret is None:
            reader.problem("WEBHOOK_SECRET is missing (webhook mode needs a secret token)")

    marketplaces, marketplace_problems = registry.configs_from_env(env, urls["PUBLIC_BASE_URL"])
    for problem in marketplace_problems:
        reader.problem(problem)
    if (marketplaces or marketplace_problems) and urls["PUBLIC_BASE_URL"] is None:
        reader.problem(
            "PUBLIC_BASE_URL is missing (sellers open connection links and come back to it)"
        )

    if reader.problems:
        raise ConfigError(reader.problems)

    data_dir = Path(get("DATA_DIR") or Settings.data_dir)
    return Settings(
        telegram_bot_token=token or "",
        token_encryption_key=key or "",
        telegram_api_base=urls["TELEGRAM_API_BASE"] or Settings.telegram_api_base,
        telegram_file_base=urls["TELEGRAM_FILE_BASE"] or Settings.telegram_file_base,
        data_dir=data_dir,
        database_path=Path(get("DATABASE_PATH") or data_dir / "deal-scout.sqlite3"),
        database_url=database_url,
        web_host=get("WEB_HOST") or Settings.web_host,
        web_port=port,
        public_base_url=urls["PUBLIC_BASE_URL"],
        webhook_secret=secret,
        log_level=log_level,
        telegram_max_rate=max_rate,
        publish_retry_base_seconds=retry_base,
        marketplaces=marketplaces,
    )


def _number(
    reader: EnvReader, name: str, default: float, low: float, high: float, meaning: str
) -> float:
    """A number setting within [low, high]; a problem naming it otherwise."""
    try:
        value = float(reader.get(name) or default)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        reader.problem(f"{name} is malformed (a number from {low:g} to {high:g}; {meaning})")
    return value
