"""What the seller reads. Parse mode is HTML: anything from the seller goes through `escape`."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from bot.commands import COMMANDS
from marketplaces.base import MarketplaceError, TimedOut, Unreadable
from marketplaces.crosspost import Problem, StatusChange
from marketplaces.ebay import config as ebay_scopes
from marketplaces.oauth import CallbackRefused, Refusal
from storage.accounts import StoredAccount
from storage.listings import CrossPost


def command_list() -> str:
    return "\n".join(f"/{command} — {escape(description)}" for command, description in COMMANDS)


def in_words(names: list[str]) -> str:
    """"eBay", "eBay and Facebook", "eBay, Facebook and OfferUp"."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def welcome(first_name: str, by_api: list[str], by_kit: list[str], *, connected: bool) -> str:
    """`by_api`: the marketplaces this bot posts to itself; `by_kit`: those it gives a kit for;
    `connected`: the seller has connected one of `by_api`. The buttons under it are the steps."""
    api, kits = in_words(by_api), in_words(by_kit)
    where = []
    if api:
        where.append(f"I post it for you on {escape(api)}")
    if kits:
        where.append(f"I hand you a ready-to-paste kit for {escape(kits)}, which have no "
                     "listing API")
    if by_api and not connected:
        step = (f"<b>First step:</b> connect {escape(' or '.join(by_api))}"
                + (" (the kits need no connection)" if kits else "") + ", then post an item.")
    else:
        step = "<b>Next step:</b> post an item — tap below and send me its photos."
    return (
        f"👋 Hi {escape(first_name)}! I'm <b>Deal Scout</b>.\n\n"
        "Send me photos of something you're selling and a few details. "
        + "; ".join(where) + ". Then I keep every copy in step: when it sells on one, I end the "
        "others, or remind you to, so you never sell it twice.\n\n"
        f"{step}\n\n"
        "/help shows everything I can do."
    )


def help_text() -> str:
    return (
        "<b>Deal Scout</b> lists your item on several marketplaces from one chat.\n\n"
        f"{command_list()}\n\n"
        "Use /cancel at any step to stop; nothing you've entered is lost until you say so."
    )


NOTHING_TO_CANCEL = "There's nothing to cancel — we weren't in the middle of anything."


def unknown_command(command: str) -> str:
    return (
        f"I don't know the command {escape(command)}. These are the ones I understand:\n"
        f"{command_list()}"
    )


def not_understood() -> str:
    return (
        "I'm not sure what to do with that. These are the things I can do:\n"
        f"{command_list()}"
    )


NOTHING_LISTED = (
    "You haven't listed anything yet. Post your first item, and it shows up here with every "
    "marketplace it's on."
)
STALE_BUTTON = "That button belongs to something that has already finished."
SOMETHING_WENT_WRONG = (
    "Sorry — something went wrong on my side and I couldn't finish that. "
    "Please try again in a moment."
)


# ── Connecting accounts ──────────────────────────────────────────────────────────────────────

NO_MARKETPLACES = (
    "No marketplaces are available on this bot yet — its operator hasn't set any up. "
    "Please check back later."
)
MARKETPLACE_UNAVAILABLE = "That marketplace isn't available on this bot any more."
NOT_CONNECTED_ANYMORE = "That account isn't connected any more."
CHECKING = "Checking…"
EXPIRY_WARNING_DAYS = 5


def _days_left(account: StoredAccount, now: datetime | None = None) -> int | None:
    if account.expires_at is None:
        return None
    now = now or datetime.now(UTC)
    return max(0, (account.expires_at - now).days)


def connection_line(marketplace: str, account: StoredAccount | None) -> str:
    if account is None:
        return f"• {marketplace} — not connected"
    return f"• {marketplace} — connected as <b>{escape(account.display_name)}</b>"


def connect_menu(lines: list[str], kits: list[str]) -> str:
    """The /connect menu: the marketplaces posted by API, which need a connection, and the
    ones the seller posts by hand from a kit, which don't."""
    no_connection = (
        f"\n\nNo connection needed for {escape(in_words(kits))}: they have no listing API, so "
        "when you /post I give you a ready kit to paste in, and keep the copy in step once you "
        "send me its link." if kits else ""
    )
    return (
        "Connect your marketplace accounts once, and I'll post your listings there and keep "
        "them in step.\n\n" + "\n".join(lines) + "\n\nTap a marketplace to connect it."
        + no_connection
    )


def consent_link(marketplace: str) -> str:
    return (
        f"Tap <b>Open {marketplace}</b>, sign in and approve Deal Scout. Then come back here — "
        "I'll confirm in this chat.\n\nThe link works once, for 10 minutes."
    )


def connected(marketplace: str, account_name: str) -> str:
    return f"✅ {marketplace} is connected as <b>{escape(account_name)}</b>."


def setup_needed(marketplace: str, what: str) -> str:
    return f"Before I can post on {marketplace}, one thing to set up there:\n{escape(what)}"


