"""Turning what a seller types on a phone into clean values for the /post conversation.

Every refusal is an `InputRejected` whose `message` is a sentence the seller can act on, with an
example of what works; the handlers send it as is (it holds nothing the seller typed, so it is
safe in HTML parse mode).

Decisions, so the handlers and the tests agree on them:

- Prices are US dollars only. A foreign currency sign, code or name ("€25", "25 EUR", "C$25",
  "25 pesos") is refused with its own sentence rather than read as dollars.
- A dot is the decimal point. A comma is a thousands separator, with two exceptions: a single
  comma followed by exactly two digits, with no other separator at all, is a decimal comma
  ("25,50" is $25.50, while "1,200" is $1,200); and when a comma comes after dots it is the
  European decimal comma ("1.200,50" is $1,200.50), because no US reading of that exists. Only
  dots ("1.200", "1.200.000") stay decimal points, so they are refused rather than guessed at.
- Thousands groups must be three digits ("12,34,56" is refused); a space may also group them.
- Any Unicode decimal digit counts, as its value ("٢٥" is 25): Arabic, Persian and Indian phone
  keyboards type these, and the value of a decimal digit is never ambiguous.
- Text keeps LRM, RLM and ALM: they are how right-to-left text places punctuation and digits,
  and they cannot reorder anything beyond their neighbours. The embeddings, overrides and
  isolates (U+202A–U+202E, U+2066–U+2069) are removed, because they can make a title display
  in a different order than it is stored.
- Zero-width characters are removed, except a ZWJ or ZWNJ that joins two visible characters:
  inside an emoji sequence (👩‍💻, 🏳️‍🌈) or between letters of a script that needs it (Persian
  "می‌خواهم"). Removing those would change what the seller sees.
"""

from __future__ import annotations

import math
import re
import unicodedata
from itertools import pairwise

__all__ = [
    "InputRejected",
    "PriceIsFree",
    "PriceToConfirm",
    "format_price",
    "normalize_text",
    "parse_package",
    "parse_postal_code",
    "parse_price",
]


