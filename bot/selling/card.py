"""A listing's card: the one message that shows a listing in its seller's chat (its price and
state, each copy, what just happened, the next step) and the buttons for what can be done now.

Drawn only from what is stored, so any moment can draw it again (bot/cards.py keeps it on
screen). A copy that has values of its own, fixed for its marketplace alone, says which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot import texts as shared_texts
from bot.buttons import (
    ChangePrice,
    FixRefusal,
    ListingsPage,
    MarkSold,
    NewPost,
    PostElsewhere,
    RetryPosting,
    Withdraw,
    button,
)
from bot.parsing import format_price
from bot.selling import texts
from marketplaces.crosspost import Problem
from storage.assisted import ENDED, ENDING, KIT_SENT, PENDING, SKIPPED, TRACKED, AssistedCopy
from storage.listings import FIX_COLUMNS, CrossPost, StoredListing

# Fields a marketplace may refuse that the seller can fix in chat (bot/selling/fix.py asks).
FIXABLE_FIELDS = frozenset(FIX_COLUMNS)
ICONS = {"published": "✅", "pending": "⏳", "in_flight": "⏳", "sold": "💰",
         "withdrawn": "🛑", "ended": "🛑"}
_MISSING_ASPECT = re.compile(r"item specific (.{1,40}?) is missing", re.IGNORECASE)
PROBLEM_MAX = 300  # characters of a marketplace's reason on the card: every copy must fit
SHOWN_MAX = 40  # characters of a copy's own description shown


@dataclass(frozen=True)
class CardView:
    """Everything a card is drawn from."""

    listing: StoredListing
    rows: Sequence[CrossPost]  # the copies posted by API
    names: Mapping[str, str]  # marketplace → the name sellers know
    by_hand: Sequence[AssistedCopy] = ()  # the copies the seller posts from a kit
    waiting: Mapping[str, str] = field(default_factory=dict)  # by-hand copy → what is due
    can_add: bool = False  # ➕ another connected marketplace could take it
    news: str | None = None  # what just happened, in a sentence (HTML, escaped)
    page: int = 0  # the /listings page « All listings goes back to
    busy: bool = False  # the seller's last step is still under way: nothing to press yet

    def name(self, marketplace: str) -> str:
        return self.names.get(marketplace, marketplace)


def fixable(row: CrossPost) -> list[str]:
    """The fields of a refused copy that the seller can fix, in the marketplace's order."""
    if row.state != "failed" or row.error_kind != Problem.REFUSED:
        return []
    return [f for f in row.error_fields if f in FIXABLE_FIELDS
            and (f != "aspects" or missing_aspect(row.error or ""))]


def missing_aspect(error: str) -> str | None:
    """The item specific a refusal names as missing (eBay: "The item specific Brand is
    missing."), which the seller can then type; None when it names none."""
    found = _MISSING_ASPECT.search(error)
    return found.group(1).strip() if found else None


def finished(rows: Sequence[CrossPost]) -> bool:
    """Nothing more will happen to the copies by itself: each is up, or waits for the seller."""
    return all(r.state != "failed" or not r.retryable for r in rows) and not any(
        r.state in ("pending", "in_flight") for r in rows
    )


def text(view: CardView) -> str:
    listing = view.listing
    lines = [_headline(view), texts.price_line(format_price(listing.price_cents),
                                               listing.state)]
    now = datetime.now(UTC)
    for row in view.rows:
        lines.append(_copy_line(row, view.name(row.marketplace), now))
        own = own_values(row, listing)
        if own:
            lines.append(texts.own_values(view.name(row.marketplace), own))
    lines.extend(_by_hand_lines(view))
    if view.news:
        lines += ["", view.news]
    step = _next_step(view)
    if step:
        lines += ["", step]
    return "\n".join(lines)


def buttons(view: CardView) -> InlineKeyboardMarkup | None:
    listing = view.listing
    back = [button("« All listings", ListingsPage(view.page))]
    if listing.state != "active":
        return InlineKeyboardMarkup([[button("📦 Post an item", NewPost())], back])
    if view.busy or not finished(view.rows):
        return None  # nothing to press until each marketplace has answered
    rows = []
    failed = [r for r in view.rows if r.state == "failed"]
    for row in failed:
        rows += [[button(texts.fix_label(f, view.name(row.marketplace)),
                         FixRefusal(listing.id, row.marketplace, f))] for f in fixable(row)]
    if any(not fixable(r) for r in failed):
        rows.append([button("🔁 Retry", RetryPosting(listing.id))])
    if _live(view):
        rows.append([button("💰 Mark sold", MarkSold(listing.id)),
                     button("✏️ Change price", ChangePrice(listing.id))])
    else:  # nothing to mark sold yet; withdrawing still takes it off the list of live ones
        rows.append([button("✏️ Change price", ChangePrice(listing.id))])
    rows.append([button("🛑 Withdraw everywhere", Withdraw(listing.id))])
    if view.can_add:
        rows.append([button("➕ Post to another marketplace", PostElsewhere(listing.id))])
    rows.append(back)
    return InlineKeyboardMarkup(rows)


