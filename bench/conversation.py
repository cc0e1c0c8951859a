"""A whole /post conversation with 6 photos, for many sellers at once, through the real Application.

Setup (not timed): every seller is connected to OfferUp through the real flow (/connect, our
start page, the sandbox's consent page, our callback), each with an OfferUp account of their
own, and their six photos (distinct 1600×1200 JPEGs) are uploaded to the Telegram emulator, as
the phone uploads them before the album is sent. Then all sellers start at once and walk the
conversation: /post → the album (its 6 updates back to back, as Telegram delivers an album) →
Done → title → the first category → condition → price → skip the description → ZIP code →
Continue on the marketplaces → preview → Post, until the progress message says "is live on".
With --upload-in-chat the album goes through `Seller.send_album` inside the timed phase instead,
so the emulator renders Telegram's photo sizes while the bot works.

Each step is timed from the seller's action to the bot's answer that the seller acts on next.
Telegram's 30 messages/s flood limit is off on both sides (the emulator's rate limit and the
bot's own throttle, `telegram_max_rate=0`): with it on, 200 sellers would simply queue behind
it. Bot, emulator and marketplace sandboxes share this one process and its two cores.

    .venv/bin/python bench/conversation.py [--sellers 200] [--quick] [--upload-in-chat]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import logging
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

from bot.logs import configure_logging
from bot.runtime import BotRuntime
from harness import HandlerErrors, StatementCount, expect, statement_shares, text_of
from sandbox.browser import connect
from sandbox.harness import sandbox_settings
from sandbox.kit import MarketplaceAccount
from sandbox.telegram import ChatMessage, Seller, TelegramEmulator
from sandbox.world import SandboxWorld

PHOTOS = 6
WIDTH, HEIGHT = 1600, 1200
JPEG_QUALITY = 85
ZIP_CODE = "98402"
FIRST_USER_ID = 60_000
CONNECT_CONCURRENCY = 20
PHOTO_CONCURRENCY = 2

STEPS = (
    "/post → photo prompt",
    "album upload (emulator)",
    "album → '6 photos so far'",
    "Done → title prompt",
    "title → category",
    "category → condition",
    "condition → price prompt",
    "price → description",
    "Skip → location",
    "ZIP → marketplaces",
    "Continue → preview",
    "Post → progress message",
    "Post → live on OfferUp",
)
NOT_THE_BOT = {"album upload (emulator)"}


# ── Photos ────────────────────────────────────────────────────────────────────────────────────


def _band(rnd: random.Random) -> Image.Image:
    """One colour channel of a busy scene: a gradient, soft blotches and sensor grain."""
    gradient = Image.linear_gradient("L").rotate(rnd.randrange(360)).resize((WIDTH, HEIGHT))
    blotches = Image.effect_noise((WIDTH // 40, HEIGHT // 40), 70).resize(
        (WIDTH, HEIGHT), Image.Resampling.BICUBIC
    )
    grain = Image.effect_noise((WIDTH, HEIGHT), 18)  # centred on 128
    return ImageChops.add(Image.blend(gradient, blotches, 0.5), grain, offset=-128)


def base_scenes() -> list[Image.Image]:
    """The item from six angles: six different scenes, made once."""
    rnd = random.Random(2025)
    return [Image.merge("RGB", [_band(rnd) for _ in range(3)]) for _ in range(PHOTOS)]


def seller_photos(scenes: list[Image.Image], index: int) -> list[bytes]:
    """The six scenes with a small block stamped in a place and colour only this seller has,
    so every photo is a distinct file."""
    photos = []
    rnd = random.Random(index)
    for number, scene in enumerate(scenes):
        image = scene.copy()
        x, y = rnd.randrange(WIDTH - 16), rnd.randrange(HEIGHT - 16)
        image.paste((index % 256, (index // 256) % 256, number * 40), (x, y, x + 16, y + 16))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=JPEG_QUALITY)
        photos.append(buffer.getvalue())
    return photos


# ── One seller ────────────────────────────────────────────────────────────────────────────────


@dataclass
class Conversation:
    index: int
    seller: Seller
    photos: list[Path] = field(default_factory=list)  # --upload-in-chat: the JPEGs on disk
    uploaded: list[list[dict[str, Any]]] = field(default_factory=list)  # else: stored sizes
    steps: dict[str, float] = field(default_factory=dict)
    total: float | None = None
    error: str | None = None
    extra: list[str] = field(default_factory=list)  # bot messages nobody asked for

    @property
    def title(self) -> str:
        return f"Brass desk lamp #{self.index:04d}"

    @property
    def account_id(self) -> str:
        return f"ou-bench-{self.index:04d}"


def deliver_album(telegram: TelegramEmulator, chat: Conversation) -> None:
    group = f"{10**16 + chat.index}"
    for sizes in chat.uploaded:
        telegram.from_seller(chat.seller, ChatMessage(photo_sizes=sizes, media_group_id=group))


async def converse(telegram: TelegramEmulator, chat: Conversation, patience: float) -> None:
    seller = chat.seller

    def lap(step: str, since: float) -> float:
        now = time.perf_counter()
        chat.steps[step] = now - since
        return now

    started = time.perf_counter()
    await seller.send_command("post")
    await expect(chat, "Send me its photos", patience=patience)
    lap("/post → photo prompt", started)
    if chat.photos:  # the emulator renders Telegram's sizes of each photo as it is sent
        images = await asyncio.to_thread(lambda: [path.read_bytes() for path in chat.photos])
        mark = time.perf_counter()
        await seller.send_album(images)
        del images
        mark = lap("album upload (emulator)", mark)
    else:  # uploaded in setup: the album's updates arrive back to back, as Telegram sends them
        deliver_album(telegram, chat)
        mark = time.perf_counter()
    await expect(chat, f"{PHOTOS} photos so far", patience=patience)
    mark = lap("album → '6 photos so far'", mark)
    await seller.press("Done ✅")
    await expect(chat, "What's the title?", patience=patience)
    mark = lap("Done → title prompt", mark)
    await seller.send_text(chat.title)
    category = await expect(chat, "Category:", patience=patience)
    mark = lap("title → category", mark)
    await seller.press(category.buttons[0][0], message_id=category.message_id)
    await expect(chat, "What condition", patience=patience)
    mark = lap("category → condition", mark)
    await seller.press("Good")
    await expect(chat, "What's the price", patience=patience)
    mark = lap("condition → price prompt", mark)
    await seller.send_text(f"${40 + chat.index % 60}")
    await expect(chat, "Add a description", patience=patience)
    mark = lap("price → description", mark)
    await seller.press("Skip")
    await expect(chat, "Where is the item?", patience=patience)
    mark = lap("Skip → location", mark)
    await seller.send_text(ZIP_CODE)
    await expect(chat, "Where should I post it?", patience=patience,
                 allowed=lambda m: f"{ZIP_CODE} it is" in text_of(m))
    mark = lap("ZIP → marketplaces", mark)
    await seller.press("Continue »")
    preview = await expect(chat, "Tap a field to change it", patience=patience,
                           allowed=lambda m: bool(m.photo_sizes) and not m.text)
    mark = lap("Continue → preview", mark)
    await seller.press("✅ Post", message_id=preview.message_id)
    progress = preview  # the preview card becomes the progress message
    await seller.wait_for(lambda _: "Posting" in text_of(progress) or "is live on" in
                          text_of(progress) or "couldn't be posted" in text_of(progress),
                          timeout=patience)
    lap("Post → progress message", mark)
    await seller.wait_for(
        lambda _: "is live on" in text_of(progress) or "couldn't be posted" in text_of(progress),
        timeout=patience,
    )
    lap("Post → live on OfferUp", mark)
    chat.total = time.perf_counter() - started
    if "is live on 1 of 1" not in text_of(progress):
        raise RuntimeError(f"posting ended with {text_of(progress)[:120]!r}")


async def run_one(telegram: TelegramEmulator, chat: Conversation, patience: float) -> None:
    try:
        await converse(telegram, chat, patience)
    except Exception as exc:  # one seller's failure is counted, not fatal to the run
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        chat.error = f"{type(exc).__name__}: {first_line}"[:200]


# ── Setup ─────────────────────────────────────────────────────────────────────────────────────


async def make_photos(
    telegram: TelegramEmulator, chat: Conversation, scenes: list[Image.Image], folder: Path,
    gate: asyncio.Semaphore, *, on_disk: bool,
) -> None:
    """The seller's six photos: on disk to send in the chat, or already uploaded to Telegram."""
    async with gate:
        photos = await asyncio.to_thread(seller_photos, scenes, chat.index)
        for number, data in enumerate(photos):
            if on_disk:
                path = folder / f"seller-{chat.index:04d}-{number}.jpg"
                await asyncio.to_thread(path.write_bytes, data)
                chat.photos.append(path)
            else:
                stored = await telegram.store_photo(data)
                chat.uploaded.append([size.photo_size() for size in stored])