class InputRejected(ValueError):
    """The seller's input can't be used; `message` tells them what to send instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PriceToConfirm(InputRejected):
    """A shorthand like "12k" read as a price the seller should confirm before it is kept:
    a slip of the k key costs a thousand times the price."""

    def __init__(self, cents: int) -> None:
        super().__init__(f"Did you mean {format_price(cents)}?")
        self.cents = cents


class PriceIsFree(InputRejected):
    """The seller wants to give the item away; which marketplaces take that depends on them,
    so the handler words the refusal."""

    def __init__(self) -> None:
        super().__init__(PRICE_ZERO)


# ── Prices ────────────────────────────────────────────────────────────────────────────────────

PRICE_EXAMPLE = "Send just the number, like 25 or 1,200.50."
PRICE_UNREADABLE = f"I couldn't read that as a price. {PRICE_EXAMPLE}"
PRICE_EMPTY = f"I didn't get a price. {PRICE_EXAMPLE}"
PRICE_ZERO = "The price must be more than $0 — send what you're asking, like 25."
PRICE_NEGATIVE = "A price can't be negative — send what you're asking, like 25."
PRICE_DECIMALS = (
    "A price goes to the cent: at most two digits after the point, like 25.99 "
    "(and a comma for thousands, like 1,200)."
)
PRICE_CURRENCY = "Prices are in US dollars for now. Send the amount in dollars, like 25."
PRICE_SEVERAL = "I see more than one number there. Send just one price, like 25."

# What may stand around the number: a dollar sign or USD before it, a dollar word after it.
_PRICE_PREFIX = re.compile(r"(?:\$|usd|us\$|usd\$)?")
_PRICE_SUFFIX = re.compile(r"(?:\$|usd|dollars?|usdollars?|bucks)?\.?")
# Digits with separators between them; a lone ".50" counts too.
_NUMBER = re.compile(r"[0-9]+(?:[., ][0-9]+)*|\.[0-9]+")
_WORD = re.compile(r"[^\W\d_]+")
# Thousands written the way people say them: "12k", "$1.5K", "12 k".
_THOUSANDS = re.compile(r"^(?P<number>.*?[0-9])\s?k\b(?P<rest>.*)$")
_FREE_WORDS = frozenset({"free", "for free", "freebie", "giveaway", "give away", "nothing",
                         "free to a good home", "0", "$0", "0$", "0.00", "$0.00"})
# A dollar sign with a country letter in front: C$, CA$, A$, AU$, NZ$, HK$, S$, MX$, R$, NT$.
_FOREIGN_DOLLAR = re.compile(r"(?<![^\W\d_])(?:c|ca|can|a|au|nz|hk|s|sg|mx|r|nt)\$")
# fmt: off
_FOREIGN_WORDS = frozenset(
    {
        "eur", "euro", "euros", "gbp", "pound", "pounds", "quid", "sterling", "cad", "aud", "nzd",
        "hkd", "sgd", "twd", "mxn", "peso", "pesos", "canadian", "australian", "mexican", "jpy",
        "yen", "cny", "rmb", "yuan", "inr", "rupee", "rupees", "rub", "ruble", "rubles", "rouble",
        "roubles", "chf", "franc", "francs", "sek", "nok", "dkk", "krona", "krone", "kronor",
        "kroner", "pln", "zloty", "brl", "reais", "try", "lira", "uah", "hryvnia", "php", "ngn",
        "naira", "zar", "rand", "ils", "shekel", "shekels", "aed", "dirham", "dirhams", "sar",
        "riyal", "riyals", "egp", "krw", "kzt", "tenge", "vnd", "dong", "thb", "baht", "idr",
        "rupiah", "myr", "ringgit", "btc", "bitcoin", "eth", "ether", "usdt", "usdc",
    }
)
# fmt: on
# Characters a phone may send that mean something plain.
_PRICE_CHARS = {
    "\uff04": "$",  # fullwidth dollar sign
    "\ufe69": "$",  # small dollar sign
    "\U0001f4b2": "$",  # heavy dollar sign emoji
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": ",",  # Arabic thousands separator
    "\uff0e": ".",  # fullwidth full stop
    "\uff0c": ",",  # fullwidth comma
    "\u2212": "-",  # minus sign
}


def _plain_price_text(text: str) -> str:
    """ASCII digits, plain separators, one space between words, lower case; invisibles gone."""
    out: list[str] = []
    for char in text:
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            out.append(str(digit))
        elif char in _PRICE_CHARS:
            out.append(_PRICE_CHARS[char])
        elif char.isspace():
            out.append(" ")
        else:
            category = unicodedata.category(char)
            if category == "Pd":
                out.append("-")
            elif category not in ("Cf", "Cc", "Cs"):
                out.append(char)
    return " ".join("".join(out).lower().split())


def _names_foreign_currency(text: str) -> bool:
    """Whether the seller wrote a price in some other currency than US dollars."""
    if any(unicodedata.category(c) == "Sc" and c not in "$¢" for c in text):
        return True
    if _FOREIGN_DOLLAR.search(text):
        return True
    return any(word in _FOREIGN_WORDS for word in _WORD.findall(text))


def _split_amount(number: str) -> tuple[str, str]:
    """Whole dollars and the cents digits (0–2 of them) of one number, by the rules above."""
    if number.startswith("."):
        number = "0" + number
    dots, commas = number.count("."), number.count(",")
    mark: str | None = None
    if dots and commas:
        mark = "." if number.rfind(".") > number.rfind(",") else ","
        if number.count(mark) != 1:
            raise InputRejected(PRICE_UNREADABLE)
    elif dots:
        if dots > 1:
            raise InputRejected(PRICE_UNREADABLE)
        mark = "."
    elif commas == 1 and re.fullmatch(r"[0-9]+,[0-9]{2}", number):
        mark = ","
    whole, fraction = number.rsplit(mark, 1) if mark else (number, "")
    if " " in fraction:  # "25.50 30"
        raise InputRejected(PRICE_SEVERAL)
    if not fraction.isdigit() and fraction:
        raise InputRejected(PRICE_UNREADABLE)
    if len(fraction) > 2:
        raise InputRejected(PRICE_DECIMALS)
    separators = set(whole) - set("0123456789")
    if len(separators) > 1:
        raise InputRejected(PRICE_UNREADABLE)
    if separators:
        separator = separators.pop()
        groups = whole.split(separator)
        if not (1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])):
            # "25 30" is two numbers; "12,34,56" is no number at all.
            raise InputRejected(PRICE_SEVERAL if separator == " " else PRICE_UNREADABLE)
        whole = "".join(groups)
    return whole, fraction


def parse_price(
    text: str, *, min_cents: int = 1, max_cents: int = 100_000_000,
    min_reason: str | None = None, max_reason: str | None = None,
) -> int:
    """The price the seller typed, in integer cents, so money is never a float anywhere.
    `min_reason` and `max_reason` name the marketplace whose limit each bound is."""
    if not 0 <= min_cents <= max_cents:
        raise ValueError(f"bad price range {min_cents}..{max_cents}")
    plain = _plain_price_text(text)
    if not plain:
        raise InputRejected(PRICE_EMPTY)
    if min_cents > 0 and plain.rstrip("!.") in _FREE_WORDS:
        raise PriceIsFree()
    thousands = _THOUSANDS.match(plain)
    if thousands:
        whole = parse_price(thousands["number"] + thousands["rest"], min_cents=0,
                            max_cents=max_cents, max_reason=max_reason)
        cents = whole * 1000
        if cents > max_cents or cents < min_cents:
            parse_price(f"{cents / 100:.2f}", min_cents=min_cents, max_cents=max_cents,
                        min_reason=min_reason, max_reason=max_reason)
        raise PriceToConfirm(cents)
    if _names_foreign_currency(plain):
        raise InputRejected(PRICE_CURRENCY)
    numbers = list(_NUMBER.finditer(plain))
    if not numbers:
        raise InputRejected(PRICE_UNREADABLE)
    if len(numbers) > 1:
        gaps = [plain[a.end() : b.start()] for a, b in pairwise(numbers)]
        # "1e9" and "0x1f" are notation, not a choice of prices.
        if any(" " not in gap and _WORD.search(gap) for gap in gaps):
            raise InputRejected(PRICE_UNREADABLE)
        raise InputRejected(PRICE_SEVERAL)
    number = numbers[0]
    prefix = plain[: number.start()].replace(" ", "")
    suffix = plain[number.end() :].replace(" ", "")
    negative = "-" in prefix
    if negative:
        prefix = prefix.replace("-", "", 1)
    if not (_PRICE_PREFIX.fullmatch(prefix) and _PRICE_SUFFIX.fullmatch(suffix)):
        raise InputRejected(PRICE_UNREADABLE)
    whole, fraction = _split_amount(number.group())
    if negative:
        raise InputRejected(PRICE_NEGATIVE)
    whose_max = f" ({max_reason}'s limit)" if max_reason else ""
    too_high = (
        f"That's more than {format_price(max_cents)}{whose_max} — check for an extra digit and "
        "send the price again."
    )
    # Far more digits than the maximum has: refuse before int() meets a huge string.
    if len(whole.lstrip("0")) > len(str(max_cents)):
        raise InputRejected(too_high)
    cents = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if cents == 0 and min_cents > 0:
        raise InputRejected(PRICE_ZERO)
    if cents < min_cents:
        whose_min = f" ({min_reason}'s)" if min_reason else ""
        raise InputRejected(
            f"The lowest price I can list is {format_price(min_cents)}{whose_min} — send at "
            "least that."
        )
    if cents > max_cents:
        raise InputRejected(too_high)
    return cents


def format_price(cents: int, currency: str = "USD") -> str:
    """A price the way a seller reads it: "$1,200.50", and "$25" when there are no cents."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    amount = f"{dollars:,}" + (f".{rest:02d}" if rest else "")
    if currency == "USD":
        return f"{sign}${amount}"
    return f"{sign}{amount} {currency}"


