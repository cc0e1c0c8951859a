"""What the seller reads during /post. Parse mode is HTML: seller text goes through `escape`."""

from __future__ import annotations

import re
from html import escape, unescape

from bot.texts import in_words
from storage.drafts import Draft

CONDITIONS = {
    "new": "New",
    "like_new": "Like new",
    "good": "Good",
    "fair": "Fair",
    "for_parts": "For parts",
}
CANCEL_HINT = "\n\n<i>/cancel stops; your draft is kept.</i>"


def resume_offer(draft: Draft) -> str:
    what = f"“{escape(draft.title)}”" if draft.title else "an untitled item"
    photos = len(draft.photos)
    return (
        f"You have a draft: {what} with {photos} photo{'s' if photos != 1 else ''}. "
        "Continue it, or start fresh?"
    )


def draft_expired(title: str) -> str:
    what = f"“{escape(title)}”" if title else "your untitled draft"
    return (
        f"⌛ Your draft {what} expired: I keep a draft 7 days after its last change. "
        "Let's start it again."
    )


def ask_photos(count: int, limit: int) -> str:
    if count:
        return (
            f"📷 {count} photo{'s' if count != 1 else ''} so far (up to {limit}). "
            "Send more, or tap <b>Done</b>." + CANCEL_HINT
        )
    return (
        "Let's list an item. Send me its photos — one, several or an album "
        f"(up to {limit}). Files work too, full resolution and HEIC included." + CANCEL_HINT
    )


def manage_photos(count: int, limit: int, done: str | None = None) -> str:
    """✏️ Photos: what the buttons do, in the order the preview showed the photos."""
    said = f"{done} " if done else ""
    if not count:
        return f"{said}No photos left — send at least one (up to {limit})." + CANCEL_HINT
    noun = "photo" if count == 1 else "photos"
    return (
        f"{said}📷 {count} {noun}, numbered as in the preview; the first is the cover buyers "
        f"see. 🗑 N removes photo N, ⭐ N makes it the cover. Send more to add them (up to "
        f"{limit}), or tap <b>Done</b>." + CANCEL_HINT
    )


def photo_removed(number: int) -> str:
    return f"🗑 Removed photo {number}."


def photo_made_cover(number: int) -> str:
    return f"⭐ Photo {number} is now the cover."


PHOTO_GONE = "That photo isn't in the draft any more."


def photos_added(count: int, limit: int, added: int) -> str:
    noun = "photo" if added == 1 else "photos"
    return (
        f"📷 Added {added} {noun} — {count} of up to {limit}. Send more, or tap <b>Done</b>."
    )


def photo_already_there(count: int, limit: int) -> str:
    return (
        f"📷 I already have that photo, so I kept one copy — {count} of up to {limit}. "
        "Send more, or tap <b>Done</b>."
    )


def photo_limit_reached(limit: int) -> str:
    return f"That's the most I can list ({limit} photos). Tap <b>Done</b> to go on."


def photo_refused(reason: str) -> str:
    return f"⚠️ I couldn't use that photo: {escape(reason)} The others are kept."


def connect_first(by_api: list[str], by_kit: list[str]) -> str:
    """/post with no marketplace connected: said before the seller fills in anything."""
    text = (
        "You haven't connected a marketplace yet, so I can't post anywhere myself. Connect "
        f"{escape(in_words(by_api).replace(' and ', ' or '))} (a minute, once)"
    )
    if by_kit:
        text += (
            f", or start anyway: I'll give you a ready kit for {escape(in_words(by_kit))}, "
            "and you can connect before you post."
        )
    else:
        text += ", or start anyway and connect before you post."
    return text


def loose_photos(several: bool, draft_title: str | None) -> str:
    """Photos sent when no /post was going on: the seller is most likely starting a listing."""
    text = f"📷 Shall I start a listing with {'these photos' if several else 'this photo'}?"
    if draft_title:
        text += f" Or add {'them' if several else 'it'} to your draft “{escape(draft_title)}”?"
    return text


LOOSE_PHOTOS_GONE = "I no longer have those photos — send them again."


FILE_TOO_BIG = (
    "That file is over 20 MB, which is more than Telegram lets bots download. "
    "Send it as a photo instead of a file, or make it smaller."
)
NOT_A_PHOTO_FILE = (
    "That file isn't a photo. Send JPEG, PNG, WebP or HEIC images (as photos or as files)."
)
NEED_A_PHOTO = "Send at least one photo first — it's the first thing buyers look at."


