"""Cross-posting one listing with 6 photos to eBay, Facebook and OfferUp at once, against posting
to one marketplace after another, with every marketplace API call 300 ms slow.

One seller, connected to the three sandboxes through the real consent flow, lists an item the
way /post does (draft → listing with one cross-post row per marketplace), with six distinct
1280×960 JPEGs (what Telegram hands a bot for a photo). Every API call to a sandbox waits
`--latency` seconds first (the sandboxes' fault injection: `Faults.latency_seconds`), the OAuth
pages and Facebook's fetches of our photo URLs excepted. Three ways to publish, each on a fresh
listing (a new sku) per run, alternating which goes first:

- ours: `CrossPoster.publish`, the engine /post's Post button runs: every marketplace at once;
- sequential: the same engine's publish of each cross-post (`CrossPoster._publish_one`, the
  adapter through the seller's connection, the rows marked as they go) awaited one after
  another, as the original backend posted;
- alone: a listing for one marketplace only, through `CrossPoster.publish`: that marketplace's
  own critical path, with nothing else running.

Printed: the medians of `--runs` runs, sequential ÷ ours (goal ≥ 2.5) and ours ÷ the slowest
marketplace alone (goal ≤ 1.1), and for each marketplace alone the API calls its publish made
and how many latencies long its critical path is: what limits the figures. The first publish
to each marketplace (a new seller's business policies, inventory location, category lookups)
is a warm-up, not timed.

    .venv/bin/python bench/crosspost.py [--runs 7] [--latency 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import time

from PIL import Image

from bot.logs import configure_logging
from bot.runtime import BotRuntime
from bot.skus import make_sku
from harness import connected_bot
from marketplaces.crosspost import as_listing
from sandbox.ebay import LAMPS
from sandbox.world import SandboxWorld

SELLER = 43_000
PHOTOS = 6
MARKETPLACES = ("ebay", "facebook", "offerup")


def telegram_photo(index: int) -> bytes:
    """A 1280×960 JPEG with detail JPEG cannot squeeze away, distinct per index."""
    rnd = random.Random(index)
    size = (1280, 960)
    bands = [
        Image.blend(
            Image.linear_gradient("L").rotate(rnd.randrange(360)).resize(size),
            Image.effect_noise(size, 40 + index),
            0.3,
        )
        for _ in range(3)
    ]
    buffer = io.BytesIO()
    Image.merge("RGB", bands).save(buffer, "JPEG", quality=87)
    return buffer.getvalue()


def short(path: str) -> str:
    """A request path without ids, to group the calls of one kind."""
    parts = [("…" if any(ch.isdigit() for ch in part) and len(part) > 6 else part)
             for part in path.split("/")]
    return "/".join(parts[-3:])


class Bench:
    def __init__(self, world: SandboxWorld, runtime: BotRuntime) -> None:
        self.world = world
        self.services = runtime.application.services
        self.photos = [telegram_photo(i) for i in range(PHOTOS)]
        self.count = 0

    async def listing(self, marketplaces: tuple[str, ...]) -> int:
        """A new listing of six photos with a cross-post row for each of `marketplaces`."""
        self.count += 1
        drafts = self.services.drafts
        title = f"Brass desk lamp no. {self.count}"
        await drafts.start(SELLER)
        for number, data in enumerate(self.photos):
            unique = f"{self.count}-{number}"
            await drafts.add_photo(SELLER, f"u{unique}", f"f{unique}", data, 1280, 960)
        await drafts.update(
            SELLER, title=title, description="Rewired.", description_set=1, price_cents=4000,
            condition="good", category="Lamps", category_ids={"ebay": LAMPS},
            condition_ids={"ebay": "3000"}, condition_note_set=1, details_set=1,
            aspects={"Brand": ["Unbranded"], "Type": ["Desk Lamp"]}, postal_code="98402",
            marketplaces=list(marketplaces),
        )
        draft = await drafts.get(SELLER)
        assert draft is not None
        return await self.services.listings.create_from_draft(draft, make_sku(title))

    async def ours(self, listing_id: int) -> None:
        rows = await self.services.crossposter.publish(listing_id)
        self.check(rows)

    async def sequential(self, listing_id: int) -> None:
        """The engine's own steps, each marketplace awaited before the next one starts."""
        poster, listings = self.services.crossposter, self.services.listings
        stored = await listings.get(listing_id)
        assert stored is not None
        listing = as_listing(stored, await listings.photo_bytes(stored))
        for row in await listings.cross_posts(listing_id):
            await poster._publish_one(stored.telegram_id, listing_id, row, listing)
        self.check(await listings.cross_posts(listing_id))

    @staticmethod
    def check(rows: list) -> None:
        states = {row.marketplace: row.state for row in rows}
        if set(states.values()) != {"published"}:
            raise SystemExit(f"a listing did not go live everywhere: {states}")

    def timeline(self, name: str) -> list[str]:
        """The calls `name`'s sandbox received since the last run started, grouped by the
        moment they arrived: one line per round trip on the critical path."""
        arrivals = [(at - self.started_at, method, path)
                    for at, method, path in self.world.marketplaces[name].recent_requests
                    if at >= self.started_at]
        lines: list[str] = []
        group: list[tuple[float, str, str]] = []
        for arrival in [*arrivals, (float("inf"), "", "")]:
            if group and arrival[0] - group[0][0] > 0.05:
                calls = sorted({f"{m} {short(p)}" for _, m, p in group})
                counted = [f"{sum(f'{m} {short(p)}' == c for _, m, p in group)}× {c}"
                           for c in calls]
                lines.append(f"+{group[0][0]:5.2f} s  " + ", ".join(counted))
                group = []
            group.append(arrival)
        return lines

    def requests(self) -> dict[str, int]:
        return {name: self.world.marketplaces[name].request_count for name in MARKETPLACES}

    async def timed(self, way: str) -> tuple[float, dict[str, int]]:
        """One run of `way` on a fresh listing: seconds, and API requests per marketplace."""
        chosen = MARKETPLACES if way in ("ours", "sequential") else (way,)
        listing_id = await self.listing(chosen)
        before = self.requests()
        self.started_at = time.monotonic()
        started = time.perf_counter()
        if way == "sequential":
            await self.sequential(listing_id)
        else:
            await self.ours(listing_id)
        elapsed = time.perf_counter() - started
        after = self.requests()
        return elapsed, {name: after[name] - before[name] for name in MARKETPLACES}