# ── Titles and descriptions ───────────────────────────────────────────────────────────────────

ZWJ = "\u200d"
ZWNJ = "\u200c"
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
BIDI_EMBEDDINGS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BIDI_MARKS = frozenset("\u200e\u200f\u061c")  # LRM, RLM, ALM: kept
_EMOJI_TAGS = range(0xE0020, 0xE0080)  # the tags of subdivision flags such as 🏴󠁧󠁢󠁳󠁣󠁴󠁿
_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_SPACES = re.compile(" {2,}")
_BLANK_LINES = re.compile("\n{3,}")
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Mn", "Me"})
# Letters by category that render as nothing: Hangul fillers and the blank Braille pattern.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _is_joinable(char: str) -> bool:
    """Whether a ZWJ/ZWNJ next to `char` may be doing real work (emoji or script shaping)."""
    category = unicodedata.category(char)
    if category in ("So", "Sk") or char == "\ufe0f":
        return True
    return category[0] in "LM" and ord(char) >= 0x0590


def _keeps_joiner(text: str, index: int) -> bool:
    return (
        0 < index < len(text) - 1
        and _is_joinable(text[index - 1])
        and _is_joinable(text[index + 1])
    )


def _keeps_tag(text: str, index: int) -> bool:
    """Tag characters survive only as the tail of a flag emoji: 🏴 then the tags."""
    while index > 0 and ord(text[index - 1]) in _EMOJI_TAGS:
        index -= 1
    return index > 0 and unicodedata.category(text[index - 1]) == "So"


