"""The words of kits and reminders: what the seller reads when they post by hand."""

from __future__ import annotations

from html import escape

from marketplaces.assisted import AssistedMarketplace

KIT_FIELDS = ("Title", "Price", "Condition", "Category")


def kit_card(kit: AssistedMarketplace, title: str, shortened: bool) -> str:
    name = kit.display_name
    note = f"\n(The title is shortened to {kit.title_max} characters, {name}'s limit.)" \
        if shortened else ""
    return (
        f"📝 <b>{escape(name)}</b> kit for <b>{escape(title)}</b>\n"
        f"1. Tap <b>Open {escape(name)}</b> and start a listing; add the photos above.\n"
        "2. Tap a 📋 button and paste it into that box; the description is the message "
        "below, ready to copy.\n"
        f"3. Paste your listing's link here when it's up, and I'll keep it in step with the "
        f"others.{note}"
    )


def kit_photos(kit: AssistedMarketplace, sent: int, held: int) -> str:
    more = f" ({sent} of {held}: {kit.display_name}'s limit)" if sent < held else ""
    return f"Photos for {kit.display_name}{more}"


def link_tracked(name: str, title: str) -> str:
    return (
        f"✅ Your {escape(name)} listing of <b>{escape(title)}</b> is tracked. When the item "
        f"sells, ends or changes price anywhere, I'll tell you what to do on {escape(name)}."
    )


def no_kit_waiting(name: str) -> str:
    return (
        f"I have no {escape(name)} kit waiting for a link. To list there, /post the item and "
        f"turn on {escape(name)} at the marketplaces step."
    )


def already_tracked(name: str, title: str) -> str:
    return f"That {escape(name)} listing of <b>{escape(title)}</b> is already tracked."


def wrong_link(kits: list[AssistedMarketplace]) -> str:
    names = " or ".join(escape(k.display_name) for k in kits)
    examples = "\n".join(f"• {escape(k.listing_url_example)}" for k in kits)
    return (
        f"That isn't a {names} listing link. Open your listing there, tap Share → Copy link, "
        f"and paste it here. It looks like:\n{examples}"
    )


def kit_skipped(name: str) -> str:
    return f"Skipped: not posting this on {escape(name)}."


def kit_later(name: str, hours: int) -> str:
    return f"OK — I'll bring your {escape(name)} kit back in {hours} hours."


def kit_again(name: str, title: str) -> str:
    return f"⏰ Still want <b>{escape(title)}</b> on {escape(name)}? Your kit:"


def reminder(
    reason: str, name: str, title: str, *, elsewhere: str | None, price: str | None,
    linked: bool,
) -> str:
    """What to do on a copy posted by hand, and why; `linked`: the seller pasted its link (so
    it is surely there), else it is only a kit they may have posted."""
    item, where = f"<b>{escape(title)}</b>", escape(name)
    if reason == "sold":
        why = f"💰 {item} sold on {escape(elsewhere)}." if elsewhere else \
            f"💰 You marked {item} sold."
        act = f"End it on {where} now so it can't sell twice."
    elif reason == "ended":
        why = f"{item} ended on {escape(elsewhere or 'another marketplace')}."
        act = f"End it on {where} too, so nobody buys what's gone."
    elif reason == "withdrawn":
        why, act = f"You withdrew {item}.", f"End it on {where} too."
    else:  # price
        why, act = f"New price for {item}: {escape(price or '')}.", f"Change it on {where} too."
    if not linked:
        act = f"If you posted it on {where}: {act[0].lower()}{act[1:]}"
    return f"{why} {act}"


def reminder_done(reason: str, name: str) -> str:
    if reason == "price":
        return f"✅ Done: the new price is on {escape(name)}."
    return f"✅ Done: ended on {escape(name)}."


ALREADY_DONE = "Already done ✅"
