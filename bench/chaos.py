"""Chaos: the bot as a real subprocess, killed with SIGKILL at random moments, restarted each time.

The sandbox (Telegram and the three marketplaces) runs in this process; the bot runs as
`python -m bot run`, configured through its environment like an operator would. Scripted
sellers connect all three marketplaces and post items while a killer sends SIGKILL at random
moments and restarts the bot. Sellers behave like people: if the bot does not answer, they send
their answer again. After every restart and at the end these invariants are checked:

  no duplicate listing on any sandbox · no draft lost · no account lost ·
  no update answered twice · every cross-post finished and no update lost (at the end)

    .venv/bin/python bench/chaos.py [--kills 50] [--sellers 6] [--seed 7]
    .venv/bin/python bench/chaos.py --quick     # a few kills, for CI
    .venv/bin/python bench/chaos.py --replicas 3 [--kills 10]

With --replicas N, N bot processes (`python -m bot run --webhook`, each on its own port) share
one PostgreSQL (started from the machine's binaries) behind sandbox/balancer.py, the emulator
delivering by webhook through it; each kill takes one replica at random. One more invariant is
checked there: each seller's updates were taken on in the order they were sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sandbox.autopilot import answer_marketplace_prompt
from sandbox.balancer import LoadBalancer
from sandbox.browser import finish_in_browser
from sandbox.facebook import ROSA
from sandbox.harness import demo_photo, free_port, marketplace_env
from sandbox.postgres import LocalPostgres
from sandbox.telegram import ChatMessage, EmulatorError, Seller
from sandbox.world import SandboxWorld
from storage.crypto import TokenCipher

REPLY_SECONDS = 6.0
STALL_SECONDS = 120.0  # a seller who gets nowhere for this long is a finding, not a wait
FINISHED = ("is live on", "couldn't be posted")  # the final progress text either way
# A copy in flight at two kills in a row is set aside by the crash guard (bot/publishing.py
# resume()) until the seller taps Retry, which the card offers: a patient seller does.
SET_ASIDE = "stopped me twice"
PHOTO_COUNT = re.compile(r"— (\d+) of up to|(\d+) photos? so far")
MARKETPLACES = (
    ("eBay", "ebay", None), ("Facebook Shop (catalog)", "facebook", ROSA),
    ("OfferUp", "offerup", None),
)


@dataclass
class Report:
    kills: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    checks: int = 0
    restarts: int = 0
    redelivered: int = 0  # updates Telegram sent again because the bot died holding them
    bot_log_tail: list[str] = field(default_factory=list)
    sellers: list[PatientSeller] = field(default_factory=list)
    step_seconds: list[float] = field(default_factory=list)  # a seller's step → the answer
    updates: int = 0
    spread: list[int] = field(default_factory=list)  # requests each replica answered


class BotProcess:
    """`python -m bot run` against the sandbox, started and killed at will."""

    def __init__(self, env: dict[str, str], health_url: str, log_path: Path,
                 args: tuple[str, ...] = ()) -> None:
        self._env = env
        self._health = health_url
        self._args = args
        self.log_path = log_path  # the bot's warnings across every life, for a failed run
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", *self._args, env=self._env,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )
        deadline = time.monotonic() + 60  # a loaded machine starts Python slowly
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"the bot exited with {self.process.returncode} while "
                                       f"starting:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self._health)).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise RuntimeError(f"the bot did not become healthy in 60 s:\n{self.log_tail()}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> None:
        if self.process is not None:
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await self.process.wait()


class Stalled(RuntimeError):
    """A seller got nowhere within STALL_SECONDS; the message ends with their chat."""


class PatientSeller:
    """A seller who answers whatever the bot last asked, and asks again when it goes quiet."""

    def __init__(
        self, chat: Seller, world: SandboxWorld, index: int, patience: float = STALL_SECONDS,
        steps: list[float] | None = None,
    ) -> None:
        self.chat = chat
        self.steps = steps if steps is not None else []  # seconds from a step to its answer
        self.patience = patience
        self.world = world
        self.index = index
        self.title = f"Chaos lamp {index}"
        self.posted = 0
        self.pressed_post = False
        self.photos = [demo_photo((index * 20 % 255, 90, 200)), demo_photo((30, index, 90))]

    def _has_button(self, label: str) -> bool:
        return any(label in text for m in self.chat.bot_messages if not m.deleted
                   for row in m.buttons for text in row)

    def _stalled(self, doing: str) -> Stalled:
        tail = "\n".join(self.chat.transcript().splitlines()[-25:])
        return Stalled(f"{self.title}: got nowhere {doing} in {self.patience:.0f} s. "
                       f"Chat ends:\n{tail}")

    async def connect_all(self) -> None:
        deadline = time.monotonic() + self.patience
        for display, name, account in MARKETPLACES:
            while True:  # the bot may die mid-connect: start again, like a person would
                if time.monotonic() > deadline:
                    raise self._stalled(f"connecting {display}")
                try:
                    await self.chat.send_command("connect")
                    await self.chat.wait_for(
                        lambda _, d=display: self._has_button(f"{d} ✅")
                        or self._has_button(f"Connect {d}"), timeout=REPLY_SECONDS)
                    menu = self.chat.bot_messages[-1]
                    if any(f"{display} ✅" in t for row in menu.buttons for t in row):
                        break
                    await self.chat.press(f"Connect {display}")
                    await self.chat.wait_for(
                        lambda _, d=display: self._has_button(f"🔗 Open {d}"),
                        timeout=REPLY_SECONDS)
                    link = self.chat.open_link(f"🔗 Open {display}")
                    async with httpx.AsyncClient(follow_redirects=False, timeout=5) as browser:
                        page = await finish_in_browser(
                            browser, link, self.world.marketplaces[name].oauth, account_id=account
                        )
                    if page.status_code == 200:
                        break
                except (TimeoutError, httpx.HTTPError, ValueError, EmulatorError):
                    await asyncio.sleep(0.3)

    async def post(self) -> None:
        deadline = time.monotonic() + self.patience
        self.pressed_post = False
        await self.chat.send_command("post")
        while time.monotonic() < deadline:
            last = await self._latest_prompt()
            card = self._progress(finished=True)
            if card is not None:
                if SET_ASIDE not in (card.text or ""):
                    return
                await self._retry(card)
                continue
            await self._answer(last)
        raise self._stalled("posting")

    async def retry_set_aside(self) -> None:
        """Tap Retry on a copy the crash-loop guard set aside (the process died twice while
        posting it), as the seller it tells would: kills at random hit the same copy twice."""
        for message in self.chat.bot_messages:
            if "stopped me twice" in (message.text or "") and message.find_button("🔁 Retry"):
                with contextlib.suppress(Exception):
                    await self.chat.press("🔁 Retry", message_id=message.message_id)

    async def _retry(self, card: ChatMessage) -> None:
        """🔁 Retry on the card, as it says to, once a copy was set aside."""
        with contextlib.suppress(TimeoutError, EmulatorError, ValueError):
            await self.chat.press("🔁 Retry", message_id=card.message_id)
            await self.chat.wait_for(lambda _: SET_ASIDE not in (card.text or ""),
                                     timeout=REPLY_SECONDS)

    def _progress(self, *, finished: bool = False) -> ChatMessage | None:
        """This item's progress message (a restart may have sent it after a newer prompt)."""
        for message in reversed(self.chat.bot_messages):
            text = message.text or ""
            done = any(end in text for end in FINISHED)
            if self.title in text and (done or (not finished and "Posting" in text)):
                return message
        return None

    async def _latest_prompt(self) -> ChatMessage | None:
        before = len(self.chat.bot_messages)
        asked = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await self.chat.wait_for(lambda m: len(self.chat.bot_messages) > before,
                                     timeout=REPLY_SECONDS)
            self.steps.append(time.perf_counter() - asked)
        await asyncio.sleep(0.2)  # let an album's answer or an edit settle
        return self.chat.bot_messages[-1] if self.chat.bot_messages else None

    async def _answer(self, last: ChatMessage | None) -> None:
        text = (last.text or "") if last else ""
        buttons = [label for row in (last.buttons if last else []) for label in row]
        chat = self.chat
        try:
            if "You have a draft" in text:
                await chat.press("Continue", message_id=last.message_id)
            elif "Posting" in text:
                await chat.wait_for(
                    lambda _: any(done in (last.text or "") for done in FINISHED), timeout=20
                )
            elif "Tap a field to change it" in text:
                await chat.press("✅ Post", message_id=last.message_id)
                self.pressed_post = True
            elif "Send me its photos" in text:  # an empty draft: start the album over ...
                if self.pressed_post:  # ... unless the bot died just after Post: it resumes
                    with contextlib.suppress(TimeoutError):
                        await chat.wait_for(lambda _: self._progress() is not None, timeout=20)
                    if self._progress() is not None:
                        return
                await chat.send_photo(self.photos[0])
            elif (count := PHOTO_COUNT.search(text)) and "Done ✅" in buttons:
                held = int(count.group(1) or count.group(2))
                if held < len(self.photos):
                    await chat.send_photo(self.photos[held])
                else:
                    await chat.press("Done ✅", message_id=last.message_id)
            elif "What's the title" in text:
                await chat.send_text(self.title)
            elif "What's the price" in text:
                await chat.send_text("40")
            elif "Add a description" in text:
                await chat.press("Skip", message_id=last.message_id)
            elif ("From the title I filled in" in text  # a note: the next prompt follows
                  or await answer_marketplace_prompt(chat, last)):  # eBay's category …
                pass
            elif "Where is the item" in text:
                await chat.send_text("98402")
            elif "Where should I post it" in text:
                await chat.press("Continue »", message_id=last.message_id)
            else:  # silence, or an answer to something else: ask for where we are
                await chat.send_command("post")
        except (TimeoutError, EmulatorError, ValueError):
            await chat.send_command("post")


