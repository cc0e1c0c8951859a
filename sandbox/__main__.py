"""`python -m sandbox`: serve the local stand-ins until Ctrl-C, printing how to reach them.

Each stand-in is one entry in SERVERS: a name and a starter that serves it and says how to stop.
Adding a marketplace is adding one starter to that list.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sandbox.telegram import TelegramEmulator


@dataclass
class Running:
    """A started stand-in: what to print about it and how to stop it."""

    name: str
    lines: list[str]
    stop: Callable[[], Awaitable[None]]


Starter = Callable[[argparse.Namespace], Awaitable[Running]]


async def start_telegram(args: argparse.Namespace) -> Running:
    """The Telegram Bot API emulator, on --host/--port."""
    emulator = TelegramEmulator(rate_limit_per_second=args.rate_limit or None)
    await emulator.start(args.host, args.port)
    return Running(
        name="Telegram Bot API emulator",
        lines=[
            f"base_url       {emulator.base_url}",
            f"base_file_url  {emulator.base_file_url}",
            f"token          {emulator.token}",
            f"send as seller POST {emulator.url}/_sandbox/sellers/<user_id>/messages "
            '{"text": "/start"}',
            f"transcript     GET  {emulator.url}/_sandbox/transcript",
        ],
        stop=emulator.stop,
    )


SERVERS: list[tuple[str, Starter]] = [
    ("telegram", start_telegram),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081,
                        help="port of the Telegram Bot API emulator (8081)")
    parser.add_argument("--rate-limit", type=int, default=30,
                        help="sending calls per second before 429; 0 disables (30)")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start every stand-in, print how to use them, serve until Ctrl-C or SIGTERM, stop all."""
    running: list[Running] = []
    try:
        for _name, starter in SERVERS:
            server = await starter(args)
            running.append(server)
            print(f"{server.name}:")
            for line in server.lines:
                print(f"  {line}")
        print("Ctrl-C stops.", flush=True)
        stopping = asyncio.Event()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        await stopping.wait()
    finally:
        for server in reversed(running):
            await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point of `python -m sandbox`."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
