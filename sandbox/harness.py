"""What the demo, the tests and the benchmarks need to run the real bot against the sandboxes:
settings that point it at them (embedded defaults: a SQLite file, a throwaway key), the same as
environment variables for a bot in another process (and for `python -m sandbox` to print), a
free port for its web server, and a photo as a phone takes it."""

from __future__ import annotations

import io
import random
import socket
from dataclasses import fields
from pathlib import Path
from typing import Any

from PIL import Image

from bot.config import Settings
from marketplaces import registry
from sandbox.world import SandboxWorld
from storage.crypto import TokenCipher


def demo_photo(color: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A phone photo, GPS tags and all: the bot must strip them before any marketplace sees it."""
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"  # Make
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (47.0, 15.0, 10.0), 3: "W", 4: (122.0, 26.0, 39.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), color).save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now: our public URL must be known before the server starts,
    because OAuth links and redirect URIs carry it. Picked below the kernel's range for
    outgoing connections, so a client socket (ours, the database's, a parallel test's) cannot
    take it between this probe and the server's bind, as one bound by port 0 could."""
    lowest_ephemeral = _ephemeral_ports()[0]
    if lowest_ephemeral > PORTS_FROM + 1000:
        for _ in range(100):
            port = random.randrange(PORTS_FROM, lowest_ephemeral)
            with socket.socket() as probe:
                try:
                    probe.bind((host, port))
                except OSError:
                    continue
                return port
    with socket.socket() as probe:  # an unusual kernel range: what the kernel offers
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


PORTS_FROM = 20_000  # above the well-known and registered services most machines run


def _ephemeral_ports() -> tuple[int, int]:
    """The kernel's range for outgoing connections (Linux's default when it cannot be read)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def sandbox_settings(
    world: SandboxWorld, data_dir: Path, *, database_url: str | None = None
) -> Settings:
    """Embedded defaults: the sandboxes' URLs and credentials, a throwaway key, a SQLite file
    (or the PostgreSQL database at `database_url`).

    The demo, the tests and the benchmarks all run on these.
    """
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    return Settings(
        telegram_bot_token=world.telegram.token,
        token_encryption_key=TokenCipher.generate_key(),
        telegram_api_base=world.telegram.base_url,
        telegram_file_base=world.telegram.base_file_url,
        data_dir=data_dir,
        database_path=data_dir / "deal-scout.sqlite3",
        database_url=database_url,
        web_host="127.0.0.1",
        web_port=port,
        public_base_url=public,
        marketplaces=world.marketplace_configs(public),
    )


# Config fields whose variable is not simply PREFIX_FIELD.
_ENV_ALIASES = {("ebay", "redirect_uri"): "EBAY_RUNAME",
                ("facebook", "web_base"): "FACEBOOK_WEB_BASE_URL"}


def marketplace_env(name: str, config: Any) -> dict[str, str]:
    """The environment variables that configure `config` (the inverse of config_from_env), so
    a bot started as a separate process can be pointed at the same marketplace."""
    spec = next(spec for spec in registry.SPECS if spec.name == name)
    env = {}
    for item in fields(config):
        variable = _ENV_ALIASES.get((name, item.name), f"{name.upper()}_{item.name.upper()}")
        value = getattr(config, item.name)
        if variable in spec.module.ENV_VARS and isinstance(value, str):
            env[variable] = value
    return env
