"""A seller who answers what a marketplace asks in its own terms during /post: its category,
its condition for that category, a used item's wear, item specifics, the optional details and
the parcel. Which of these come, and in which number, depends on the category eBay suggests, so
scripts that are about something else (the demo's other parts, load, chaos, the conversation
benchmark, most tests) hand those prompts to `answer_marketplace_prompt` and assert on the rest.

It answers the way a hurried seller on a phone does: the first category, a used condition,
the first value offered (or the fallback typed where eBay offers none), Skip where it may.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.telegram import ChatMessage, Seller

# What the bot's prompts say (bot/selling/texts.py); a change there shows up here at once.
CATEGORY = "category fits"
COMMON_CATEGORY = "Category:"
CONDITION = "What condition is it in?"
WEAR = "buyer should know about its wear"
REQUIRED = "requires it for this category"
OPTIONAL = "(optional)"
DETAILS = "buyers also filter by"
PACKAGE = "How heavy is it packed"
NOT_VALUES = ("« Back", "Done", "Skip", "More »", "« Fewer")
USED_WORDS = ("Used", "Pre-owned", "Good")


@dataclass(frozen=True)
class ItemAnswers:
    wear: str | None = None  # None: Skip the note on a used item's wear
    add_details: bool = False
    typed_value: str = "Unbranded"  # for a free-text item specific eBay offers no values for


async def answer_until(
    seller: Seller, *fragments: str, answers: ItemAnswers = ItemAnswers(),
    timeout: float = 5.0,  # noqa: ASYNC109
) -> ChatMessage:
    """The next bot message with every fragment in its text, answering the marketplace prompts
    that come first (and passing over notes such as "From the title I filled in …")."""
    while True:
        message = await seller.next_message(timeout)
        if all(fragment in (message.text or "") for fragment in fragments):
            return message
        await answer_marketplace_prompt(seller, message, answers)


def is_marketplace_prompt(message: ChatMessage) -> bool:
    text = message.text or ""
    return any(marker in text for marker in (CATEGORY, COMMON_CATEGORY, CONDITION, WEAR,
                                             REQUIRED, OPTIONAL, DETAILS, PACKAGE))


async def answer_marketplace_prompt(
    seller: Seller, message: ChatMessage, answers: ItemAnswers = ItemAnswers()
) -> bool:
    """Answer `message` when it is one of those prompts; False (nothing sent) otherwise."""
    text = message.text or ""
    labels = [label for row in message.buttons for label in row]
    values = [label for label in labels if label not in NOT_VALUES]
    press = seller.press
    where = message.message_id
    if CATEGORY in text or COMMON_CATEGORY in text:
        await press(values[0], message_id=where)
    elif CONDITION in text:
        used = [v for v in values if any(word in v for word in USED_WORDS)]
        await press((used or values)[0], message_id=where)
    elif WEAR in text:
        if answers.wear is None:
            await press("Skip", message_id=where)
        else:
            await seller.send_text(answers.wear)
    elif REQUIRED in text or OPTIONAL in text:
        await _answer_item_specific(seller, message, values, answers)
    elif DETAILS in text:
        await press("Add details" if answers.add_details else "Skip", message_id=where)
    elif PACKAGE in text:
        await press(values[0], message_id=where)
    else:
        return False
    return True


async def _answer_item_specific(
    seller: Seller, message: ChatMessage, values: list[str], answers: ItemAnswers
) -> None:
    where = message.message_id
    text = message.text or ""
    if not values:
        await seller.send_text(answers.typed_value)
        return
    await seller.press(values[0], message_id=where)
    if "Tap all that apply" in text:  # several values: the tick shows, then Done
        await seller.wait_for(lambda _: "Done" in _labels(seller, where))
        await seller.press("Done", message_id=where)


def _labels(seller: Seller, message_id: int) -> list[str]:
    message = seller.message(message_id)
    return [label for row in message.buttons for label in row] if message else []
