"""The whole outside world on loopback: Telegram and every marketplace sandbox, started together.

The demo, the tests and the benchmarks use it; `python -m sandbox` serves it for manual runs.
"""

from __future__ import annotations

from typing import Any

from sandbox.ebay import EbaySandbox
from sandbox.facebook import FacebookSandbox
from sandbox.kit import SandboxServer
from sandbox.offerup import OfferUpSandbox
from sandbox.telegram import TelegramEmulator

MARKETPLACES: dict[str, type[SandboxServer]] = {
    "ebay": EbaySandbox,
    "facebook": FacebookSandbox,
    "offerup": OfferUpSandbox,
}


class SandboxWorld:
    def __init__(self, *, telegram_rate_limit: int | None = 30) -> None:
        self.telegram = TelegramEmulator(rate_limit_per_second=telegram_rate_limit)
        self.marketplaces: dict[str, Any] = {name: cls() for name, cls in MARKETPLACES.items()}

    def __getattr__(self, name: str) -> Any:
        """world.offerup, world.ebay … for the marketplace sandboxes."""
        marketplaces = self.__dict__.get("marketplaces", {})
        if name in marketplaces:
            return marketplaces[name]
        raise AttributeError(name)

    async def start(self, host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> None:
        ports = ports or {}
        await self.telegram.start(host, ports.get("telegram", 0))
        for name, sandbox in self.marketplaces.items():
            await sandbox.start(host, ports.get(name, 0))

    async def stop(self) -> None:
        for sandbox in self.marketplaces.values():
            await sandbox.stop()
        await self.telegram.stop()

    async def __aenter__(self) -> SandboxWorld:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def marketplace_configs(self, public_base_url: str) -> dict[str, Any]:
        """Adapter configs pointing at these sandboxes, redirecting to our callback."""
        base = public_base_url.rstrip("/")
        return {
            name: sandbox.adapter_config(f"{base}/oauth/{name}/callback")
            for name, sandbox in self.marketplaces.items()
        }