def connect_refused(reason: str) -> str:
    return f"⚠️ {escape(reason)} Nothing was connected."


START_AGAIN = "Start again from Telegram with /connect."
LOGIN_UNSIGNED = f"Open this link with the button in Telegram, not by copying it. {START_AGAIN}"


def login_too_old(minutes: int) -> str:
    return (
        f"This link was opened more than {minutes} minutes after it was tapped in Telegram, so "
        "I can't be sure it's you. Open the link from the chat again."
    )

_REFUSALS = {  # why a connect link connected nothing, for its page and the chat
    Refusal.INVALID_LINK: f"This link is not valid. {START_AGAIN}",
    Refusal.NOT_YOURS: f"This link isn't yours, or it was already opened. {START_AGAIN}",
    Refusal.EXPIRED: f"This link expired (links work for 10 minutes). {START_AGAIN}",
    Refusal.OTHER_MARKETPLACE: f"This link was made for another marketplace. {START_AGAIN}",
    Refusal.UNKNOWN_MARKETPLACE: "This link is not for a marketplace Deal Scout connects to.",
    Refusal.MALFORMED: f"This link is malformed. {START_AGAIN}",
    Refusal.INCOMPLETE: f"This link is incomplete. {START_AGAIN}",
    Refusal.USED: f"This link was already used or is not valid. {START_AGAIN}",
    Refusal.OTHER_BROWSER: (
        "This sign-in was finished in a different browser from the one that started it, so I "
        f"didn't connect anything. {START_AGAIN}"
    ),
    Refusal.DECLINED: "You declined the connection to {marketplace}.",
    Refusal.NOT_COMPLETED: "{marketplace} did not complete the connection.",
    Refusal.NO_CODE: f"{{marketplace}} sent no authorization. {START_AGAIN}",
    Refusal.NOT_ACCEPTED: "{marketplace} did not accept the connection. Please try again.",
    Refusal.CLIENT_REFUSED: (
        "{marketplace} did not accept Deal Scout's own credentials. That is for the bot's "
        "operator to fix, not you; please try again later."
    ),
    Refusal.TIMED_OUT: "{marketplace} took too long to answer. Please try again in a few minutes.",
    Refusal.NOT_ANSWERING: (
        "{marketplace} isn't answering properly right now. Please try again in a few minutes."
    ),
    Refusal.SETUP_UNANSWERED: (
        "{marketplace} didn't answer while I was setting up your account, so nothing was "
        "connected. Please try again in a few minutes."
    ),
}
# What each permission (OAuth scope) we ask for lets Deal Scout do, as a seller would say it.
SCOPE_WORDS = {
    "listings.write": "post and change your listings",
    "listings.read": "see your listings",
    "profile.read": "see your profile",
    ebay_scopes.SCOPE_INVENTORY: "post and end your listings",
    ebay_scopes.SCOPE_ACCOUNT: "read your business policies",
    ebay_scopes.SCOPE_FULFILLMENT: "see your orders",
    ebay_scopes.SCOPE_IDENTITY: "see your user name",
    ebay_scopes.SCOPE_NOTIFICATION: "tell me when something sells",
}


def scope_missing(marketplace: str, missing: tuple[str, ...]) -> str:
    """A grant narrower than asked for: what Deal Scout could not do, and the scope names."""
    needs = "; ".join(
        f"{SCOPE_WORDS[scope]} ({scope})" if scope in SCOPE_WORDS else scope for scope in missing
    )
    return (
        f"{marketplace} gave Deal Scout only part of the access it needs. Missing: {needs}. "
        f"Connect again and allow everything {marketplace} asks about."
    )


def refusal(refused: CallbackRefused, marketplace: str) -> str:
    """Why connecting `marketplace` (its display name) did not happen, in a plain sentence
    (not escaped: the page and the chat each escape it)."""
    if refused.reason is Refusal.SETUP_REFUSED:
        return refused.detail or f"{marketplace} refused to set up your account."
    if refused.reason is Refusal.SCOPE_MISSING:
        return scope_missing(marketplace, refused.missing_scopes)
    return _REFUSALS[refused.reason].format(marketplace=marketplace)


def account_status_line(marketplace: str, account: StoredAccount) -> str:
    name = escape(account.display_name)
    if account.status == "needs_reconnect":
        return f"• {marketplace} ({name}) — ❗ needs reconnecting"
    days = _days_left(account)
    if account.refresh_token is None and days is not None and days <= EXPIRY_WARNING_DAYS:
        return f"• {marketplace} ({name}) — ⏳ expires in {days} day{'s' if days != 1 else ''}"
    return f"• {marketplace} ({name}) — ✅ connected"


def accounts_overview(lines: list[str]) -> str:
    if not lines:
        return "You haven't connected any marketplace yet."
    return "Your marketplace accounts:\n" + "\n".join(lines)


def confirm_disconnect(marketplace: str) -> str:
    return (
        f"Disconnect {marketplace}? I'll stop posting there and forget the access you gave me. "
        "Your listing history stays."
    )


