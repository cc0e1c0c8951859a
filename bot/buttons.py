"""Every button the bot sends, as a typed value that travels inside the button itself.

python-telegram-bot's arbitrary callback data is switched on, so a handler receives the object a
button was made for (`query.data` is a `PickCondition`, an `OpenListing` …) and handlers match
on its type. PTB's own `CallbackDataCache` keeps those objects in a process-local LRU of 1,024
keyboards and leaves only a UUID in the button, which does not suit this bot: a listing card
must still work a week and thousands of keyboards later, a keyboard sent just before a crash
must work after the restart, and (with several replicas) a press may reach a process that never
saw the keyboard. So `ButtonCodec` stands in for that cache: it packs each value into the
button's own 64 bytes (compact JSON, `["cd",12,"good"]`) and unpacks it on the press. Nothing
is cached, nothing is lost. Data that is not one of ours (a button from an older version of the
bot, a forged press) arrives as PTB's `InvalidCallbackData`.

A button says which draft, listing or account it acts on; the handler loads that object and
checks it is still the pressing seller's and still in the state the button was made for. Draft
buttons carry the draft's version, so a button from a finished draft can never act on the next.
"""

from __future__ import annotations

import functools
import json
import typing
from copy import copy
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackDataCache, ExtBot, InvalidCallbackData

MAX_BYTES = 64  # Telegram's limit on callback_data
_LARGEST_ID = 2**63 - 1  # SQLite's INTEGER: a larger id can only be forged
_FIELD_TYPES = (int, str, bool)


@dataclass(frozen=True)
class Button:
    """Base of every button's value; each subclass registers under a short, unique tag."""

    tag: ClassVar[str]
    _by_tag: ClassVar[dict[str, type[Button]]] = {}

    def __init_subclass__(cls, tag: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if tag is None:  # an abstract family, such as DraftButton
            return
        if tag in Button._by_tag:
            raise ValueError(f"button tag {tag!r} is taken by {Button._by_tag[tag].__name__}")
        cls.tag = tag
        Button._by_tag[tag] = cls


def pack(button: Button) -> str:
    """The callback_data string for `button`: its tag and field values as compact JSON."""
    values = [getattr(button, item.name) for item in fields(button)]
    data = json.dumps([button.tag, *values], separators=(",", ":"), ensure_ascii=False)
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"{type(button).__name__} packs to more than {MAX_BYTES} bytes: {data}")
    return data


def unpack(data: str) -> Button | None:
    """The button `data` was packed from; None for anything we did not make."""
    try:
        decoded = json.loads(data)
    except ValueError:
        return None
    if not isinstance(decoded, list) or not decoded or not isinstance(decoded[0], str):
        return None
    kind = Button._by_tag.get(decoded[0])
    if kind is None:
        return None
    values = decoded[1:]
    expected = _field_types(kind)
    if len(values) != len(expected) or not all(map(_fits, values, expected)):
        return None
    return kind(*values)


@functools.cache
def _field_types(kind: type[Button]) -> list[type]:
    hints = typing.get_type_hints(kind)
    return [hints[item.name] for item in fields(kind)]


def _fits(value: object, expected: type) -> bool:
    if expected not in _FIELD_TYPES or type(value) is not expected:  # bool is not an int here
        return False
    return not isinstance(value, int) or isinstance(value, bool) or 0 <= value <= _LARGEST_ID