def bot_environment(world: SandboxWorld, data_dir: Path, port: int, key: str) -> dict[str, str]:
    public = f"http://127.0.0.1:{port}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TELEGRAM_BOT_TOKEN": world.telegram.token,
        "TELEGRAM_API_BASE": world.telegram.base_url,
        "TELEGRAM_FILE_BASE": world.telegram.base_file_url,
        "TOKEN_ENCRYPTION_KEY": key,
        "DATA_DIR": str(data_dir),
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "PUBLIC_BASE_URL": public,
        "LOG_LEVEL": "WARNING",
        # A kill can turn a publish into a timeout; its retry should land within the run.
        "PUBLISH_RETRY_BASE_SECONDS": "1",
    }
    for name, config in world.marketplace_configs(public).items():
        env.update(marketplace_env(name, config))
    return env


def kind_of(method: str, path: str) -> str:
    """Where a kill during this marketplace call lands."""
    if "token" in path:
        return "mid-token-refresh"
    if any(part in path for part in ("image", "photos", "media")):
        return "mid-photo-upload"
    if method in ("POST", "PUT", "PATCH"):
        return "between publish and database write"
    return "mid-marketplace-call"


MID_CONVERSATION = "mid-conversation"


class Activity:
    """What the bot did last: marketplace calls (from the sandboxes) and seller updates taken
    from Telegram (from the emulator), so a kill can be said to have landed somewhere."""

    def __init__(self, world: SandboxWorld) -> None:
        self.world = world
        self.updates_taken: deque[float] = deque(maxlen=64)
        world.telegram.update_watchers.append(lambda _: self.updates_taken.append(
            time.monotonic()))

    def where(self, since: float) -> str:
        """The kind of the latest thing the bot did since `since` (a kill's cycle started)."""
        recent = [(at, kind_of(method, path)) for sandbox in self.world.marketplaces.values()
                  for at, method, path in sandbox.recent_requests if at >= since]
        recent += [(at, MID_CONVERSATION) for at in self.updates_taken if at >= since]
        return max(recent)[1] if recent else MID_CONVERSATION