def _clean_characters(text: str, multiline: bool) -> str:
    text = _LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", text))
    out: list[str] = []
    for index, char in enumerate(text):
        if char == "\n":
            out.append("\n" if multiline else " ")
        elif char in (ZWJ, ZWNJ):
            if _keeps_joiner(text, index):
                out.append(char)
        elif char in BIDI_MARKS:
            out.append(char)
        elif char.isspace():  # tab, no-break and other spaces, \v, \f
            out.append(" ")
        elif ord(char) in _EMOJI_TAGS:
            if _keeps_tag(text, index):
                out.append(char)
        elif unicodedata.category(char) not in ("Cc", "Cf", "Cs"):
            out.append(char)
    # Removing a character can put a base next to a combining mark: compose again.
    return unicodedata.normalize("NFC", "".join(out))


def _tidy_spacing(text: str, multiline: bool) -> str:
    text = _SPACES.sub(" ", text)
    if not multiline:
        return text.strip(" ")
    lines = (line.strip(" ") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def _empty_message(field: str) -> str:
    if field == "title":
        return (
            "The title can't be empty — send a few words that name the item, "
            "like “Brass table lamp”."
        )
    if field == "description":
        return (
            "The description can't be empty — send a sentence or two about the item, "
            "like its size and condition."
        )
    return f"The {field} can't be empty — send it again with some words in it."


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def normalize_text(
    text: str,
    *,
    max_length: int,
    multiline: bool,
    limit_reason: str | None = None,
    field: str | None = None,
) -> str:
    """A title or description as it should be stored: visible, one clean line (or tidy
    paragraphs), within the marketplace's limit, and displayed in the order it was typed."""
    if max_length < 1:
        raise ValueError(f"max_length must be positive, not {max_length}")
    field = field or ("description" if multiline else "title")
    cleaned = _tidy_spacing(_clean_characters(text, multiline), multiline)
    if all(
        char in BIDI_MARKS or char in BLANK_LETTERS
        or unicodedata.category(char) in _INVISIBLE_CATEGORIES
        for char in cleaned
    ):
        raise InputRejected(_empty_message(field))
    length = len(cleaned)
    if length > max_length:
        whose = f" ({_possessive(limit_reason)})" if limit_reason else ""
        raise InputRejected(
            f"That {field} is {length} characters; the limit is {max_length}{whose}. "
            "Shorten it and send it again."
        )
    return cleaned


# ── Postal codes ──────────────────────────────────────────────────────────────────────────────

POSTAL_CODE_REFUSED = (
    "Send a 5-digit US ZIP code like 98402, or share your location with the button."
)
_ZIP = re.compile(r"(?:zip(?:code)?|postalcode)?[:#]?([0-9]{5})(?:-?[0-9]{4})?")


def parse_postal_code(text: str) -> str:
    """The 5-digit ZIP a listing's location needs; ZIP+4 is accepted and shortened to it."""
    plain = _plain_price_text(text).replace(" ", "")
    match = _ZIP.fullmatch(plain)
    if match is None or match.group(1) == "00000":
        raise InputRejected(POSTAL_CODE_REFUSED)
    return match.group(1)


# ── Parcels ───────────────────────────────────────────────────────────────────────────────────

PACKAGE_REFUSED = (
    "Send the packed weight and the box size in inches, like “3 lb 12x10x6” or "
    "“40 oz 10 x 8 x 4”, or tap one of the sizes."
)
_WEIGHT = re.compile(r"(\d+(?:\.\d+)?)\s*(lbs?|pounds?|oz|ounces?)\b")
_DIMENSIONS = re.compile(r"(\d+(?:\.\d+)?)\s*[x×*]\s*(\d+(?:\.\d+)?)\s*[x×*]\s*(\d+(?:\.\d+)?)")
MAX_PACKAGE_OUNCES = 150 * 16  # what eBay's calculated shipping carriers take
MAX_PACKAGE_INCHES = 108


def parse_package(text: str) -> tuple[int, int, int, int]:
    """(weight in ounces, length, width, height in whole inches, rounded up) from what the
    seller typed; the longest side is the length."""
    plain = _plain_price_text(text)
    weight, dimensions = _WEIGHT.search(plain), _DIMENSIONS.search(plain)
    if weight is None or dimensions is None:
        raise InputRejected(PACKAGE_REFUSED)
    amount = float(weight.group(1))
    ounces = math.ceil(amount * (16 if weight.group(2).startswith(("lb", "pound")) else 1))
    sides = sorted((math.ceil(float(side)) for side in dimensions.groups()), reverse=True)
    if not 0 < ounces <= MAX_PACKAGE_OUNCES or not all(0 < s <= MAX_PACKAGE_INCHES for s in sides):
        raise InputRejected(
            "That parcel is outside what carriers take (up to 150 lb and 108 inches a side). "
            + PACKAGE_REFUSED
        )
    length, width, height = sides
    return ounces, length, width, height