async def run(runs: int, latency: float) -> None:
    configure_logging("WARNING")
    ways = ["ours", "sequential", *MARKETPLACES]
    seconds: dict[str, list[float]] = {way: [] for way in ways}
    calls: dict[str, list[int]] = {way: [] for way in ways}
    timelines: dict[str, list[str]] = {}
    async with connected_bot(SELLER) as (world, runtime):
        bench = Bench(world, runtime)
        await bench.ours(await bench.listing(MARKETPLACES))  # warm-up, not timed
        for name in MARKETPLACES:
            world.marketplaces[name].faults.latency_seconds = latency
        for index in range(runs):
            order = ways[index % len(ways):] + ways[:index % len(ways)]
            for way in order:
                elapsed, served = await bench.timed(way)
                seconds[way].append(elapsed)
                calls[way].append(sum(served.values()))
                if way in MARKETPLACES:
                    timelines[f"{way} alone"] = bench.timeline(way)
                elif way == "ours":
                    for name in MARKETPLACES:
                        timelines[f"{name} in ours"] = bench.timeline(name)
    report(seconds, calls, runs, latency)
    print("  the calls of each marketplace in the last runs, by when they arrived:")
    for name, lines in sorted(timelines.items()):
        print(f"    {name}")
        for line in lines:
            print(f"      {line}")


def report(
    seconds: dict[str, list[float]], calls: dict[str, list[int]], runs: int, latency: float
) -> None:
    median = {way: statistics.median(values) for way, values in seconds.items()}
    print(f"One listing, {PHOTOS} photos (1280×960 JPEG), to eBay, Facebook and OfferUp; "
          f"{latency * 1000:.0f} ms before every API call; medians of {runs} runs")
    for way, label in (("ours", "ours (CrossPoster.publish, all at once)"),
                       ("sequential", "one marketplace after another")):
        print(f"  {label:<44} {median[way]:6.2f} s   (range {min(seconds[way]):.2f}–"
              f"{max(seconds[way]):.2f})   {statistics.median(calls[way]):.0f} API calls")
    print("  each marketplace alone (its own critical path):")
    for name in MARKETPLACES:
        depth = median[name] / latency
        print(f"    {name:<10} {median[name]:6.2f} s   (range {min(seconds[name]):.2f}–"
              f"{max(seconds[name]):.2f})   {statistics.median(calls[name]):.0f} API calls, "
              f"{depth:.1f} latencies long")
    slowest = max(MARKETPLACES, key=lambda name: median[name])
    speedup = median["sequential"] / median["ours"]
    overhead = median["ours"] / median[slowest]
    print(f"  sequential ÷ ours: {speedup:.2f}   (goal ≥ 2.5)")
    print(f"  ours ÷ the slowest alone ({slowest}): {overhead:.2f}   (goal ≤ 1.1)")
    ideal = sum(median[name] for name in MARKETPLACES) / median[slowest]
    print(f"  what limits sequential ÷ ours: the sum of the three alone ÷ the slowest = "
          f"{ideal:.2f}, reached only if ours cost no more than the slowest alone")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per API call")
    args = parser.parse_args()
    asyncio.run(run(args.runs, args.latency))


if __name__ == "__main__":
    main()