def ask_title(limit: int, reason: str | None) -> str:
    why = f" — {escape(reason)}'s limit" if reason else ""
    return (
        f"What's the title? Up to {limit} characters{why}. "
        "Say what it is, the brand and the key detail, e.g. “Brass desk lamp, 1970s, working”."
        + CANCEL_HINT
    )


def ask_price() -> str:
    return "What's the price in US dollars? For example 25, $25.50 or 1,200." + CANCEL_HINT


def price_to_confirm(price: str) -> str:
    return f"Did you mean <b>{price}</b>? (“k” counts as a thousand.)"


def price_confirmed(price: str) -> str:
    return f"💲 Price set to {price}."


PRICE_RETYPE = "OK — send the price again, like 25 or 1,200."


def price_updated(price: str) -> str:
    return f"💲 Price updated to {price}."


def price_kept(price: str | None) -> str:
    return f"OK — the price stays {price}." if price else "OK — no price yet."


def field_updated(field: str, value: str | None) -> str:
    """After an edited answer was taken: what changed, in the seller's words."""
    shown = f" to “{escape(value)}”" if value else ""
    return f"✏️ {FIELD_NAMES[field]} updated{shown}."


def edit_refused(field: str, reason: str, kept: str | None) -> str:
    """An edited answer that can't be used: why, and that nothing changed."""
    stays = f" “{escape(kept)}”" if kept else ""
    return f"{reason} Your {FIELD_NAMES[field].lower()} stays{stays or ' as it was'}."


FIELD_NAMES = {"title": "Title", "price": "Price", "description": "Description",
               "condition_note": "Note on wear", "postal_code": "ZIP code"}
DRAFT_WAITS = "Your draft is kept — /post picks it up again."


def free_explained(paid: list[tuple[str, str]], free: list[str]) -> str:
    """`paid`: (marketplace, its lowest price) of those in play that take no free item;
    `free`: the marketplaces (kits) that have a way to give an item away."""
    parts = []
    if paid:
        lowest = in_words([f"{escape(name)} (lowest {price})" for name, price in paid])
        parts.append(f"A free item can't be listed on {lowest}.")
    if free:
        verb, kit = ("takes", "its kit") if len(free) == 1 else ("take", "their kits")
        parts.append(
            f"{escape(in_words(free))} {verb} free items: turn {kit} on at the marketplace step "
            "and choose Free there when you post."
        )
    parts.append("Send a price to go on, like 1.")
    return " ".join(parts)


def ask_condition() -> str:
    return "What condition is it in?" + CANCEL_HINT


def ask_description(limit: int) -> str:
    return (
        f"Add a description (up to {limit} characters): size, flaws, what's included. "
        "Or tap <b>Skip</b>." + CANCEL_HINT
    )


def ask_category(suggestion: str | None) -> str:
    if suggestion:
        return (
            f"Category: <b>{escape(suggestion)}</b>? Tap it to accept, pick another, or type "
            "your own." + CANCEL_HINT
        )
    return "Which category? Pick one or type your own, e.g. “Table lamps”." + CANCEL_HINT


def ask_location(remembered: str | None, *, zip_for: str | None = None) -> str:
    """`zip_for`: the marketplace that needs a ZIP code, where a shared location won't do."""
    base = (
        f"Where is the item? Type its ZIP code, like 98402 ({escape(zip_for)} needs one for "
        "where it ships from). Buyers see the area, never your address." if zip_for else
        "Where is the item? Share your location with the button below, or type a ZIP code "
        "like 98402. Buyers see the area, never your address."
    )
    if remembered:
        base += f"\nLast time you used <b>{escape(remembered)}</b>."
    return base + CANCEL_HINT


def zip_still_needed(marketplace: str) -> str:
    return (f"📍 Got it. {escape(marketplace)} also needs the ZIP code the item ships from: "
            "type it, like 98402.")


def ask_marketplaces(*, has_kits: bool, to_connect: list[str]) -> str:
    """`to_connect`: the marketplaces posted by API, when the seller has connected none."""
    kits = (
        "\n📝 <b>kit</b>: no listing API there, so I give you everything ready to paste in, "
        "and keep that copy in step once you send me its link." if has_kits else ""
    )
    connect = (
        f"\nConnect {escape(' or '.join(to_connect))} to have me post there myself."
        if to_connect else ""
    )
    return (
        "Where should I post it? Tap to turn a marketplace on or off, then <b>Continue</b>."
        + kits + connect + CANCEL_HINT
    )
