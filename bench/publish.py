"""Our overhead per publish: one listing to one marketplace through its sandbox, no injected
latency, against the floor set by the HTTP round trips the contract needs and the photo work.

For each marketplace: connect once (OAuth against the sandbox), then publish N listings with one
phone-sized photo each (fresh sku each time) and report medians of
  publish      the adapter's whole publish (photo prepared, uploaded, listing created)
  photo        marketplaces.photos.prepare_async of the same photo alone
  requests     HTTP requests the sandbox served per publish
  round trip   one minimal request to the same sandbox (the network floor per request)
and overhead = publish − photo − requests × round trip, with the ratio publish / floor.

    .venv/bin/python bench/publish.py [--listings 20]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from PIL import Image

from bot.logs import configure_logging
from marketplaces import registry
from marketplaces.base import Condition, Listing, Location, Marketplace, Tokens
from marketplaces.media import MediaStore
from marketplaces.photos import prepare_async
from sandbox.harness import free_port
from sandbox.world import SandboxWorld


def phone_photo() -> bytes:
    """A 2000×1500 JPEG with detail, about what a phone sends through Telegram."""
    image = Image.effect_mandelbrot((2000, 1500), (-2.2, -1.2, 1.0, 1.2), 60).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


async def connect(adapter: Marketplace, sandbox: Any) -> Tokens:
    verifier = secrets.token_urlsafe(48) if adapter.oauth.pkce else None
    back = await sandbox.oauth.consent(adapter.authorization_url("bench-state", verifier))
    code = httpx.URL(back).params["code"]
    tokens = await adapter.exchange_code(code, verifier)
    return await adapter.prepare_account(tokens)


def listing(photo: bytes) -> Listing:
    return Listing(
        sku=f"BENCH-{secrets.token_hex(6)}",
        title="Brass desk lamp, working",
        description="Solid brass, rewired, 45 cm tall.",
        price_cents=4500,
        condition=Condition.GOOD,
        photos=(photo,),
        category="Lamps",
        location=Location(postal_code="98402"),
    )


async def round_trip(url: str, samples: int = 50) -> float:
    async with httpx.AsyncClient() as client:
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            await client.get(f"{url}/bench-round-trip-probe")
            times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure(
    name: str, world: SandboxWorld, media: MediaStore, count: int
) -> dict[str, float]:
    sandbox = world.marketplaces[name]
    config = sandbox.adapter_config(f"{media.public_base_url}/oauth/{name}/callback")
    adapter = registry.build({name: config}, media, lambda purpose: secrets.token_hex(32))[name]
    photo = phone_photo()
    try:
        tokens = await connect(adapter, sandbox)
        await adapter.publish(tokens, listing(photo))  # warm-up: location, categories, caches
        publish, prepare, requests = [], [], []
        for _ in range(count):
            started = time.perf_counter()
            await prepare_async(photo, adapter.rules)
            prepare.append(time.perf_counter() - started)
            before = sandbox.request_count
            started = time.perf_counter()
            await adapter.publish(tokens, listing(photo))
            publish.append(time.perf_counter() - started)
            requests.append(sandbox.request_count - before)
    finally:
        await adapter.aclose()
    rtt = await round_trip(sandbox.url)
    result = {
        "publish": statistics.median(publish),
        "photo": statistics.median(prepare),
        "requests": statistics.median(requests),
        "rtt": rtt,
    }
    result["floor"] = result["photo"] + result["requests"] * rtt
    result["overhead"] = result["publish"] - result["floor"]
    return result


async def main_async(count: int) -> dict[str, dict[str, float]]:
    results = {}
    with tempfile.TemporaryDirectory(prefix="deal-scout-bench-") as tmp:
        async with SandboxWorld() as world:
            # Facebook fetches photos by URL: serve them as the bot's web server does.
            port = free_port()
            media = MediaStore(Path(tmp), b"bench-signing-key", f"http://127.0.0.1:{port}")
            media_app = web.Application()
            media_app.router.add_get("/media/{token}", media.handle)
            runner = web.AppRunner(media_app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                for name in world.marketplaces:
                    results[name] = await measure(name, world, media, count)
            finally:
                await runner.cleanup()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=20)
    args = parser.parse_args()
    configure_logging("ERROR")
    results = asyncio.run(main_async(args.listings))
    print(f"{args.listings} publishes per marketplace, one 2000×1500 photo each (medians)")
    print(f"  {'':<10}{'publish':>10}{'photo':>10}{'requests':>10}{'rtt':>9}"
          f"{'overhead':>10}{'ratio':>8}")
    for name, r in results.items():
        print(
            f"  {name:<10}{r['publish'] * 1000:>8.1f}ms{r['photo'] * 1000:>8.1f}ms"
            f"{r['requests']:>10.0f}{r['rtt'] * 1000:>7.2f}ms{r['overhead'] * 1000:>8.1f}ms"
            f"{r['publish'] / r['floor']:>8.2f}"
        )
    print("  ratio = publish / (photo + requests × rtt); overhead = the difference")


if __name__ == "__main__":
    main()