# One kill in five is at a random moment; the others wait for the bot to do one kind of thing
# and kill it right then, so every flow is hit however the timing falls.
TARGETS = (None, MID_CONVERSATION, "mid-photo-upload", "mid-token-refresh",
           "between publish and database write")


async def moment(world: SandboxWorld, target: str, rng: random.Random) -> bool:
    """Return as soon as the bot does a `target` thing (True), or after 8 s to kill anyway.

    Mid-conversation is the moment the bot takes a seller's message or press from Telegram:
    half the time at once (before it can confirm them, so Telegram sends them again), half
    up to a quarter second later, so kills land from "not yet read" to "half answered"."""
    arrived = asyncio.Event()

    def call(method: str, path: str) -> None:
        if kind_of(method, path) == target:
            arrived.set()

    def updates(_: list[dict]) -> None:
        arrived.set()

    sandboxes = list(world.marketplaces.values())
    watchers = ([(world.telegram.update_watchers, updates)] if target == MID_CONVERSATION
                else [(sandbox.watchers, call) for sandbox in sandboxes])
    for listeners, watch in watchers:
        listeners.append(watch)
    try:
        await asyncio.wait_for(arrived.wait(), 8.0)
    except TimeoutError:
        return False
    finally:
        for listeners, watch in watchers:
            listeners.remove(watch)
    if target == MID_CONVERSATION and rng.random() < 0.5:
        await asyncio.sleep(rng.uniform(0.0, 0.25))
    return True


