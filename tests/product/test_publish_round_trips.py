"""How many round trips a publish waits for: calls that need nothing from each other go out
together, so a slow marketplace costs a seller one latency per dependent step, not per call.
Read from the sandbox's own log of arrivals; the injected latency only separates the rounds."""

from __future__ import annotations

import time

from bot.runtime import BotRuntime
from sandbox.world import SandboxWorld
from tests.helpers import connect_all, fill_details, jpeg, post_and_wait, reply

LATENCY = 0.5  # seconds before eBay answers any API call


def kind(method: str, path: str) -> str:
    for fragment, name in (("create_image_from_file", "upload"), ("/location/", "location"),
                           ("/inventory_item/", "item"), ("/publish", "publish")):
        if fragment in path:
            return name
    return "offer look-up" if method == "GET" and path.endswith("/offer") else f"{method} {path}"


def rounds(arrivals: list[tuple[float, str]]) -> list[list[str]]:
    """Arrivals grouped into rounds: a call arriving within half a latency of the round's first
    did not wait for any answer of that round."""
    grouped: list[list[str]] = []
    first = -LATENCY
    for at, name in arrivals:
        if at - first > LATENCY / 2:
            grouped.append([])
            first = at
        grouped[-1].append(name)
    return [sorted(group) for group in grouped]


async def test_ebay_publishes_in_four_rounds_with_the_uploads_beside_the_look_ups(
    world: SandboxWorld, bot: BotRuntime
) -> None:
    ana = world.telegram.seller(451, "Ana")
    await connect_all(world, ana)
    await ana.send_command("post")
    await reply(ana, "Send me its photos")
    for shade in (40, 200):
        await ana.send_photo(jpeg(color=(shade, 90, 160)))
        await reply(ana, "Added 1 photo")
    await ana.press("Done ✅")
    preview = await fill_details(ana)
    arrivals: list[tuple[float, str]] = []
    world.ebay.watchers.append(
        lambda method, path: arrivals.append((time.monotonic(), kind(method, path)))
    )
    world.ebay.faults.latency_seconds = LATENCY

    await post_and_wait(ana, preview)

    assert "is live on 3 of 3" in (preview.text or "")
    assert rounds(arrivals) == [
        ["location", "offer look-up", "upload", "upload"],
        ["item"],
        ["POST /sell/inventory/v1/offer"],
        ["publish"],
    ]