CHOOSE_ONE = "Turn on at least one marketplace."
MOVED_ON = "This draft has moved on — that button is from an earlier step."
CANCELLED = "Stopped. I've kept your draft for 7 days — /post picks it up again."


def waiting_for(step: str) -> str:
    return f"I'm waiting for {step}. /cancel stops; your draft is kept."


NOT_YOURS = "That isn't one of your listings."


# ── What a marketplace asks in its own terms (eBay) ───────────────────────────────────────────


def ask_owned_category(marketplace: str, words: str, paths: list[str]) -> str:
    listed = "\n".join(f"{n}. {escape(path)}" for n, path in enumerate(paths, start=1))
    return (
        f"Which {marketplace} category fits “{escape(words)}”?\n{listed}\n\nTap one, or send a "
        "few other words to search again." + CANCEL_HINT
    )


def categories_unavailable(marketplace: str) -> str:
    return (
        f"{marketplace} didn't answer with its categories just now. Send a few words that say "
        "what the item is and I'll ask again." + CANCEL_HINT
    )


CHOOSE_A_VALUE = "This one is required: tap at least one value, then Done."
TAP_A_BUTTON = "Tap one of the buttons above, or « Back."


def no_owned_category(marketplace: str, words: str) -> str:
    return (
        f"{marketplace} has no category for “{escape(words)}”. Send a few words that say what it "
        "is, like “cast iron dutch oven” or “men's running shoes”." + CANCEL_HINT
    )


def ask_owned_condition(marketplace: str, category: str) -> str:
    return (
        f"What condition is it in? These are {marketplace}'s words for "
        f"<b>{escape(category)}</b>." + CANCEL_HINT
    )


CONDITION_NOTE_MAX = 1000


def ask_condition_note() -> str:
    return (
        "Anything a buyer should know about its wear — scuffs, missing parts, how much it was "
        f"used? Up to {CONDITION_NOTE_MAX:,} characters. Or tap <b>Skip</b>." + CANCEL_HINT
    )


def ask_aspect(
    marketplace: str, name: str, *, required: bool, free_text: bool, multiple: bool,
    chosen: list[str],
) -> str:
    how = "Tap one" if not multiple else "Tap all that apply, then <b>Done</b>"
    if free_text:
        how += ", or type it" if not multiple else ", or type them separated by commas"
    need = f"{marketplace} requires it for this category" if required else "optional"
    so_far = f"\nChosen: {escape(', '.join(chosen))}" if chosen else ""
    return f"<b>{escape(name)}</b>? ({need}) {how}.{so_far}" + CANCEL_HINT


def aspect_refused(marketplace: str, name: str) -> str:
    return (
        f"{marketplace} accepts only its own values for {escape(name)}: tap one of the buttons."
    )


def aspects_from_title(found: dict[str, list[str]]) -> str:
    listed = ", ".join(f"{escape(name)}: {escape(', '.join(values))}"
                       for name, values in found.items())
    return f"From the title I filled in {listed}. Change them from the preview if they're wrong."


def offer_details(marketplace: str, names: list[str]) -> str:
    return (
        f"{marketplace} buyers also filter by {escape(', '.join(names[:5]))}. Add those details "
        "(each can be skipped), or leave them out?" + CANCEL_HINT
    )


def comps(marketplace: str, low: str, high: str, typical: str) -> str:
    return f"\n\nSimilar items on {marketplace} now: {low}–{high}, typical {typical}."


def ask_package(marketplace: str) -> str:
    return (
        f"How heavy is it packed, and how big is the box? Your {marketplace} shipping policy "
        "works out the postage from it. Tap a size, or send weight and box in inches, like "
        "“3 lb 12x10x6”." + CANCEL_HINT
    )


def package_text(package: dict[str, int]) -> str:
    ounces = package["weight_ounces"]
    weight = f"{ounces // 16} lb {ounces % 16} oz" if ounces % 16 else f"{ounces // 16} lb"
    if ounces < 16:
        weight = f"{ounces} oz"
    return (f"{weight}, {package['length_inches']}×{package['width_inches']}×"
            f"{package['height_inches']} in")


MESSAGE_LIMIT = 4096  # Telegram's, in UTF-16 code units of the text as shown
DESCRIPTION_SHORTENED = (
    "✂️ <i>The description is shortened here; the marketplaces get all of it.</i>"
)