class Invariants:
    def __init__(self, world: SandboxWorld, db_path: Path, report: Report,
                 database_url: str | None = None) -> None:
        self.world = world
        self.db_path = db_path
        self.database_url = database_url  # replicas: PostgreSQL instead of the SQLite file
        self.report = report
        self.accounts_seen: set[tuple[int, str]] = set()
        self.drafts_seen: dict[int, int] = {}

    async def _query(self, sql: str) -> list[tuple]:
        if self.database_url:
            import asyncpg

            conn = await asyncpg.connect(self.database_url)
            try:
                return [tuple(row) for row in await conn.fetch(sql)]
            finally:
                await conn.close()
        if not self.db_path.exists():
            return []
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
            return db.execute(sql).fetchall()

    async def check(self, *, final: bool = False) -> None:
        self.report.checks += 1
        violations = self.report.violations
        titles = {
            "ebay": [x.title for x in self.world.ebay.listings if x.status != "ENDED"],
            "facebook": [x.title for x in self.world.facebook.listings],
            "offerup": [x.title for x in self.world.offerup.listings.values()],
        }
        for marketplace, seen in titles.items():
            for title, count in Counter(seen).items():
                if count > 1:
                    violations.append(f"{count} listings of {title!r} on {marketplace}")
        accounts = set(await self._query(
            "SELECT telegram_id, marketplace FROM marketplace_accounts"))
        for lost in self.accounts_seen - accounts:
            violations.append(f"account lost: {lost}")
        self.accounts_seen |= accounts
        drafts = dict(await self._query(
            "SELECT d.telegram_id, COUNT(p.file_unique_id) FROM drafts d"
            " LEFT JOIN draft_photos p USING (telegram_id) GROUP BY d.telegram_id"
        ))
        posted = {row[0] for row in await self._query("SELECT telegram_id FROM listings")}
        for seller, photos in self.drafts_seen.items():
            if seller not in posted and drafts.get(seller, 0) < photos:
                violations.append(f"draft of seller {seller} lost photos")
        self.drafts_seen = {s: n for s, n in drafts.items() if s not in posted}
        if final:
            stuck = await self._query("SELECT listing_id, marketplace, state, error"
                                      " FROM cross_posts WHERE state != 'published'")
            violations.extend(f"cross-post not finished: {row}" for row in stuck)

    def answered_twice(self, sellers: list[PatientSeller], bot_log: str) -> None:
        """No update answered twice, checked two ways.

        A press is exact: Telegram takes one answerCallbackQuery per press and the emulator
        counts every call, so a press handled again after a restart shows. A message has no
        such receipt. The bot claims each update in its ledger (unique by update id) before
        handling it and logs an error when it handles one without a claim: the log must have
        none. And the chat is read for the outcome (`repeated_answers`)."""
        unclaimed = [line for line in bot_log.splitlines() if "without a claim" in line]
        self.report.violations.extend(f"handled without a claim: {line}" for line in unclaimed)
        for user_id, data, calls in self.world.telegram.presses_answered_more_than_once():
            self.report.violations.append(
                f"answered twice in chat {user_id}: the press {data!r} ({calls} answers)")
        for seller in sellers:
            for text in repeated_answers(seller.chat.transcript(), seller.chat.first_name):
                self.report.violations.append(
                    f"answered twice in chat {seller.chat.user_id}: {text[:60]!r}")

    async def out_of_order(self) -> list[str]:
        """A seller's update taken on before an older one of theirs: a message answered out of
        the order it was sent. Claims are made under the seller's turn, just before handling."""
        rows = await self._query(
            "SELECT user_id, update_id, claimed_at FROM processed_updates"
            " WHERE claimed_at IS NOT NULL AND user_id IS NOT NULL ORDER BY user_id, update_id")
        found, last = [], {}
        for user_id, update_id, claimed_at in rows:
            if user_id in last and claimed_at < last[user_id][1]:
                found.append(f"seller {user_id}: update {update_id} taken on before "
                             f"{last[user_id][0]}")
            last[user_id] = (update_id, claimed_at)
        return found

    def redelivered(self) -> int:
        """Updates Telegram sent again because the bot died before confirming them."""
        return sum(1 for count in self.world.telegram.update_deliveries.values() if count > 1)

    async def lost_updates(self) -> list[int]:
        """Updates Telegram delivered that the bot neither took on (claimed in its ledger) nor
        kept in its inbox for the next start: a seller's message lost to a kill. Read once the
        last life has stopped."""
        kept = {row[0] for row in await self._query(
            "SELECT update_id FROM processed_updates"
            " WHERE claimed_at IS NOT NULL OR payload IS NOT NULL")}
        return sorted(set(self.world.telegram.update_deliveries) - kept)