async def connect_offerup(world: SandboxWorld, chat: Conversation, gate: asyncio.Semaphore) -> None:
    async with gate:
        page, message = await connect(
            chat.seller, "OfferUp", world.offerup.oauth, account_id=chat.account_id
        )
    if page.status_code != 200 or "is connected as" not in text_of(message):
        raise RuntimeError(f"seller {chat.index}: page {page.status_code}, {text_of(message)!r}")
    while True:  # start the conversation with nothing unread
        try:
            await chat.seller.next_message(timeout=0)
        except TimeoutError:
            break


def status_kib(field_name: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), in KiB; 0 elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field_name}:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float:
    """CPU seconds every process on the machine has used since boot (Linux /proc/stat)."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return 0.0
    busy = sum(int(value) for value in fields) - int(fields[3]) - int(fields[4])  # − idle, iowait
    return busy / os.sysconf("SC_CLK_TCK")


def reset_peak_rss() -> bool:
    """Start VmHWM (the peak resident set) afresh from the current RSS (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


class LogTally(logging.Handler):
    """Counts warnings and errors the bot logs during the run, by logger and message."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: Counter[tuple[str, str, str]] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.records[(record.levelname, record.name, record.getMessage()[:100])] += 1

    def count(self, *levels: str) -> int:
        return sum(n for (level, _, _), n in self.records.items() if level in levels)


@dataclass
class Outcome:
    chats: list[Conversation]
    wall: float
    setup: float
    rss_after_setup: int
    timed_peak: int  # VmHWM over the timed phase, KiB; 0 when it could not be measured
    cpu: float  # seconds of CPU, all threads, during the timed phase
    others_cpu: float  # cores the rest of the machine kept busy meanwhile (contention)
    loop_cpu: float  # of which the event loop's thread (bot, emulator and sandboxes all run on it)
    handler_errors: list[BaseException]
    listings: Counter[tuple[str, str]]
    listing_photos: Counter[int]
    cross_posts: dict[str, int]
    api_calls: Counter[str]
    held_by_emulator: int
    held_by_offerup: int
    statements: int  # SQL statements the bot sent in the timed phase
    statement_kinds: Counter[str]


def held_by_emulator(chats: list[Conversation]) -> int:
    """Bytes of every photo size the emulator keeps for the sellers' uploads (Telegram keeps
    several sizes of each photo; the bot's preview albums reuse them by file_id)."""
    sizes: dict[str, int] = {}
    for chat in chats:
        for message in chat.seller.messages:
            for size in message.photo_sizes or []:
                sizes[size["file_unique_id"]] = int(size.get("file_size") or 0)
    return sum(sizes.values())


def held_by_offerup(world: SandboxWorld) -> int:
    """Bytes of the photos the OfferUp sandbox keeps (what the bot uploaded)."""
    total = 0
    for photo_id in world.offerup.photos:
        found = world.offerup.images.get(photo_id.removeprefix("ph_"))
        total += len(found[0]) if found else 0
    return total


async def measure(args: argparse.Namespace) -> Outcome:
    handler_errors = HandlerErrors()
    with tempfile.TemporaryDirectory(prefix="deal-scout-bench-") as tmp:
        folder = Path(tmp)
        async with SandboxWorld(telegram_rate_limit=None) as world:
            redactor = configure_logging("WARNING", [world.telegram.token], stream=io.StringIO())
            args.tally.addFilter(redactor)
            logging.getLogger().addHandler(args.tally)
            settings = dataclasses.replace(
                sandbox_settings(world, folder / "bot"), telegram_max_rate=0
            )
            async with BotRuntime(settings, on_build=handler_errors.install) as runtime:
                setup_started = time.perf_counter()
                scenes = await asyncio.to_thread(base_scenes)
                chats = []
                for index in range(args.sellers):
                    account = MarketplaceAccount(
                        f"ou-bench-{index:04d}", f"Bench Seller {index}",
                        {"city": "Tacoma, WA", "member_since": "2024-01-01",
                         "posting_blocked": None},
                    )
                    world.offerup.oauth.accounts[account.account_id] = account
                    seller = world.telegram.seller(FIRST_USER_ID + index, f"Seller {index}")
                    chats.append(Conversation(index, seller))
                photo_gate = asyncio.Semaphore(PHOTO_CONCURRENCY)
                await asyncio.gather(*(
                    make_photos(world.telegram, chat, scenes, folder, photo_gate,
                                on_disk=args.upload_in_chat)
                    for chat in chats
                ))
                del scenes
                gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
                await asyncio.gather(*(connect_offerup(world, chat, gate) for chat in chats))
                setup = time.perf_counter() - setup_started
                rss_after_setup = status_kib("VmRSS")
                peak_reset = reset_peak_rss()
                calls_before = len(world.telegram.calls)
                cpu_before, loop_cpu_before = process_cpu(), time.thread_time()
                machine_before = machine_busy()

                statements = StatementCount()
                statements.install()
                started = time.perf_counter()
                try:
                    await asyncio.gather(
                        *(run_one(world.telegram, chat, args.patience) for chat in chats)
                    )
                finally:
                    statements.remove()
                wall = time.perf_counter() - started
                cpu = process_cpu() - cpu_before
                others_cpu = (machine_busy() - machine_before - cpu) / wall
                loop_cpu = time.thread_time() - loop_cpu_before
                timed_peak = status_kib("VmHWM") if peak_reset else 0

                api_calls = Counter(call.method for call in world.telegram.calls[calls_before:])
                listings = Counter(
                    (listing.account_id, listing.title)
                    for listing in world.offerup.listings.values()
                )
                listing_photos = Counter(
                    len(listing.photo_ids) for listing in world.offerup.listings.values()
                )
                rows = await runtime.db.fetchall(
                    "SELECT state, COUNT(*) AS n FROM cross_posts GROUP BY state"
                )
                cross_posts = {row["state"]: row["n"] for row in rows}
                emulator_bytes = held_by_emulator(chats)
                offerup_bytes = held_by_offerup(world)
    return Outcome(chats, wall, setup, rss_after_setup, timed_peak, cpu, others_cpu, loop_cpu,
                   handler_errors.errors, listings,
                   listing_photos, cross_posts, api_calls, emulator_bytes, offerup_bytes,
                   statements.count, statements.by_table)


# ── Figures ───────────────────────────────────────────────────────────────────────────────────


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.0f}ms"


