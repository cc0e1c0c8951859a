"""Proof under load: many sellers at once connect, post an album and cross-post it, with faults.

They connect eBay, Facebook and OfferUp and cross-post to all three while a share of the
marketplaces' API calls fail.

Every seller, all of them at the same moment: /connect eBay, Facebook (as Rosa) and OfferUp through
the real flow (chat button → our start page → the sandbox's consent page → our callback; when the
bot says a connection failed, the seller taps its "Try again") → /post → an album of 4 photos →
title (unique per seller) → eBay's category, condition and item specifics (answered as
sandbox/autopilot.py does) → price → description → ZIP → every
marketplace → preview → Post, then waits for the one progress message to reach its final text.
The photos are uploaded to the Telegram emulator beforehand (setup, not timed).

From the first /connect on (`--calm-connect`: only once every seller has connected), a share
(`--fault-share`, 10%) of the sandboxes' API and token calls fail: 40% of those answer 5xx, 30%
429 with Retry-After: 1, and 30% hang for `--hang-seconds` — 25 s by default, beyond the
adapters' 20 s timeout, so they time out; with `--quick` 2 s, a slow answer, so the quick run stays
short. `--no-hangs`: 5xx and 429 only. For a bounded run Telegram's flood limit is off on both
sides (`SandboxWorld(telegram_rate_limit=None)`, `telegram_max_rate=0`) and the first publish
retry waits `--retry-base` seconds (0.2) instead of 30, doubling, six tries as in production.
Bot, emulator and sandboxes all run in this one process.

Afterwards it checks, from the sandboxes' own records and the bot's database: each seller's item
exists exactly once on each marketplace, with its 4 photos and the id the bot stored; each seller
has exactly one progress message and it says "is live on 3 of 3"; no cross-post is left
unpublished. It prints sellers per minute, p50/p99 from pressing Post to that final text, the peak
RSS, and "lost or doubled: N". Exit status 1 when any check fails.

    .venv/bin/python bench/load.py [--sellers 500] [--fault-share 0.10] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import logging
import random
import re
import resource
import ssl
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
from PIL import Image, ImageDraw

from bot.logs import configure_logging
from bot.runtime import BotRuntime
from harness import HandlerErrors, expect, text_of
from sandbox.browser import finish_in_browser
from sandbox.facebook import ROSA
from sandbox.harness import sandbox_settings
from sandbox.kit import OAuthProvider
from sandbox.telegram import ChatMessage, Seller, TelegramEmulator
from sandbox.world import SandboxWorld

PHOTOS = 4
WIDTH, HEIGHT = 1280, 960  # the largest size Telegram keeps of a photo sent compressed
ZIP_CODE = "98402"
FIRST_USER_ID = 80_000
PHOTO_CONCURRENCY = 2
CONNECT_TRIES = 10  # a seller taps "Try again" this often before giving up on a marketplace
ADAPTER_READ_TIMEOUT = 20.0  # marketplaces.base.DEFAULT_TIMEOUT, OfferUp's timeout_seconds
QUICK_SELLERS = 12
QUICK_HANG_SECONDS = 2.0
SETTLE_SECONDS = 2.0  # after the last final message, for stray edits or messages to land

# (marketplace, button name, account to approve as; None = the sandbox's first account)
MARKETPLACES: tuple[tuple[str, str, str | None], ...] = (
    ("ebay", "eBay", None),
    ("facebook", "Facebook Shop (catalog)", ROSA),
    ("offerup", "OfferUp", None),
)
FINAL = ("is live on", "couldn't be posted")
DIGITS = re.compile(r"\d+")
# Loopback is plain HTTP, but every httpx client loads the CA bundle (~20 ms of the event loop)
# unless handed a context: the sellers' browsers share this one.
BROWSER_TLS = ssl.create_default_context()


# ── Photos ────────────────────────────────────────────────────────────────────────────────────


def base_scenes() -> list[Image.Image]:
    """Four views of the item: a diagonal gradient with soft blotches, made once."""
    rnd = random.Random(404)
    scenes = []
    for _ in range(PHOTOS):
        gradient = Image.linear_gradient("L").rotate(rnd.randrange(360)).resize((WIDTH, HEIGHT))
        blotches = Image.effect_noise((WIDTH // 32, HEIGHT // 32), 60).resize(
            (WIDTH, HEIGHT), Image.Resampling.BILINEAR
        )
        tint = Image.new("L", (WIDTH, HEIGHT), rnd.randrange(40, 220))
        scenes.append(Image.merge("RGB", [gradient, Image.blend(gradient, blotches, 0.6), tint]))
    return scenes


def seller_photos(scenes: list[Image.Image], index: int) -> list[bytes]:
    """The scenes with a mark only this seller's photos carry, so every file is distinct."""
    rnd = random.Random(index)
    photos = []
    for number, scene in enumerate(scenes):
        image = scene.copy()
        x, y = rnd.randrange(WIDTH - 60), rnd.randrange(HEIGHT - 60)
        colour = (index % 256, (index // 256) % 256, 60 * number)
        ImageDraw.Draw(image).rectangle((x, y, x + 48, y + 48), fill=colour)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        photos.append(buffer.getvalue())
    return photos


# ── One seller ────────────────────────────────────────────────────────────────────────────────


@dataclass
class Run:
    index: int
    seller: Seller
    album: list[list[dict[str, Any]]] = field(default_factory=list)  # photo sizes, uploaded
    connect_tries: Counter[str] = field(default_factory=Counter)
    connected: float | None = None  # seconds from the start to all three connected
    pressed_post: float | None = None  # perf_counter when Post was pressed
    post_to_final: float | None = None
    finished: float | None = None  # seconds from the start to the final message
    final_text: str = ""
    error: str | None = None
    extra: list[str] = field(default_factory=list)  # bot messages nobody asked for
    step: str = "start"  # where the seller is, for the report when the journey fails

    @property
    def title(self) -> str:
        return f"Load test lamp #{self.index:04d}"

    @property
    def user_id(self) -> int:
        return FIRST_USER_ID + self.index


async def connect_one(
    run: Run, browser: httpx.AsyncClient, name: str, display: str, oauth: OAuthProvider,
    account_id: str | None, patience: float,
) -> None:
    """/connect → Connect X → Open X in the browser → approve → back in the chat; when the
    bot reports the connection failed, its "Try again" button starts over."""
    seller = run.seller
    run.step = f"connect {display}"
    await seller.send_command("connect")
    menu = await expect(run, "Tap a marketplace to connect it", patience=patience)
    holder, button = menu, f"Connect {display}"
    for _ in range(CONNECT_TRIES):
        run.connect_tries[name] += 1
        await seller.press(button, message_id=holder.message_id)
        link_button = f"🔗 Open {display}"
        await seller.wait_for(
            lambda _, m=holder, b=link_button: any(b in label for row in m.buttons
                                                   for label in row),
            timeout=patience,
        )
        link = seller.open_link(link_button, message_id=holder.message_id)
        await finish_in_browser(browser, link, oauth, account_id=account_id)
        answer = await expect(run, "is connected as", "Nothing was connected", patience=patience)
        if "is connected as" in text_of(answer):
            return
        holder, button = answer, "Try again"
    raise RuntimeError(f"{display} still not connected after {CONNECT_TRIES} tries")


def deliver_album(telegram: TelegramEmulator, run: Run) -> None:
    """The album's updates back to back, as Telegram sends them (photos uploaded in setup)."""
    group = str(10**16 + run.index)
    for sizes in run.album:
        telegram.from_seller(run.seller, ChatMessage(photo_sizes=sizes, media_group_id=group))


async def post_item(telegram: TelegramEmulator, run: Run, patience: float) -> ChatMessage:
    """From /post to pressing ✅ Post on the preview; returns the progress message."""
    seller = run.seller
    run.step = "/post up to Post"
    await seller.send_command("post")
    await expect(run, "Send me its photos", patience=patience)
    first = len(seller.bot_messages)
    deliver_album(telegram, run)
    # One answer per album; if it came before the last photo was in, the bot edits it (or, in
    # older code, sent another): wait until one of them counts every photo.
    await expect(run, "so far (up to", patience=patience)
    whole = f"{PHOTOS} photos so far"
    await seller.wait_for(
        lambda _: any(whole in text_of(m) for m in seller.bot_messages[first:]), timeout=patience
    )
    await seller.press("Done ✅")
    await expect(run, "What's the title?", patience=patience)
    await seller.send_text(run.title)
    # eBay's leaf for the title, its condition there and its required item specifics
    await expect(run, "What's the price", patience=patience, answering=True)
    await seller.send_text(f"${30 + run.index % 70}")
    await expect(run, "Add a description", patience=patience)
    await seller.send_text("Solid brass, rewired, 45 cm tall. Pick-up or shipping.")
    await expect(run, "Where is the item?", patience=patience, answering=True)
    await seller.send_text(ZIP_CODE)
    choice = await expect(run, "Where should I post it?", patience=patience,
                          allowed=lambda m: f"{ZIP_CODE} it is" in text_of(m))
    for _, display, _ in MARKETPLACES:
        if [f"⬜ {display}"] in choice.buttons:  # every marketplace is chosen
            await seller.press(f"⬜ {display}", message_id=choice.message_id)
    await seller.press("Continue »", message_id=choice.message_id)
    preview = await expect(run, "Tap a field to change it", patience=patience,
                           allowed=lambda m: bool(m.photo_sizes) and not m.text)
    await seller.press("✅ Post", message_id=preview.message_id)
    run.pressed_post = time.perf_counter()
    run.step = "Post → final message"
    return preview  # the preview card becomes the progress message


class Gate:
    """Counts sellers through a point; runs `on_open` and lets everyone on once all arrived."""

    def __init__(self, parties: int, on_open: Callable[[], None]) -> None:
        self.parties, self.arrived = parties, 0
        self.on_open = on_open
        self.opened = asyncio.Event()

    def arrive(self) -> None:
        self.arrived += 1
        if self.arrived == self.parties:
            self.on_open()
            self.opened.set()


async def seller_journey(
    world: SandboxWorld, run: Run, started: float, patience: float, connected: Gate | None,
) -> None:
    try:
        try:
            # The seller's own browser: its cookie jar holds only this seller's OAuth cookies.
            timeout = httpx.Timeout(patience, connect=30.0)
            async with httpx.AsyncClient(
                follow_redirects=False, timeout=timeout, verify=BROWSER_TLS
            ) as browser:
                for name, display, account_id in MARKETPLACES:
                    oauth = world.marketplaces[name].oauth
                    await connect_one(run, browser, name, display, oauth, account_id, patience)
            run.connected = time.perf_counter() - started
        finally:
            if connected is not None:
                connected.arrive()
        if connected is not None:
            await connected.opened.wait()
        progress = await post_item(world.telegram, run, patience)
        await run.seller.wait_for(
            lambda _: any(fragment in text_of(progress) for fragment in FINAL), timeout=patience
        )
        now = time.perf_counter()
        run.post_to_final = now - (run.pressed_post or now)
        run.finished = now - started
        run.final_text = text_of(progress)
    except Exception as exc:  # one seller's failure is counted, not fatal to the run
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        run.error = f"{run.step}: {type(exc).__name__}: {first_line}"[:200]


# ── The run ───────────────────────────────────────────────────────────────────────────────────


class LogTally(logging.Handler):
    """Warnings and errors the bot logs, by level, logger and message (numbers as N)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: Counter[tuple[str, str, str]] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = DIGITS.sub("N", record.getMessage())  # one line per kind, not per seller
        self.records[(record.levelname, record.name, message[:100])] += 1

    def count(self, *levels: str) -> int:
        return sum(n for (level, _, _), n in self.records.items() if level in levels)

    def starting(self, prefix: str) -> int:
        return sum(n for (_, _, message), n in self.records.items() if message.startswith(prefix))


@dataclass
class Outcome:
    runs: list[Run]
    setup: float
    wall: float
    handler_errors: list[BaseException]
    injected: dict[str, Counter[str]]
    api_requests: dict[str, int]
    listings: list[dict[str, Any]]  # the bot's listings rows
    cross_posts: list[dict[str, Any]]  # the bot's cross_posts rows
    copies: dict[str, list[tuple[str, str, str, int]]]  # marketplace → (id, key, title, photos)
    retry_jobs: int
    cpu: float  # CPU seconds of the process (all threads) from the first /connect to the end
    loop_cpu: float  # of which the event loop's thread: bot, emulator and sandboxes


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def set_faults(world: SandboxWorld, args: argparse.Namespace) -> None:
    share = args.fault_share
    for sandbox in world.marketplaces.values():
        faults = sandbox.faults
        faults.retry_after_seconds = 1
        if args.no_hangs:
            faults.error_share, faults.rate_limit_share = share * 0.6, share * 0.4
            faults.latency_seconds = args.latency
        else:
            faults.error_share, faults.rate_limit_share = share * 0.4, share * 0.3
            faults.hang_share, faults.hang_seconds = share * 0.3, args.hang_seconds
            faults.latency_seconds = args.latency


def sandbox_copies(world: SandboxWorld) -> dict[str, list[tuple[str, str, str, int]]]:
    """Every listing each sandbox holds: (its id, our key there, title, photo count). The key is
    the sku on eBay and Facebook (retailer_id); OfferUp stores no sku, so its key is the title."""
    return {
        "ebay": [(c.offer_id, c.sku, c.title, len(c.images)) for c in world.ebay.listings],
        "facebook": [(c.product_id, c.retailer_id, c.title, len(c.images))
                     for c in world.facebook.listings],
        "offerup": [(c.id, c.title, c.title, len(c.photo_ids))
                    for c in world.offerup.listings.values()],
    }


async def measure(args: argparse.Namespace, tally: LogTally, stream: TextIO) -> Outcome:
    handler_errors = HandlerErrors()
    with tempfile.TemporaryDirectory(prefix="deal-scout-load-") as tmp:
        async with SandboxWorld(telegram_rate_limit=None) as world:
            redactor = configure_logging("WARNING", [world.telegram.token], stream=stream)
            tally.addFilter(redactor)
            logging.getLogger().addHandler(tally)
            settings = dataclasses.replace(
                sandbox_settings(world, Path(tmp) / "bot"),
                telegram_max_rate=0,
                publish_retry_base_seconds=args.retry_base,
            )
            async with BotRuntime(settings, on_build=handler_errors.install) as runtime:
                setup_started = time.perf_counter()
                runs = [
                    Run(index, world.telegram.seller(FIRST_USER_ID + index, f"Seller {index}"))
                    for index in range(args.sellers)
                ]
                scenes = await asyncio.to_thread(base_scenes)
                photo_gate = asyncio.Semaphore(PHOTO_CONCURRENCY)

                async def upload(run: Run, scenes: list[Image.Image]) -> None:
                    async with photo_gate:
                        photos = await asyncio.to_thread(seller_photos, scenes, run.index)
                        for data in photos:
                            stored = await world.telegram.store_photo(data)
                            run.album.append([size.photo_size() for size in stored])

                await asyncio.gather(*(upload(run, scenes) for run in runs))
                del scenes
                setup = time.perf_counter() - setup_started

                gate = None
                if args.calm_connect:
                    gate = Gate(len(runs), lambda: set_faults(world, args))
                else:
                    set_faults(world, args)
                requests_before = {n: s.request_count for n, s in world.marketplaces.items()}
                started = time.perf_counter()
                cpu_before, loop_before = process_cpu(), time.thread_time()
                await asyncio.gather(*(
                    seller_journey(world, run, started, args.patience, gate) for run in runs
                ))
                wall = time.perf_counter() - started
                cpu, loop_cpu = process_cpu() - cpu_before, time.thread_time() - loop_before
                await asyncio.sleep(SETTLE_SECONDS)
                for sandbox in world.marketplaces.values():
                    sandbox.faults.clear()

                listings = [dict(row) for row in await runtime.db.fetchall(
                    "SELECT id, telegram_id, sku, title FROM listings"
                )]
                cross_posts = [dict(row) for row in await runtime.db.fetchall(
                    "SELECT listing_id, marketplace, state, external_id, retryable, attempts, "
                    "error FROM cross_posts"
                )]
                queue = runtime.application.job_queue
                retry_jobs = sum(job.name.startswith("retry:") for job in queue.jobs())
                outcome = Outcome(
                    runs=runs, setup=setup, wall=wall, handler_errors=handler_errors.errors,
                    injected={n: Counter(s.faults.injected) for n, s in world.marketplaces.items()},
                    api_requests={n: s.request_count - requests_before[n]
                                  for n, s in world.marketplaces.items()},
                    listings=listings, cross_posts=cross_posts, copies=sandbox_copies(world),
                    retry_jobs=retry_jobs, cpu=cpu, loop_cpu=loop_cpu,
                )
            logging.getLogger().removeHandler(tally)
    return outcome


# ── Checks and figures ────────────────────────────────────────────────────────────────────────


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


@dataclass
class Verdict:
    exactly_once: int = 0  # (seller, marketplace) pairs with exactly one copy
    lost: int = 0  # a copy missing although the seller was not told it failed
    untracked: int = 0  # a live copy the bot does not know (row not published, or another id)
    doubled: int = 0  # copies beyond the first, and copies that belong to no seller
    told_failed: int = 0  # missing, and the chat says so (❌: out of tries, or refused)
    wrong_photos: int = 0  # copies without exactly PHOTOS photos
    listing_rows: int = 0  # sellers who pressed Post without exactly one listing row
    never_posted: int = 0  # sellers whose journey ended before Post (counted as failed)
    problems: dict[str, list[str]] = field(default_factory=dict)  # kind → examples

    def note(self, kind: str, example: str) -> None:
        self.problems.setdefault(kind, []).append(example)

    @property
    def lost_or_doubled(self) -> int:
        return self.lost + self.untracked + self.doubled


def verify(outcome: Outcome) -> Verdict:
    """Each seller's copies on each sandbox against the bot's listings and cross_posts rows."""
    verdict = Verdict()
    by_user: dict[int, list[dict[str, Any]]] = {}
    for row in outcome.listings:
        by_user.setdefault(row["telegram_id"], []).append(row)
    rows = {(r["listing_id"], r["marketplace"]): r for r in outcome.cross_posts}
    index: dict[str, dict[str, list[tuple[str, str, str, int]]]] = {}
    for name, copies in outcome.copies.items():
        for copy in copies:
            index.setdefault(name, {}).setdefault(copy[1], []).append(copy)
    claimed: set[tuple[str, str]] = set()
    for run in outcome.runs:
        mine = by_user.get(run.user_id, [])
        if run.pressed_post is None:  # never got to Post: nothing of theirs may exist anywhere
            verdict.never_posted += 1
            if mine:
                verdict.listing_rows += 1
                verdict.note("a listing row without Post", f"seller {run.index}")
            continue
        if len(mine) != 1:
            verdict.listing_rows += 1
            verdict.note("not exactly one listing row after Post",
                         f"seller {run.index}: {len(mine)}")
        for name, _, _ in MARKETPLACES:
            if name != "offerup" and not mine:
                verdict.lost += 1
                continue
            key = run.title if name == "offerup" else mine[0]["sku"]
            claimed.add((name, key))
            found = index.get(name, {}).get(key, [])
            row = rows.get((mine[0]["id"], name)) if mine else None
            state = f"{row['state']}: {row['error'] or row['external_id']}" if row else "no row"
            if len(found) == 1:
                verdict.exactly_once += 1
                copy_id, _, title, photos = found[0]
                if photos != PHOTOS:
                    verdict.wrong_photos += 1
                    verdict.note(f"{name}: not {PHOTOS} photos", f"seller {run.index}: {photos}")
                if title != run.title:
                    verdict.note(f"{name}: another title", f"seller {run.index}: {title!r}")
                if row is None or row["state"] != "published" or row["external_id"] != copy_id:
                    verdict.untracked += 1
                    verdict.note(f"{name}: live as {copy_id!r}, but the bot has ({state})",
                                 f"seller {run.index}")
            elif not found:
                if row is not None and row["state"] == "failed" and not row["retryable"]:
                    verdict.told_failed += 1
                else:
                    verdict.lost += 1
                verdict.note(f"{name}: missing ({state})", f"seller {run.index}")
            else:
                verdict.doubled += len(found) - 1
                verdict.note(f"{name}: more than one copy", f"seller {run.index}: {len(found)}")
    for name, by_key in index.items():
        strays = sum(len(found) for key, found in by_key.items() if (name, key) not in claimed)
        if strays:
            verdict.doubled += strays
            verdict.note(f"{name}: copies that belong to no seller who pressed Post", str(strays))
    return verdict


def progress_messages(run: Run) -> list[ChatMessage]:
    """The seller's progress messages: the bot's messages that report on posting the item."""
    return [m for m in run.seller.bot_messages
            if run.title in text_of(m) and ("Posting" in text_of(m) or any(f in text_of(m)
                                                                        for f in FINAL))]


def report(args: argparse.Namespace, outcome: Outcome, tally: LogTally) -> int:
    runs, n = outcome.runs, len(outcome.runs)
    if args.no_hangs:
        split, hangs = "5xx 60%, 429 40%", "no hangs"
    elif args.hang_seconds > ADAPTER_READ_TIMEOUT:
        split = "5xx 40%, 429 30%, hang 30%"
        hangs = (f"a hang lasts {args.hang_seconds:g} s, so the adapter times out after "
                 f"{ADAPTER_READ_TIMEOUT:g} s")
    else:
        split = "5xx 40%, 429 30%, slow 30%"
        hangs = (f"a slow call answers after {args.hang_seconds:g} s, inside the adapters' "
                 f"{ADAPTER_READ_TIMEOUT:g} s timeout")
    n_runs = f"{n} sellers at once"
    print(
        f"{n_runs}, each: connect eBay, Facebook (as Rosa) and OfferUp → /post → album "
        f"of {PHOTOS} JPEGs ({WIDTH}×{HEIGHT}) → details → Post to all three → live"
    )
    when = ("once every seller had connected" if args.calm_connect
            else "from the first /connect on")
    print(
        f"  faults {when}: {args.fault_share:.0%} of marketplace API and token calls ({split}; "
        f"429 with Retry-After: 1; {hangs}"
        + (f"; {args.latency * 1000:g} ms latency on every call" if args.latency else "")
        + ")"
    )
    print(
        "  changed for a bounded run: Telegram flood limit off (SandboxWorld(telegram_rate_limit="
        f"None), telegram_max_rate=0), publish_retry_base_seconds={args.retry_base:g} "
        "(production: 30; still six tries, doubling)"
    )
    print("  bot, Telegram emulator and the three sandboxes all run in this one process")
    injected = ", ".join(
        f"{name} {sum(c.values())}/{outcome.api_requests[name]} ("
        + " ".join(f"{kind} {count}" for kind, count in sorted(c.items())) + ")"
        for name, c in outcome.injected.items()
    )
    print(f"  faults injected / requests served: {injected}")
    held = sum(int(size.get("file_size") or 0) for run in runs for sizes in run.album
               for size in sizes)
    print(f"  setup (not timed): {outcome.setup:.1f}s to make and upload {n * PHOTOS} photos "
          f"(the emulator keeps Telegram's sizes of them: {held / 2**20:.0f} MiB)")

    done = [run for run in runs if run.post_to_final is not None]
    rate = n / outcome.wall * 60
    print(f"  wall time: {outcome.wall:.1f}s from the first /connect to the last final message "
          f"→ {rate:.1f} sellers per minute")
    print(f"    CPU: {outcome.cpu:.0f}s ({outcome.cpu / outcome.wall:.2f} cores busy on average), "
          f"{outcome.loop_cpu:.0f}s of it on the event loop's thread "
          f"({outcome.loop_cpu / outcome.wall:.0%} of the wall time), the rest in Pillow threads")
    connected = [run.connected for run in runs if run.connected is not None]
    if connected:
        print(f"    all three connected: p50 {statistics.median(connected):.1f}s, "
              f"last {max(connected):.1f}s after the start")
    tries = Counter(sum(run.connect_tries.values()) - len(MARKETPLACES) for run in runs)
    again = sum(k * v for k, v in tries.items() if k > 0)
    print(f"    connections tried again after the bot said they failed: {again}")
    if done:
        times = [run.post_to_final for run in done if run.post_to_final is not None]
        print(f"  Post → final message: p50 {statistics.median(times):.2f}s, "
              f"p99 {p99(times):.2f}s, max {max(times):.2f}s ({len(times)} sellers)")
    print("  publish attempts per cross-post (tries: cross-posts):")
    for name, _, _ in MARKETPLACES:
        attempts = Counter(row["attempts"] for row in outcome.cross_posts
                           if row["marketplace"] == name)
        print(f"    {name:<9} " + ", ".join(f"{k}: {v}" for k, v in sorted(attempts.items())))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"  peak memory: {peak / 1024:.0f} MiB (ru_maxrss of this one process: bot, emulator "
          "and sandboxes, setup included)")

    print("Checks")
    verdict = verify(outcome)
    posted = [run for run in runs if run.pressed_post is not None]
    pairs = len(posted) * len(MARKETPLACES)
    print(f"  sellers who pressed Post: {len(posted)}/{n}")
    print(f"  copies: {verdict.exactly_once}/{pairs} (seller, marketplace) exactly once; "
          f"{verdict.wrong_photos} without {PHOTOS} photos; {verdict.listing_rows} sellers "
          "without exactly one listing row in the bot")
    everywhere = f"is live on {len(MARKETPLACES)} of {len(MARKETPLACES)}"
    live = sum(everywhere in run.final_text for run in runs)
    one_message = sum(len(progress_messages(run)) == 1 for run in posted)
    print(f"  final message '{everywhere}': {live}/{n} sellers; exactly one progress "
          f"message: {one_message}/{len(posted)}")
    print(f"  missing, and the chat says so (❌: out of tries, or refused): {verdict.told_failed}")
    unpublished = Counter(row["state"] for row in outcome.cross_posts
                          if row["state"] != "published")
    stuck = sum(unpublished.values())
    print(f"  cross-posts not published: {stuck} {dict(unpublished) or ''}".rstrip()
          + f"; retry jobs still queued: {outcome.retry_jobs}")
    failed = [run for run in runs if run.error is not None]
    print(f"  sellers whose journey failed: {len(failed)}; handler exceptions: "
          f"{len(outcome.handler_errors)}")
    reasons = Counter(DIGITS.sub("N", run.error or "") for run in failed)
    for reason, count in reasons.most_common(5):
        print(f"    {count}× {reason}")
    for exc in outcome.handler_errors[:5]:
        print(f"    handler: {type(exc).__name__}: {str(exc)[:150]}")
    if verdict.problems:
        print("  what went wrong, by kind:")
    for kind, examples in sorted(verdict.problems.items(), key=lambda item: -len(item[1])):
        print(f"    {len(examples)}× {kind} — e.g. {'; '.join(examples[:3])}")

    print("Also seen (not checks)")
    set_up_retried = {name: tally.starting(f"setting up {name} for user N failed")
                      for name, _, _ in MARKETPLACES}
    print("  account set-up calls that failed and were tried again at connect (the bot's log): "
          + ", ".join(f"{name} {count}" for name, count in set_up_retried.items()))
    answers = [sum(_is_album_answer(m) for m in run.seller.bot_messages) for run in posted]
    print(f"  album answered more than once: {sum(count > 1 for count in answers)}/{len(posted)} "
          f"sellers ({sum(answers)} answers to {len(posted)} albums)")
    missed = sum(n for (_, _, message), n in tally.records.items() if "was missed by" in message)
    print(f"  scheduled jobs dropped because the event loop was over 1 s late (APScheduler's "
          f"misfire grace time): {missed}")
    print(f"  errors logged: {tally.count('ERROR', 'CRITICAL')}; warnings logged: "
          f"{tally.count('WARNING')}")
    for (level, name, message), count in tally.records.most_common(6):
        print(f"    {count}× {level} {name}: {message}")
    extra = Counter(text for run in runs for text in run.extra if not text.startswith("📷"))
    if extra:
        print(f"  other unexpected bot messages: {sum(extra.values())}")
        for text, count in extra.most_common(5):
            print(f"    {count}× {text!r}")

    print(f"lost or doubled: {verdict.lost_or_doubled} (lost {verdict.lost}, live but unknown "
          f"to the bot {verdict.untracked}, doubled {verdict.doubled})")
    ok = (
        verdict.lost_or_doubled == 0 and verdict.told_failed == 0
        and verdict.exactly_once == pairs == n * len(MARKETPLACES)
        and verdict.wrong_photos == verdict.listing_rows == 0
        and live == n and one_message == len(posted) and stuck == 0 and not failed
        and not outcome.handler_errors
    )
    print("all checks passed" if ok else "CHECKS FAILED")
    return 0 if ok else 1


def _is_album_answer(message: ChatMessage) -> bool:
    return "so far (up to" in text_of(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=500)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_SELLERS} sellers, same faults: a check for CI")
    parser.add_argument("--fault-share", type=float, default=0.10,
                        help="share of marketplace API calls that fail")
    parser.add_argument("--no-hangs", action="store_true",
                        help="5xx and 429 only (60/40), no hanging calls")
    parser.add_argument("--hang-seconds", type=float, default=None,
                        help="how long a hanging call hangs; default 25 (beyond the adapters' "
                        "20 s timeout), with --quick 2 (a slow answer, so the run stays short)")
    parser.add_argument("--calm-connect", action="store_true",
                        help="faults only once every seller has connected all three")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds added to every marketplace API call")
    parser.add_argument("--retry-base", type=float, default=0.2,
                        help="publish_retry_base_seconds for the run (production: 30)")
    parser.add_argument("--log", help="write the bot's warnings and errors to this file")
    parser.add_argument("--patience", type=float, default=300.0,
                        help="seconds a seller waits for any one answer before giving up")
    args = parser.parse_args()
    if args.quick:
        args.sellers = QUICK_SELLERS
    if args.hang_seconds is None:
        args.hang_seconds = QUICK_HANG_SECONDS if args.quick else 25.0
    tally = LogTally()
    with open(args.log, "w") if args.log else io.StringIO() as stream:
        outcome = asyncio.run(measure(args, tally, stream))
    sys.exit(report(args, outcome, tally))


if __name__ == "__main__":
    main()