ALBUM = re.compile(r"\(album (\w+)\)")


def repeated_answers(transcript: str, seller_name: str) -> list[str]:
    """Bot answers that repeat the one before while every message the seller sent was already
    answered: one message answered twice.

    Messages are answered in order, so answers to a backlog (two /connect sent while the bot
    was down) are credited to it however they interleave with the seller's newer messages.
    Progress notices answer nothing and take no credit; album photos are one answer."""
    me = f"{seller_name} "
    repeated: list[str] = []
    unanswered, previous, albums = 0, "", set()
    for line in transcript.splitlines():
        if line.startswith(me):  # a message or a press; an album is one message
            album = ALBUM.search(line)
            if album is None or album.group(1) not in albums:
                unanswered += 1
            if album is not None:
                albums.add(album.group(1))
            continue
        if not line.startswith("bot → ") or "(album " in line:
            continue  # toasts, edits, continuation lines and album photos
        text = line.removeprefix("bot → ")
        if any(notice in text for notice in ("Posting", *FINISHED)):
            continue
        if text == previous and unanswered == 0:
            repeated.append(text)
        unanswered, previous = max(0, unanswered - 1), text
    return repeated


async def killer(bots: list[BotProcess], world: SandboxWorld, invariants: Invariants,
                 report: Report, kills: int, rng: random.Random, done: asyncio.Event) -> None:
    activity = Activity(world)
    for number in range(kills):
        started = time.monotonic()
        target = TARGETS[number % len(TARGETS)]
        if target == "mid-token-refresh" or (target is None and rng.random() < 0.2):
            for name in ("ebay", "offerup"):  # the ones with refresh tokens
                world.marketplaces[name].oauth.expire_access_tokens()
        if target is None:
            await asyncio.sleep(rng.uniform(0.1, 1.6))
            hit = False
        else:
            hit = await moment(world, target, rng)
        if done.is_set():
            break
        bot = rng.choice(bots)  # with replicas, the others go on answering meanwhile
        bot.kill()
        await bot.wait()
        report.kills[target if hit else activity.where(started)] += 1
        await invariants.check()
        await bot.start()
        report.restarts += 1