def report(args: argparse.Namespace, outcome: Outcome) -> int:
    chats = outcome.chats
    done = [chat for chat in chats if chat.error is None]
    print(
        f"{args.sellers} sellers, each: /post → album of {PHOTOS} JPEGs "
        f"({WIDTH}×{HEIGHT}, quality {JPEG_QUALITY}) → details → OfferUp → Post → live"
    )
    print(
        "  Telegram flood limit off (emulator unlimited, bot telegram_max_rate=0); bot, "
        "emulator and sandboxes in one process"
    )
    print(f"  setup (not timed): {outcome.setup:.1f}s to make photos and connect every seller")
    rate = len(chats) / outcome.wall
    print(f"  timed phase: {outcome.wall:.1f}s wall → {rate:.2f} conversations/s")
    cores = outcome.cpu / outcome.wall
    print(
        f"  CPU in the timed phase: {outcome.cpu:.0f}s ({cores:.2f} cores busy on average); the "
        f"event-loop thread {outcome.loop_cpu:.0f}s = {outcome.loop_cpu / outcome.wall:.0%} of "
        f"the wall time, {outcome.loop_cpu / len(chats) * 1000:.0f} ms per conversation"
    )
    print(
        f"  other processes kept {max(0.0, outcome.others_cpu):.2f} of {os.cpu_count()} cores "
        "busy meanwhile (contention; near 0 on a quiet machine)"
    )
    print(f"  {'step':<28}{'p50':>11}{'p99':>11}{'max':>11}")
    for step in STEPS:
        values = [chat.steps[step] for chat in chats if step in chat.steps]
        if not values:
            continue
        note = "   (emulator, not the bot)" if step in NOT_THE_BOT else ""
        print(f"  {step:<28}{ms(statistics.median(values))}{ms(p99(values))}"
              f"{ms(max(values))}{note}")
    totals = [chat.total for chat in done if chat.total is not None]
    if totals:
        print(f"  {'whole conversation':<28}{ms(statistics.median(totals))}{ms(p99(totals))}"
              f"{ms(max(totals))}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"  peak RSS {peak / 1024:.0f} MiB (ru_maxrss of this one process: bot + emulator + "
        "sandboxes, setup included)"
    )
    if outcome.timed_peak:
        print(
            f"    RSS {outcome.rss_after_setup / 1024:.0f} MiB after setup, peak "
            f"{outcome.timed_peak / 1024:.0f} MiB during the timed phase (VmHWM, reset at its "
            "start)"
        )
    print(
        f"    of which image bytes the sandboxes hold: emulator "
        f"{outcome.held_by_emulator / 2**20:.0f} MiB, OfferUp {outcome.held_by_offerup / 2**20:.0f}"
        " MiB"
    )
    calls = ", ".join(f"{name} {n}" for name, n in outcome.api_calls.most_common(8))
    print(f"  Bot API calls in the timed phase: {calls}")
    per_conversation = outcome.statements / max(1, len(outcome.chats))
    print(f"  SQL statements per /post conversation: {per_conversation:.0f} "
          f"({outcome.statements} in the timed phase; goal ≤ 60), most of them:")
    sellers = max(1, len(outcome.chats))
    print("    " + ", ".join(f"{kind} {n / sellers:.0f}"
                             for kind, n in outcome.statement_kinds.most_common(8)))
    shares = statement_shares(outcome.statement_kinds)
    print(f"    what limits it: {shares['durable'] / sellers:.0f} are written for every update so"
          " that none is lost or handled twice (the inbox and the claim, PTB's conversation state"
          f" and seller data), {shares['answers'] / sellers:.0f} save the seller's answers and"
          f" photos, {shares['reads'] / sellers:.0f} read, {shares['listing'] / sellers:.0f}"
          " create, publish and show the listing")

    expected = {(chat.account_id, chat.title) for chat in chats}
    exactly_once = sum(outcome.listings.get(key) == 1 for key in expected)
    strays = sum(n for key, n in outcome.listings.items() if key not in expected)
    six = outcome.listing_photos.get(PHOTOS, 0)
    print(
        f"  OfferUp sandbox: {exactly_once}/{len(chats)} sellers with exactly one listing, "
        f"{strays} other listings, {six} listings with {PHOTOS} photos; "
        f"cross-posts {outcome.cross_posts}"
    )
    failed = [chat for chat in chats if chat.error is not None]
    errors = len(failed) + len(outcome.handler_errors) + args.tally.count("ERROR", "CRITICAL")
    print(
        f"  errors: {errors} ({len(failed)} conversations failed, "
        f"{len(outcome.handler_errors)} handler exceptions, "
        f"{args.tally.count('ERROR', 'CRITICAL')} errors logged; "
        f"{args.tally.count('WARNING')} warnings logged)"
    )
    for reason, n in Counter(chat.error for chat in failed).most_common(5):
        print(f"    {n}× {reason}")
    for exc in outcome.handler_errors[:5]:
        print(f"    handler: {type(exc).__name__}: {exc}")
    for (level, name, message), n in args.tally.records.most_common(5):
        print(f"    {n}× {level} {name}: {message}")
    extra = Counter(text for chat in chats for text in chat.extra)
    if extra:
        print(f"  unexpected bot messages (not counted as errors): {sum(extra.values())}")
        for text, n in extra.most_common(5):
            print(f"    {n}× {text!r}")
    ok = errors == 0 and exactly_once == len(chats) and strays == 0 and six == len(chats)
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 sellers, a fast sanity run")
    parser.add_argument(
        "--upload-in-chat", action="store_true",
        help="send the album with Seller.send_album inside the timed phase (the emulator then "
        "renders Telegram's photo sizes while the bot works) instead of uploading in setup",
    )
    parser.add_argument("--patience", type=float, default=300,
                        help="seconds a seller waits for any one answer before giving up")
    args = parser.parse_args()
    if args.quick:
        args.sellers = 20
    args.tally = LogTally()
    outcome = asyncio.run(measure(args))
    sys.exit(report(args, outcome))


if __name__ == "__main__":
    main()
