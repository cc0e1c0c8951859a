"""The steps of /post, and what every step reads: the seller's draft, their marketplaces and
those marketplaces' rules.

The conversation state is persisted by PTB, the draft by us, so a restart resumes exactly where
the seller was (requirements.first_missing is the step a draft needs next).
"""

from __future__ import annotations

from dataclasses import replace
from enum import IntEnum
from typing import TypeVar

from telegram import Update

from bot import texts as common_texts
from bot.buttons import DraftButton, pressed
from bot.context import BotContext
from marketplaces.base import Rules
from storage.drafts import Draft

MAX_PHOTOS = 24  # whatever the marketplaces allow, a draft keeps at most this many
DEFAULT_TITLE_MAX = 80
DEFAULT_DESCRIPTION_MAX = 4000
EDITING = "post_editing"  # user_data flag: after this step, go back to the preview
SUGGESTIONS = "post_categories"  # user_data: [draft version, [[name, id, path], …]] offered
ADDING_DETAILS = "post_details"  # user_data: the draft version whose optional specifics are asked
ASPECT_ON_SCREEN = "post_aspect"  # user_data: [draft version, index of the specific asked]
ON_SCREEN = "post_step"  # user_data: the step whose prompt was sent last
DRAFT_EXPIRED = "post_draft_expired"  # user_data: the title of a draft the purge removed
PHOTOS_SHOWN = "post_photos_shown"  # user_data: [draft version, photo ids] above the last preview


class Step(IntEnum):
    """Conversation states. The numbers are stored with each seller's conversation, so a step
    keeps its number for good; the order the seller meets them in is ORDER."""

    RESUME = 0
    PHOTOS = 1
    TITLE = 2
    PRICE = 3
    CONDITION = 4
    DESCRIPTION = 5
    CATEGORY = 6
    LOCATION = 7
    MARKETPLACES = 8
    PREVIEW = 9
    CONDITION_NOTE = 10
    ASPECTS = 11
    PACKAGE = 12


# The category comes first: eBay's conditions and item specifics depend on it, and the price
# step shows what similar items in that category and condition ask.
ORDER = [Step.PHOTOS, Step.TITLE, Step.CATEGORY, Step.CONDITION, Step.CONDITION_NOTE,
         Step.ASPECTS, Step.PRICE, Step.DESCRIPTION, Step.PACKAGE, Step.LOCATION,
         Step.MARKETPLACES, Step.PREVIEW]
WAITING_FOR = {
    Step.RESUME: "you to choose: continue the draft or start fresh",
    Step.PHOTOS: "photos of the item (or tap Done)",
    Step.TITLE: "the item's title, as text",
    Step.PRICE: "the price, like 25 or $1,200",
    Step.DESCRIPTION: "a description, as text (or tap Skip)",
    Step.CATEGORY: "a category: tap one or send a few words",
    Step.CONDITION: "you to pick the condition with a button",
    Step.CONDITION_NOTE: "a few words on the item's wear (or tap Skip)",
    Step.ASPECTS: "the item detail I asked for: tap a value or type it",
    Step.PACKAGE: "the parcel: tap a size, or send weight and box like 3 lb 12x10x6",
    Step.LOCATION: "a ZIP code or your location",
    Step.MARKETPLACES: "you to choose marketplaces with the buttons",
    Step.PREVIEW: "you to tap Post, or a field to change it",
}


def position(step: Step) -> int:
    """Where `step` comes in the conversation (RESUME, the offer, before everything)."""
    return ORDER.index(step) if step in ORDER else -1


async def connected(context: BotContext, telegram_id: int) -> list[str]:
    """The marketplaces this seller can post to now, in the order sellers see them."""
    services = context.services
    accounts = await services.accounts.for_seller(telegram_id)
    return [
        a.marketplace for a in accounts
        if a.marketplace in services.marketplaces and a.status == "connected"
    ]


async def offered(context: BotContext, telegram_id: int) -> tuple[list[str], list[str]]:
    """(every marketplace the seller can choose, those chosen unless they say otherwise): the
    connected ones posted by API, then those the bot gives a kit for, which need no
    connection; the kits chosen for the seller's last listing start switched on."""
    services = context.services
    api = await connected(context, telegram_id)
    kits = list(services.kits)
    again = [name for name in await services.assisted.last_chosen(telegram_id) if name in kits]
    return [*api, *kits], [*api, *again]


async def rules_for(
    context: BotContext, telegram_id: int, chosen: list[str] | None = None
) -> list[Rules]:
    """Rules of the marketplaces that matter: those chosen, else those the seller would post
    to (connected, and the kits of their last listing), else every one posted by API."""
    services = context.services
    names = chosen or (await offered(context, telegram_id))[1] or list(services.marketplaces)
    return [
        services.marketplaces[name].rules if name in services.marketplaces
        else services.kits[name].rules
        for name in names if name in services.marketplaces or name in services.kits
    ]


def strictest(rules: list[Rules], attribute: str, default: int) -> tuple[int, str | None]:
    """The tightest limit among `rules`, and whose it is when that is worth saying."""
    if not rules:
        return default, None
    tightest = min(rules, key=lambda r: getattr(r, attribute))
    names = {r.marketplace for r in rules}
    reason = None
    if len(names) > 1 or getattr(tightest, attribute) < default:
        reason = tightest.display_name
    return getattr(tightest, attribute), reason


def combined_rules(rules: list[Rules]) -> Rules:
    """What a kept photo must meet: the largest minimum, the largest maximum side (each
    marketplace scales down further itself) and the smallest photo count. It is named after
    the marketplace whose minimum binds, since that is the rule a refused photo breaks."""
    base = rules[0]
    strictest_minimum = max(rules, key=lambda r: r.photo_min_side)
    return replace(
        base,
        marketplace=base.marketplace if len(rules) == 1 else "",
        display_name=strictest_minimum.display_name,
        photo_min_side=max(r.photo_min_side for r in rules),
        photo_min_long_side=max(r.photo_min_long_side for r in rules),
        photo_max_side=max(r.photo_max_side for r in rules),
        photo_max=min(min(r.photo_max for r in rules), MAX_PHOTOS),
        photo_max_bytes=max(r.photo_max_bytes for r in rules),
    )


async def current_draft(context: BotContext, telegram_id: int) -> Draft:
    """The seller's draft, started when there is none."""
    draft = await context.services.drafts.get(telegram_id)
    return draft if draft is not None else await context.services.drafts.start(telegram_id)


D = TypeVar("D", bound=DraftButton)


async def draft_pressed(
    update: Update, context: BotContext, kind: type[D]
) -> tuple[D, Draft] | None:
    """The button pressed and the draft it was made for; None, after telling the seller the
    button changes nothing, when it was made for an earlier draft."""
    value = pressed(update, kind)
    draft = await context.services.drafts.get(update.effective_user.id)
    if draft is None or draft.version != value.draft:
        await update.callback_query.answer(common_texts.STALE_BUTTON)
        return None
    return value, draft