class Fleet:
    """The bot processes of a run: one on SQLite, or N replicas on PostgreSQL behind a load
    balancer, the emulator's webhook pointing at the balancer."""

    def __init__(self, world: SandboxWorld, data_dir: Path, replicas: int, log_level: str) -> None:
        self.world, self.data_dir, self.replicas = world, data_dir, replicas
        self.log_level = log_level
        self.bots: list[BotProcess] = []
        self.postgres: LocalPostgres | None = None
        self.database_url: str | None = None
        self.balancer: LoadBalancer | None = None

    async def start(self) -> None:
        key = TokenCipher.generate_key()
        if not self.replicas:
            port = free_port()
            env = bot_environment(self.world, self.data_dir, port, key)
            env["LOG_LEVEL"] = self.log_level
            self.bots = [BotProcess(env, f"http://127.0.0.1:{port}/healthz",
                                    self.data_dir / "bot.log")]
            await self.bots[0].start()
            return
        self.postgres = LocalPostgres()
        await asyncio.to_thread(self.postgres.start)
        self.database_url = await self.postgres.create_database("chaos")
        ports = [free_port() for _ in range(self.replicas)]
        self.balancer = LoadBalancer([f"http://127.0.0.1:{port}" for port in ports],
                                     port=free_port())
        await self.balancer.start()
        secret = TokenCipher.generate_key().replace("=", "")[:32]
        for index, port in enumerate(ports):
            # Every replica: the same database, key, secret and public URL (the balancer's),
            # and the same DATA_DIR (drafts' and listings' photos are files: a shared volume).
            env = bot_environment(self.world, self.data_dir, port, key)
            env.update(LOG_LEVEL=self.log_level, DATABASE_URL=self.database_url,
                       WEBHOOK_SECRET=secret, PUBLIC_BASE_URL=self.balancer.url)
            for name, config in self.world.marketplace_configs(self.balancer.url).items():
                env.update(marketplace_env(name, config))
            self.bots.append(BotProcess(env, f"http://127.0.0.1:{port}/healthz",
                                        self.data_dir / f"replica-{index}.log", ("--webhook",)))
        await asyncio.gather(*(bot.start() for bot in self.bots))

    def log_text(self) -> str:
        return "\n".join(bot.log_text() for bot in self.bots)

    def log_tail(self) -> str:
        return "\n".join(bot.log_tail(15) for bot in self.bots)

    async def stop(self) -> None:
        for bot in self.bots:  # a clean stop handles what each has queued
            await bot.stop()

    async def close(self) -> None:
        for bot in self.bots:  # never leave a bot process behind
            bot.kill()
            await bot.wait()
        if self.balancer is not None:
            await self.balancer.stop()
        if self.postgres is not None:
            await asyncio.to_thread(self.postgres.stop)


