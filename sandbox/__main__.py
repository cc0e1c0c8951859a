"""`python -m sandbox`: serve Telegram and every marketplace sandbox on fixed loopback ports
until Ctrl-C, printing how to point the bot at them.

    python -m sandbox [--host 127.0.0.1] [--bot-url http://127.0.0.1:8080]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from sandbox.harness import marketplace_env
from sandbox.world import MARKETPLACES, SandboxWorld

PORTS = {"telegram": 8081, **{name: 8082 + i for i, name in enumerate(MARKETPLACES)}}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument(
        "--bot-url",
        default="http://127.0.0.1:8080",
        help="the bot's PUBLIC_BASE_URL, for the OAuth redirect URIs (http://127.0.0.1:8080)",
    )
    parser.add_argument("--rate-limit", type=int, default=30,
                        help="Telegram sending calls per second before 429; 0 disables (30)")
    return parser.parse_args(argv)


def describe(world: SandboxWorld, bot_url: str) -> list[str]:
    telegram = world.telegram
    lines = [
        "Telegram Bot API emulator",
        f"  TELEGRAM_API_BASE={telegram.base_url}",
        f"  TELEGRAM_FILE_BASE={telegram.base_file_url}",
        f"  TELEGRAM_BOT_TOKEN={telegram.token}",
        f"  send as a seller: POST {telegram.url}/_sandbox/sellers/<user_id>/messages "
        '{"text": "/start"}',
        f"  transcript:       GET  {telegram.url}/_sandbox/transcript",
        f"PUBLIC_BASE_URL={bot_url}",
    ]
    for name, config in world.marketplace_configs(bot_url).items():
        lines.append(f"{name} sandbox at {world.marketplaces[name].url} — for the bot's .env:")
        lines.extend(f"  {key}={value}" for key, value in marketplace_env(name, config).items())
    return lines


async def serve(args: argparse.Namespace) -> None:
    world = SandboxWorld(telegram_rate_limit=args.rate_limit or None)
    await world.start(args.host, PORTS)
    try:
        print("\n".join(describe(world, args.bot_url)))
        print("Ctrl-C stops.", flush=True)
        stopping = asyncio.Event()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        await stopping.wait()
    finally:
        await world.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point of `python -m sandbox`."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