class ButtonCodec(CallbackDataCache):
    """PTB's callback data cache, with the data kept in the buttons instead of in memory."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        super().__init__(bot=bot, maxsize=1)

    def process_keyboard(self, reply_markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
        rows = [[_packed(button) for button in row] for row in reply_markup.inline_keyboard]
        return InlineKeyboardMarkup(rows)

    def process_callback_query(self, callback_query: CallbackQuery) -> None:
        data = callback_query.data
        if not isinstance(data, str):
            return
        value: object = unpack(data)
        if value is None:
            value = InvalidCallbackData(data)
        with callback_query._unfrozen():  # what PTB's own cache does to the same attribute
            callback_query.data = value  # type: ignore[assignment]

    def process_message(self, message: Message) -> None:
        """Keyboards of messages are left packed: no handler reads them."""

    def load_persistence_data(self, persistent_data: object) -> None:
        """Nothing to load: every button carries its own data."""

    @property
    def persistence_data(self) -> tuple[list[Any], dict[str, str]]:
        return [], {}

    def drop_data(self, callback_query: CallbackQuery) -> None:
        """Nothing is held, so nothing to drop."""

    def clear_callback_data(self, time_cutoff: object = None) -> None:
        """Nothing is held, so nothing to clear."""

    def clear_callback_queries(self) -> None:
        """Nothing is held, so nothing to clear."""


def _packed(button: InlineKeyboardButton) -> InlineKeyboardButton:
    data = button.callback_data
    if data is None:
        return button
    if not isinstance(data, Button):
        raise TypeError(f"button {button.text!r} must carry a bot.buttons.Button, not {data!r}")
    packed = copy(button)  # a new button: the caller's keyboard stays as it was
    packed.update_callback_data(pack(data))
    return packed


def wire_form(value: object) -> object:
    """JSON `default` for updates holding unpacked buttons: back to what Telegram sent."""
    if isinstance(value, Button):
        return pack(value)
    if isinstance(value, InvalidCallbackData):
        return value.callback_data
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# ── Families: what a button acts on ───────────────────────────────────────────────────────────


@dataclass(frozen=True)
class DraftButton(Button):
    """A /post button, bound to the version of the draft it was sent for."""

    draft: int


@dataclass(frozen=True)
class ListingButton(Button):
    listing: int


@dataclass(frozen=True)
class AccountButton(Button):
    marketplace: str


# ── /post ─────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class NewPost(Button, tag="new"):
    """📦 Post an item: starts /post from a button."""


@dataclass(frozen=True)
class StartAnyway(Button, tag="anyway"):
    """▶️ Start anyway: /post although no marketplace is connected (kits only, for now)."""


@dataclass(frozen=True)
class StartWithPhotos(Button, tag="lphoto"):
    """📦 A listing from the photos sent when no /post was going on: a new draft, or (add)
    the draft the seller already has."""

    add: bool


@dataclass(frozen=True)
class ContinueDraft(DraftButton, tag="cont"):
    pass


@dataclass(frozen=True)
class StartFresh(DraftButton, tag="fresh"):
    pass


@dataclass(frozen=True)
class PhotosDone(DraftButton, tag="done"):
    pass


@dataclass(frozen=True)
class RemovePhoto(DraftButton, tag="prm"):
    """🗑 N on ✏️ Photos; `photo` is the end of the photo's file_unique_id (fits 64 bytes),
    so a double tap can never remove the photo that moved into its place."""

    photo: str


@dataclass(frozen=True)
class CoverPhoto(DraftButton, tag="pcv"):
    """⭐ N on ✏️ Photos: that photo becomes the first, the one marketplaces show."""

    photo: str


@dataclass(frozen=True)
class Back(DraftButton, tag="back"):
    pass


@dataclass(frozen=True)
class PickCondition(DraftButton, tag="cond"):
    condition: str


@dataclass(frozen=True)
class PickMarketplaceCondition(DraftButton, tag="mcond"):
    """A condition in a marketplace's own words (eBay's list for the category)."""

    condition_id: str


@dataclass(frozen=True)
class SkipConditionNote(DraftButton, tag="nskip"):
    pass


@dataclass(frozen=True)
class AspectValue(DraftButton, tag="asp"):
    """One of eBay's values for the item specific being asked (indexes into eBay's lists)."""

    aspect: int
    value: int


@dataclass(frozen=True)
class AspectPage(DraftButton, tag="aspg"):
    """More of eBay's values for the item specific being asked."""

    aspect: int
    page: int


@dataclass(frozen=True)
class AspectDone(DraftButton, tag="aspok"):
    """Done choosing several values, or skipping an optional item specific."""

    aspect: int


@dataclass(frozen=True)
class AddDetails(DraftButton, tag="dets"):
    """Answer the optional item specifics (True) or leave them (False)."""

    add: bool


@dataclass(frozen=True)
class UseTypicalPrice(DraftButton, tag="comp"):
    cents: int


@dataclass(frozen=True)
class ConfirmPrice(DraftButton, tag="pok"):
    """Yes to a price read from a shorthand like "12k"."""

    cents: int


@dataclass(frozen=True)
class RetypePrice(DraftButton, tag="pno"):
    """No to a price read from a shorthand: the seller types it again."""


@dataclass(frozen=True)
class PickPackage(DraftButton, tag="pkg"):
    preset: int


@dataclass(frozen=True)
class SkipDescription(DraftButton, tag="skip"):
    pass


@dataclass(frozen=True)
class PickCategory(DraftButton, tag="cat"):
    index: int  # into the suggestions offered with this draft's category prompt


@dataclass(frozen=True)
class ToggleMarketplace(DraftButton, tag="mp"):
    marketplace: str