def disconnected(marketplace: str) -> str:
    return f"{marketplace} is disconnected."


def check_ok(marketplace: str, account_name: str) -> str:
    return f"✅ {marketplace} works — signed in as <b>{escape(account_name)}</b>."


def check_needs_reconnect(marketplace: str) -> str:
    return f"❗ {marketplace} no longer accepts my access. Please connect it again with /connect."


def check_unavailable(marketplace: str, problem: MarketplaceError | None = None) -> str:
    """Why a check (or a catalog list) could not be done: no answer in time, an answer that
    makes no sense, or the marketplace down."""
    if isinstance(problem, TimedOut):
        return f"{marketplace} took too long to answer, so I couldn't check. Try again in a bit."
    if isinstance(problem, Unreadable):
        return (
            f"{marketplace} isn't answering properly right now, so I couldn't check. "
            "Try again in a bit."
        )
    return f"{marketplace} isn't answering right now, so I couldn't check. Try again in a bit."


def unreadable_connection_notice(marketplace: str) -> str:
    return (
        f"❗ I can no longer use your {marketplace} connection (something changed on my side, "
        "not yours), so I can't post there until you connect it again. Sorry for the bother."
    )


def needs_reconnect_notice(marketplace: str) -> str:
    return (
        f"❗ {marketplace} stopped accepting my access to your account, so I can't post there "
        "until you connect it again."
    )


def access_revoked_notice(marketplace: str) -> str:
    return (
        f"❗ Deal Scout's access to your {marketplace} account was removed, so I can't post, "
        f"end or check your {marketplace} listings. Reconnect to carry on; nothing else changed."
    )


def account_deleted_notice(marketplace: str) -> str:
    return (
        f"{marketplace} told me your {marketplace} account was closed, so I've deleted its "
        f"connection and keys here. Your other marketplaces are untouched."
    )


def expiry_warning(marketplace: str, days: int) -> str:
    return (
        f"⏳ Your {marketplace} connection expires in {days} day{'s' if days != 1 else ''} "
        f"({marketplace} doesn't let me renew it myself). Reconnect now to keep posting there."
    )


def choose_catalog(marketplace: str) -> str:
    return (
        f"You manage several catalogs. Which one should {marketplace} list your items in?"
    )


CATALOG_GONE = "That catalog isn't one you manage any more. Use /connect to pick again."


def catalog_chosen(marketplace: str, catalog: str) -> str:
    return f"👍 {marketplace} will list your items in <b>{escape(catalog)}</b>."


# ── A copy on one marketplace ────────────────────────────────────────────────────────────────


def copy_problem(row: CrossPost, marketplace: str, now: datetime) -> str | None:
    """What went wrong with one copy, in a sentence; None when nothing did. Not escaped."""
    kind = row.error_kind
    if kind == Problem.RECONNECT:
        return f"{marketplace} needs to be connected again (/connect)."
    if kind == Problem.BUSY:
        wait = (row.next_attempt_at - now).total_seconds() if row.next_attempt_at else 0.0
        return f"{marketplace} is busy; I'll try again in {_in_words(wait)}."
    if kind == Problem.GAVE_UP:
        return f"{marketplace} isn't answering — I tried {row.attempts} times. Tap Retry later."
    if kind == Problem.NOT_ENDED:
        return f"couldn't end it there yet ({marketplace})"
    if kind == Problem.PRICE_NOT_TAKEN:
        return f"{marketplace} didn't take the new price yet."
    if kind == Problem.CRASHED:
        return (f"posting to {marketplace} stopped me twice, so I've set it aside and told the "
                "operator. Tap Retry to try once more.")
    return row.error  # refused: the marketplace's own reason


def _in_words(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"


# ── Keeping listings in step ─────────────────────────────────────────────────────────────────


def _others(change: StatusChange, names: dict[str, str]) -> str:
    ended = [names.get(m, m) for m in change.withdrawn]
    text = f" I ended it on {', '.join(ended)} so it can't sell twice." if ended else ""
    if change.not_withdrawn:
        stuck = ", ".join(names.get(m, m) for m in change.not_withdrawn)
        text += f" ⚠️ I couldn't end it on {stuck} yet — I'll keep trying; check it there."
    return text


def sold_elsewhere(change: StatusChange, names: dict[str, str]) -> str:
    where = names.get(change.marketplace, change.marketplace)
    return f"💰 <b>{escape(change.title)}</b> sold on {where}!" + _others(change, names)


def ended_elsewhere(change: StatusChange, names: dict[str, str]) -> str:
    where = names.get(change.marketplace, change.marketplace)
    return f"<b>{escape(change.title)}</b> was ended on {where}." + _others(change, names)


def change_news(change: StatusChange, names: dict[str, str]) -> str:
    """The same news on the listing's card, under its title."""
    where = names.get(change.marketplace, change.marketplace)
    said = f"💰 It sold on {where}!" if change.sold else f"It was ended on {where}."
    return said + _others(change, names)