async def run(args: argparse.Namespace, report: Report) -> None:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="deal-scout-chaos-") as tmp:
        data_dir = Path(args.keep or tmp)  # --keep: the database and bot.log stay for a look
        async with SandboxWorld() as world:
            fleet = Fleet(world, data_dir, args.replicas, args.log_level)
            try:
                await fleet.start()
                invariants = Invariants(world, data_dir / "deal-scout.sqlite3", report,
                                        fleet.database_url)
                sellers = [
                    PatientSeller(world.telegram.seller(9000 + i, f"Seller {i}"), world, i,
                                  patience=args.patience, steps=report.step_seconds)
                    for i in range(args.sellers)
                ]
                report.sellers = sellers
                done = asyncio.Event()
                chaos = asyncio.create_task(
                    killer(fleet.bots, world, invariants, report, args.kills, rng, done)
                )

                async def life(seller: PatientSeller) -> None:
                    seller.posted += 1  # a fresh title each round: a repeat is a duplicate
                    seller.title = f"Chaos lamp {seller.index}-{seller.posted} blue"
                    try:
                        await seller.connect_all()
                        await seller.post()
                    except Stalled as stall:
                        report.violations.append(str(stall))

                try:
                    while not chaos.done():  # keep sellers busy for as long as the killer works
                        lives = (life(seller) for seller in sellers)
                        round_ = asyncio.ensure_future(asyncio.gather(*lives))
                        await asyncio.wait({round_, chaos}, return_when=asyncio.FIRST_COMPLETED)
                        if chaos.done() and chaos.exception() is not None:
                            round_.cancel()  # the killer failed: stop, and say why
                            with contextlib.suppress(asyncio.CancelledError):
                                await round_
                            raise chaos.exception()
                        await round_
                finally:
                    done.set()
                    with contextlib.suppress(Exception):
                        await chaos
                # Let the last restart finish what was in flight, then check everything.
                for _ in range(100):
                    for seller in sellers:
                        await seller.retry_set_aside()
                    await invariants.check()
                    pending = await invariants._query(
                        "SELECT COUNT(*) FROM cross_posts WHERE state != 'published'"
                    )
                    if pending and pending[0][0] == 0:
                        break
                    report.violations.clear()
                    await asyncio.sleep(0.3)
                await invariants.check(final=True)
                invariants.answered_twice(sellers, fleet.log_text())
                report.violations.extend(await invariants.out_of_order())
                report.redelivered = invariants.redelivered()
                report.updates = len(world.telegram.update_deliveries)
                if fleet.balancer is not None:
                    report.spread = [fleet.balancer.served[up] for up in fleet.balancer.upstreams]
                await fleet.stop()
                lost = await invariants.lost_updates()
                if lost:
                    report.violations.append(f"{len(lost)} updates never taken on: {lost[:10]}")
                if report.violations:
                    report.bot_log_tail = fleet.log_tail().splitlines()
            except asyncio.CancelledError:
                report.bot_log_tail = fleet.log_tail().splitlines()
                raise
            finally:
                await fleet.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--sellers", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", metavar="DIR", help="run in DIR and keep it (bot.log, db)")
    parser.add_argument("--log-level", default="WARNING", help="the bot's LOG_LEVEL")
    parser.add_argument("--replicas", type=int, default=0,
                        help="N replicas on PostgreSQL behind a load balancer (0: one on SQLite)")
    parser.add_argument("--patience", type=float, default=STALL_SECONDS,
                        help="seconds a seller waits on one step before it is a finding")
    parser.add_argument("--quick", action="store_true",
                        help="6 kills, 3 sellers, 60 s patience, 240 s for the whole run")
    args = parser.parse_args()
    args.deadline = max(600.0, args.kills * 60.0)
    if args.quick:
        args.kills, args.sellers, args.patience, args.deadline = 6, 3, 60.0, 240.0
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report = Report()
    try:
        asyncio.run(asyncio.wait_for(run(args, report), args.deadline))
    except TimeoutError:  # say where everyone was, rather than hang a CI job
        report.violations.append(f"the run did not finish within {args.deadline:.0f} s")
        for seller in report.sellers:
            tail = "\n      ".join(seller.chat.transcript().splitlines()[-8:])
            report.violations.append(f"{seller.title} was at:\n      {tail}")
    if args.keep:  # each seller's chat beside the bot's database and log
        for seller in report.sellers:
            chat = Path(args.keep) / f"chat-{seller.chat.user_id}.txt"
            chat.write_text(seller.chat.transcript())
    print(f"{sum(report.kills.values())} kills (SIGKILL), {report.restarts} restarts, "
          f"{report.checks} invariant checks, {time.perf_counter() - started:.0f} s")
    for place, count in report.kills.most_common():
        print(f"  {count:3d} × {place}")
    mode = (f"{args.replicas} replicas on PostgreSQL behind a load balancer (webhook)"
            if args.replicas else "one process on SQLite (polling)")
    print(f"{mode}, {plural(args.sellers, 'seller')}, {report.updates} updates, "
          f"step latency p50 {percentile(report.step_seconds, 0.5):.2f} s, "
          f"p99 {percentile(report.step_seconds, 0.99):.2f} s ({len(report.step_seconds)} steps)")
    if report.spread:
        print("requests each replica answered through the balancer: "
              + ", ".join(map(str, report.spread)))
    print(f"{plural(report.redelivered, 'update')} delivered again after a kill "
          "(each must be answered once, none lost)")
    print(f"invariant violations: {len(report.violations)}")
    for violation in report.violations[:20]:
        print(f"  ✗ {violation}")
    if report.bot_log_tail:
        print("the bot's last log lines:", *report.bot_log_tail, sep="\n  ")
    sys.exit(1 if report.violations else 0)


if __name__ == "__main__":
    main()
