"""What the marketplaces a draft goes to ask of it, and so which step it needs next.

Every marketplace takes a title, a price and a photo. One may own the category (eBay: its tree,
each category with its own conditions and item specifics), and one may calculate shipping from
the parcel; the bot asks those only when such a marketplace is in play. Every answer is on the
draft, so `first_missing` is also where a restart resumes.
"""

from __future__ import annotations

import logging

from bot.context import BotContext
from bot.selling.steps import Step, connected, current_draft, rules_for
from marketplaces.base import MarketplaceError, Rules
from marketplaces.capabilities import (
    AspectSpec,
    CategoryRequirements,
    CategorySuggestions,
    ConditionChoice,
    Packages,
)
from storage.drafts import Draft

log = logging.getLogger(__name__)


async def wanted(context: BotContext, draft: Draft) -> list[str]:
    """The marketplaces the draft goes to: those chosen, else those connected."""
    if draft.marketplaces is not None:
        return draft.marketplaces
    return await connected(context, draft.telegram_id)


async def category_owner(context: BotContext, draft: Draft) -> str | None:
    """The marketplace in play whose own categories (and their conditions and item
    specifics) the draft follows: eBay when it is among them."""
    for name in await wanted(context, draft):
        adapter = context.services.marketplaces.get(name)
        if isinstance(adapter, CategorySuggestions) and isinstance(adapter, CategoryRequirements):
            return name
    return None


def _requirements(context: BotContext, owner: str) -> CategoryRequirements | None:
    adapter = context.services.marketplaces.get(owner)
    return adapter if isinstance(adapter, CategoryRequirements) else None


async def conditions(context: BotContext, draft: Draft) -> tuple[str, list[ConditionChoice]]:
    """(owner, the conditions its category allows that every other marketplace in play can
    say too); no owner or no answer: ("", [])."""
    owner = await category_owner(context, draft)
    category_id = draft.category_ids.get(owner or "")
    adapter = _requirements(context, owner) if owner else None
    if owner is None or adapter is None or not category_id:
        return "", []
    try:
        allowed = await adapter.conditions_for(category_id)
    except MarketplaceError as exc:
        log.warning("conditions of %s category %s unavailable: %s", owner, category_id, exc)
        return "", []
    others = [r for r in await rules_for(context, draft.telegram_id, draft.marketplaces)
              if r.marketplace != owner]
    return owner, [c for c in allowed if all(c.nearest in r.conditions for r in others)]


async def aspects(context: BotContext, draft: Draft) -> list[AspectSpec]:
    """The item specifics the draft's category asks (required ones first)."""
    owner = await category_owner(context, draft)
    category_id = draft.category_ids.get(owner or "")
    adapter = _requirements(context, owner) if owner else None
    if adapter is None or not category_id:
        return []
    try:
        return await adapter.aspects_for(category_id)
    except MarketplaceError as exc:
        log.warning("item specifics of %s category %s unavailable: %s", owner, category_id, exc)
        return []


async def next_aspect(
    context: BotContext, draft: Draft, *, adding_details: bool
) -> tuple[int, AspectSpec] | None:
    """The item specific to ask now: the first required one without a value, then (when the
    seller chose to add details) the first recommended one neither answered nor skipped (a
    skipped one is stored with no values)."""
    specs = await aspects(context, draft)
    for index, spec in enumerate(specs):
        if spec.required and not draft.aspects.get(spec.name):
            return index, spec
    if draft.details_set or not adding_details:
        return None
    for index, spec in enumerate(specs):
        if not spec.required and spec.name not in draft.aspects:
            return index, spec
    return None


def unanswered_optional(specs: list[AspectSpec], draft: Draft) -> list[AspectSpec]:
    """The optional item specifics the draft has no word on (neither a value nor a skip)."""
    return [s for s in specs if not s.required and s.name not in draft.aspects]


async def package_marketplace(context: BotContext, draft: Draft) -> str | None:
    """The marketplace in play that calculates this seller's shipping from the parcel."""
    services = context.services
    accounts = {a.marketplace: a for a in await services.accounts.for_seller(draft.telegram_id)}
    for name in await wanted(context, draft):
        adapter, account = services.marketplaces.get(name), accounts.get(name)
        if isinstance(adapter, Packages) and account and adapter.needs_package(account.extra):
            return name
    return None


async def needs_location(context: BotContext, draft: Draft) -> bool:
    rules = await rules_for(context, draft.telegram_id, draft.marketplaces)
    if draft.postal_code:
        return False
    if postal_code_owner(rules):  # a shared location is not enough there
        return True
    return any(r.location_required for r in rules) and not draft.has_location


def postal_code_owner(rules: list[Rules]) -> str | None:
    """The marketplace in play that needs a ZIP code, not only coordinates."""
    return next((r.display_name for r in rules if r.postal_code_required), None)


async def first_missing(context: BotContext, telegram_id: int) -> Step:
    """The step a draft resumes at: the first thing it lacks, else the preview."""
    draft = await current_draft(context, telegram_id)
    if not draft.photos:
        return Step.PHOTOS
    if not draft.title:
        return Step.TITLE
    owner = await category_owner(context, draft)
    if not draft.category or (owner and not draft.category_ids.get(owner)):
        return Step.CATEGORY
    if not draft.condition or (owner and owner not in draft.condition_ids
                               and (await conditions(context, draft))[1]):
        return Step.CONDITION
    if await _needs_condition_note(context, draft):
        return Step.CONDITION_NOTE
    if await _needs_aspects(context, draft):
        return Step.ASPECTS
    if not draft.price_cents:
        return Step.PRICE
    if not draft.description_set:
        return Step.DESCRIPTION
    if draft.package is None and await package_marketplace(context, draft):
        return Step.PACKAGE
    if await needs_location(context, draft):
        return Step.LOCATION
    if not draft.marketplaces:
        return Step.MARKETPLACES
    return Step.PREVIEW


async def applies(context: BotContext, draft: Draft, step: Step) -> bool:
    """Whether `step` is one this draft goes through at all (for « Back)."""
    if step is Step.CONDITION_NOTE:
        return bool(draft.condition_ids) and await _used(context, draft)
    if step is Step.ASPECTS:
        return bool(await aspects(context, draft))
    if step is Step.PACKAGE:
        return await package_marketplace(context, draft) is not None
    if step is Step.LOCATION:
        rules = await rules_for(context, draft.telegram_id, draft.marketplaces)
        return any(r.location_required for r in rules)
    return True


async def _used(context: BotContext, draft: Draft) -> bool:
    owner, choices = await conditions(context, draft)
    chosen = draft.condition_ids.get(owner)
    return any(c.condition_id == chosen and c.used for c in choices)


async def _needs_condition_note(context: BotContext, draft: Draft) -> bool:
    return bool(draft.condition_ids) and not draft.condition_note_set and await _used(
        context, draft
    )


async def _needs_aspects(context: BotContext, draft: Draft) -> bool:
    specs = await aspects(context, draft)
    if any(s.required and not draft.aspects.get(s.name) for s in specs):
        return True
    return not draft.details_set and bool(unanswered_optional(specs, draft))


async def condition_name(context: BotContext, draft: Draft) -> str | None:
    """The chosen condition in the owning marketplace's words, when one was chosen."""
    owner, choices = await conditions(context, draft)
    chosen = draft.condition_ids.get(owner)
    return next((c.name for c in choices if c.condition_id == chosen), None)