def preview(
    draft: Draft, price: str, marketplaces: list[str], location: str | None,
    condition: str | None = None,
) -> str:
    """The preview card: every field, and the description shortened when the whole card would
    not fit in one Telegram message (the marketplaces still get it whole)."""
    lines = [
        f"<b>{escape(draft.title or '')}</b>",
        f"💵 {escape(price)} · {escape(condition or CONDITIONS.get(draft.condition or '', '—'))}",
        f"🏷 {escape(draft.category_path or draft.category or '—')}",
    ]
    if draft.condition_note:
        lines.append(f"🔎 {escape(draft.condition_note)}")
    specifics = [(name, values) for name, values in draft.aspects.items() if values]
    if specifics:
        lines.append("📋 " + " · ".join(
            f"{escape(name)}: {escape(', '.join(values))}" for name, values in specifics
        ))
    if draft.package:
        lines.append(f"📦 {package_text(draft.package)}")
    if location:
        lines.append(f"📍 {escape(location)}")
    lines.append(f"🛒 {', '.join(escape(name) for name in marketplaces) or '—'}")
    ending = ["", "Tap a field to change it, or <b>Post</b> when it looks right."]
    if draft.description:
        room = MESSAGE_LIMIT - shown_length("\n".join([*lines, "", *ending]))
        description = draft.description
        if shown_length(escape(description)) > room:
            room -= shown_length(DESCRIPTION_SHORTENED) + 2
            description = shorten(description, room)
            ending.insert(0, DESCRIPTION_SHORTENED)
            ending.insert(0, "")
        lines += ["", escape(description)]
    return "\n".join([*lines, *ending])


def shown_length(html_text: str) -> int:
    """How long Telegram counts `html_text` once its tags are parsed: UTF-16 code units of the
    visible text."""
    visible = unescape(re.sub(r"<[^>]*>", "", html_text))
    return len(visible.encode("utf-16-le")) // 2