def own_values(row: CrossPost, listing: StoredListing) -> list[str]:
    """What a copy has of its own where it differs from the listing, escaped:
    ['title “Brass desk lamp”', …]."""
    words = {column: texts.FIX_WORDS[refused][1] for refused, column in FIX_COLUMNS.items()}
    shown = []
    for column, value in row.fixes.items():
        if column in words and value != getattr(listing, column, None):
            shown.append(f"{words[column]} {shown_value(column, value)}")
    return shown


def shown_value(column: str, value: Any) -> str:
    """A copy's own value as the card shows it, escaped."""
    if column == "price_cents":
        return format_price(int(value))
    if column == "aspects":
        return ", ".join(f"{escape(name)} “{escape(', '.join(values))}”"
                         for name, values in dict(value).items())
    value = str(value)
    if column == "description" and len(value) > SHOWN_MAX:
        value = value[:SHOWN_MAX].rstrip() + "…"
    return f"“{escape(value)}”"


def clipped(reason: str) -> str:
    """A marketplace's reason, short enough that a card of every copy fits in a message."""
    return reason if len(reason) <= PROBLEM_MAX else reason[:PROBLEM_MAX].rstrip() + "…"


def summary(view: CardView) -> str:
    """Every copy in one line, for the /listings page: those posted by API, then those the
    seller posts by hand, each with what it has of its own."""
    parts = []
    for row in view.rows:
        name = escape(view.name(row.marketplace))
        label = (f'<a href="{escape(row.url)}">{name}</a>'
                 if row.url and row.state == "published" else name)
        own = own_values(row, view.listing)
        parts.append(f"{_icon(row)} {label}" + (f" ({', '.join(own)})" if own else ""))
    parts += [_by_hand(copy, view.name(copy.marketplace), view.waiting.get(copy.marketplace))
              for copy in view.by_hand]
    return " · ".join(parts) or "not posted anywhere"


def _headline(view: CardView) -> str:
    listing, rows = view.listing, view.rows
    if listing.state != "active":
        return texts.ended_headline(listing.title, listing.state)
    if not rows:
        return texts.by_hand_only(listing.title)
    if not finished(rows):
        return texts.posting(listing.title)
    live = sum(r.state == "published" for r in rows)
    if live:
        return texts.live_on(listing.title, live, len(rows))
    if any(r.state == "failed" for r in rows):
        return texts.not_posted(listing.title)
    return texts.off_everywhere(listing.title)


def _icon(row: CrossPost) -> str:
    if row.state == "failed":
        return "🔁" if row.retryable else "❌"
    return ICONS.get(row.state, "•")


def _copy_line(row: CrossPost, name: str, now: datetime) -> str:
    line = f"{_icon(row)} {escape(name)}"
    problem = clipped(shared_texts.copy_problem(row, name, now) or "") if row.error_kind else ""
    if row.state == "published":
        if row.url:
            line += f' — <a href="{escape(row.url)}">view listing</a>'
        if problem:
            line += f" — ⚠️ {escape(problem)}"
    elif row.state == "failed" and problem:
        line += f" — {escape(problem)}"
    elif row.state == "sold":
        line += " — sold there"
    elif row.state in ("withdrawn", "ended"):
        line += " — ended"
    return line


def _by_hand_lines(view: CardView) -> list[str]:
    """Kits still waiting for the seller's link in one line; every other copy in its own."""
    ready = [copy for copy in view.by_hand
             if copy.state in (PENDING, KIT_SENT) and view.waiting.get(copy.marketplace)
             in (None, "kit") and view.listing.state == "active"]
    lines = []
    if ready:
        names = shared_texts.in_words([view.name(copy.marketplace) for copy in ready])
        lines.append(texts.kits_ready(escape(names)))
    lines += [_by_hand(copy, view.name(copy.marketplace), view.waiting.get(copy.marketplace))
              for copy in view.by_hand if copy not in ready]
    return lines


def _by_hand(copy: AssistedCopy, name: str, waiting_for: str | None) -> str:
    linked = f'<a href="{escape(copy.url)}">{escape(name)}</a>' if copy.url else escape(name)
    if waiting_for == "price":
        return f"⏳ {linked} — waiting for you to change its price"
    if waiting_for in ENDING:
        return f"⏳ {linked} — waiting for you to end it"
    return {
        KIT_SENT: f"📝 {linked} — kit sent, waiting for your link",
        TRACKED: f"✅ {linked} (posted by you)",
        SKIPPED: f"⏭ {linked} — skipped",
        ENDED: f"🛑 {linked}",
    }.get(copy.state, f"📝 {linked} — kit coming")


def _live(view: CardView) -> bool:
    """Up somewhere: a copy posted by API, or one the seller posts by hand."""
    return any(r.state == "published" for r in view.rows) or any(
        copy.state in (PENDING, KIT_SENT, TRACKED) for copy in view.by_hand
    )


def _next_step(view: CardView) -> str | None:
    if view.busy:
        return None
    if view.listing.state != "active":
        return texts.NEXT_ENDED
    if not finished(view.rows):
        return texts.NEXT_POSTING
    failed = [r for r in view.rows if r.state == "failed"]
    if any(fixable(r) for r in failed):
        return texts.NEXT_FIX
    if any(r.error_kind == Problem.RECONNECT for r in failed):
        return texts.NEXT_RECONNECT
    if failed:
        return texts.NEXT_RETRY
    return texts.NEXT_LIVE if _live(view) else None