@dataclass(frozen=True)
class MarketplacesChosen(DraftButton, tag="mpok"):
    pass


@dataclass(frozen=True)
class EditField(DraftButton, tag="edit"):
    what: str  # photos, title, price …


@dataclass(frozen=True)
class PostDraft(DraftButton, tag="post"):
    pass


@dataclass(frozen=True)
class CancelDraft(DraftButton, tag="stop"):
    pass


# ── Listings, posting and fixing ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ListingsPage(Button, tag="page"):
    page: int


@dataclass(frozen=True)
class OpenListing(ListingButton, tag="open"):
    page: int


@dataclass(frozen=True)
class CardAction(ListingButton):
    """What a listing card's buttons do to the listing (bot/selling/listings.py)."""


@dataclass(frozen=True)
class MarkSold(CardAction, tag="sold"):
    pass


@dataclass(frozen=True)
class ConfirmSold(CardAction, tag="sold!"):
    pass


@dataclass(frozen=True)
class NotSold(CardAction, tag="sold-"):
    """No on "Did it sell?": the card comes back, saying it stays for sale."""


@dataclass(frozen=True)
class Withdraw(CardAction, tag="wd"):
    pass


@dataclass(frozen=True)
class ConfirmWithdraw(CardAction, tag="wd!"):
    pass


@dataclass(frozen=True)
class NotWithdrawn(CardAction, tag="wd-"):
    """No on "Withdraw it?": the card comes back, saying it stays up."""


@dataclass(frozen=True)
class ChangePrice(ListingButton, tag="price"):
    pass


@dataclass(frozen=True)
class KeepPrice(CardAction, tag="price-"):
    """« Keep on the new-price question: the card comes back as it was."""


@dataclass(frozen=True)
class PostElsewhere(CardAction, tag="more"):
    pass


@dataclass(frozen=True)
class AddMarketplace(CardAction, tag="add"):
    marketplace: str


@dataclass(frozen=True)
class RetryPosting(ListingButton, tag="retry"):
    pass


@dataclass(frozen=True)
class FixRefusal(ListingButton, tag="fix"):
    """✏️ Fix one field a marketplace refused, for that marketplace alone."""

    marketplace: str
    field: str  # the refused field: title, description, price, category, location


@dataclass(frozen=True)
class LeaveFix(CardAction, tag="fix-"):
    """« Leave it on a fix question: the card comes back as it was."""


# ── Kits: copies the seller posts by hand ─────────────────────────────────────────────────────


@dataclass(frozen=True)
class SkipKit(ListingButton, tag="kskip"):
    """Not posting this copy after all: its kit stops waiting for a link."""

    marketplace: str


@dataclass(frozen=True)
class KitLater(ListingButton, tag="klater"):
    """Remind me later: the kit comes again in a while."""

    marketplace: str


@dataclass(frozen=True)
class ReminderDone(Button, tag="rdone"):
    """Done ✅ on a reminder: the seller did it (ended the copy, changed its price…)."""

    reminder: int


# ── Accounts ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ConnectMenu(Button, tag="cn"):
    """The /connect menu, in place of the message the button is on."""


@dataclass(frozen=True)
class Connect(AccountButton, tag="cn1"):
    """Connect (or reconnect) one marketplace: its consent link."""


@dataclass(frozen=True)
class AccountAction(AccountButton):
    """What /accounts' buttons do to a connection (bot/accounts/overview.py)."""


@dataclass(frozen=True)
class CheckAccount(AccountAction, tag="chk"):
    pass


@dataclass(frozen=True)
class Disconnect(AccountAction, tag="dis"):
    pass


@dataclass(frozen=True)
class ConfirmDisconnect(AccountAction, tag="dis!"):
    pass


@dataclass(frozen=True)
class KeepAccount(AccountAction, tag="keep"):
    pass


@dataclass(frozen=True)
class ChooseCatalog(Button, tag="catalog"):
    """The catalog to list into, for a marketplace that lists into catalogs."""

    marketplace: str
    catalog_id: str


def button(label: str, value: Button) -> InlineKeyboardButton:
    """An inline button carrying `value`."""
    return InlineKeyboardButton(label, callback_data=value)


B = TypeVar("B", bound=Button)


def pressed(update: Update, kind: type[B]) -> B:
    """The value of the button just pressed, as the type its handler was registered for."""
    data = update.callback_query.data if update.callback_query else None
    if not isinstance(data, kind):
        raise TypeError(f"expected a {kind.__name__} press, got {data!r}")
    return data