def shorten(text: str, room: int) -> str:
    """`text` cut at a word within `room` UTF-16 units, with an ellipsis."""
    cut = text
    while shown_length(escape(cut)) > room - 1 and cut:
        over = shown_length(escape(cut)) - (room - 1)
        cut = cut[: max(0, len(cut) - max(over, 1))]
    if " " in cut[-40:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


# ── A listing's card (bot/selling/card.py draws it, bot/cards.py keeps it current) ────────────

STATE_LABELS = {"active": "for sale", "sold": "sold", "withdrawn": "withdrawn"}
FIX_WORDS = {  # a field a marketplace refused → (what to ask for, what the seller calls it)
    "title": ("the new title", "title"),
    "description": ("the new description", "description"),
    "price": ("the new price, like 25 or $25.50", "price"),
    "category": ("the category, in a few words", "category"),
    "location": ("a 5-digit ZIP code, like 98402", "ZIP code"),
    "aspects": ("the item specific it names", "item specifics"),
}


def posting(title: str) -> str:
    return f"Posting <b>{escape(title)}</b>…"


def live_on(title: str, live: int, copies: int) -> str:
    return f"🎉 <b>{escape(title)}</b> is live on {live} of {copies} marketplaces."


def not_posted(title: str) -> str:
    return f"<b>{escape(title)}</b> couldn't be posted yet."


def off_everywhere(title: str) -> str:
    return f"<b>{escape(title)}</b> is off every marketplace."


def by_hand_only(title: str) -> str:
    return f"📝 <b>{escape(title)}</b>"


def ended_headline(title: str, state: str) -> str:
    icon = "💰" if state == "sold" else "🛑"
    return f"{icon} <b>{escape(title)}</b> — {STATE_LABELS.get(state, state)}"


def price_line(price: str, state: str) -> str:
    return f"💵 {escape(price)} · {STATE_LABELS.get(state, state)}"


def kits_ready(names: str) -> str:
    """`names`: the marketplaces whose kits wait for the seller, in words, already escaped."""
    return f"📝 Ready for you on {names}: post it there from the kit, then send me the link."


def own_values(marketplace: str, values: list[str]) -> str:
    """What one copy has of its own after a fix; `values` already escaped."""
    return f"   ✏️ {escape(marketplace)} has its own {in_words(values)}"


NEXT_POSTING = "<i>I'll update this card as each marketplace answers.</i>"
NEXT_FIX = "<i>Next: tap ✏️ Fix, and I'll post it there again.</i>"
NEXT_RECONNECT = "<i>Next: connect it again with /connect, then tap 🔁 Retry.</i>"
NEXT_RETRY = "<i>Next: tap 🔁 Retry to try again.</i>"
NEXT_LIVE = (
    "<i>When it sells, I end the other copies. Sold in person or somewhere else? "
    "Tap 💰 Mark sold.</i>"
)
NEXT_ENDED = "<i>Next: 📦 Post an item to list something else.</i>"


# Prompts on the card, and what happened last (shown under the copies).


def confirm_sold(title: str) -> str:
    return f"Did <b>{escape(title)}</b> sell? I'll end every other copy so it can't sell twice."


def confirm_withdraw(title: str) -> str:
    return f"Withdraw <b>{escape(title)}</b> from every marketplace?"


def choose_more(title: str) -> str:
    return f"Post <b>{escape(title)}</b> to:"


NOT_SOLD = "👍 Not sold — it stays for sale everywhere."
NOT_WITHDRAWN = "👍 It stays up everywhere."
MARKING_SOLD = "💰 You marked it sold — ending every other copy…"
WITHDRAWING = "🛑 Withdrawing it from every marketplace…"


def marked_sold(ended: list[str], stuck: list[str]) -> str:
    return "✅ You marked it sold." + _ended_where(ended, stuck, " so it can't sell twice")


def withdrawn(ended: list[str], stuck: list[str]) -> str:
    return "✅ Withdrawn." + _ended_where(ended, stuck, "")


def _ended_where(ended: list[str], stuck: list[str], why: str) -> str:
    text = f" I ended it on {escape(in_words(ended))}{why}." if ended else ""
    if stuck:
        text += f" ⚠️ I couldn't end it on {escape(in_words(stuck))} yet — check it there."
    return text


def ask_new_price(title: str, price: str) -> str:
    return (
        f"✏️ New price for <b>{escape(title)}</b>? It's {escape(price)} now.\n"
        "Send the amount, like 35 or $35.50."
    )


def keep_price(price: str) -> str:
    return f"« Keep {price}"


def changing_price(price: str) -> str:
    return f"💵 Changing the price to {escape(price)} on every copy…"


def price_changed(price: str, took: list[str], missed: list[str]) -> str:
    text = f"✅ New price: {escape(price)}"
    text += f" — on {escape(in_words(took))}." if took else "."
    if missed:
        text += f" ⚠️ {escape(in_words(missed))} didn't take it yet."
    return text


def listing_price_kept(price: str) -> str:
    """« Keep on a listing's card (`price_kept` is the same answer while posting)."""
    return f"👍 The price stays at {escape(price)}."


def ask_fix(marketplace: str, reason: str, field: str, title: str,
            aspect: str | None = None) -> str:
    """`aspect`: the item specific the marketplace named as missing, when that is the field."""
    what = f"the {escape(aspect)}" if aspect else FIX_WORDS[field][0]
    return (
        f"✏️ {escape(marketplace)} said: {escape(reason)}\n\n"
        f"Send {what} for {escape(marketplace)}. Only {escape(marketplace)} gets it: "
        f"<b>{escape(title)}</b> stays as it is everywhere else."
    )


LEAVE_IT = "« Leave it"


def fix_label(field: str, marketplace: str) -> str:
    return f"✏️ Fix the {FIX_WORDS[field][1]} for {marketplace}"


def fixed(marketplace: str, field: str, shown: str, still: list[str]) -> str:
    """`shown`: the new value as the card shows it, already escaped; `still`: the fields the
    marketplace refused that are not fixed yet."""
    text = f"✏️ {escape(marketplace)} gets the {FIX_WORDS[field][1]} {shown}"
    if still:
        words = in_words([FIX_WORDS[f][1] for f in still])
        return text + f". Now fix its {words} too, and I'll post it there again."
    return text + "; your other marketplaces keep theirs."


def left_as_is(marketplace: str) -> str:
    return f"👍 I left {escape(marketplace)} as it is."


def retrying(names: list[str]) -> str:
    return f"🔁 Trying {escape(in_words(names))} again…"


def added(marketplace: str) -> str:
    return f"➕ Added {escape(marketplace)}."


ALREADY_ENDED = "This listing has already ended."
ALREADY_DEALT_WITH = "That has already been dealt with."
