"""What a seller types on a phone, and what the /post conversation makes of it."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import (
    BIDI_EMBEDDINGS,
    InputRejected,
    PriceIsFree,
    PriceToConfirm,
    format_price,
    normalize_text,
    parse_package,
    parse_postal_code,
    parse_price,
)
from bot.skus import make_sku

PROPERTIES = settings(max_examples=300, deadline=None)
MAX_CENTS = 100_000_000

# ── Prices ────────────────────────────────────────────────────────────────────────────────────

ACCEPTED_PRICES = [
    ("25", 2500),
    ("$25", 2500),
    ("25.50", 2550),
    ("25.5", 2550),
    ("25,50", 2550),  # a lone comma with two digits after it is a decimal comma
    ("0,50", 50),
    ("1,200", 120000),  # ...but with three digits it groups thousands
    ("1 200", 120000),
    ("1 200.50", 120050),
    ("$1,200", 120000),
    ("$1,200.50", 120050),
    ("12,345.67", 1234567),
    ("1.200,50", 120050),  # European: a comma after the dots is the decimal mark
    ("25 usd", 2500),
    ("25 USD", 2500),
    ("USD 25", 2500),
    ("US$25", 2500),
    ("$25 USD", 2500),
    ("25$", 2500),
    ("$ 25", 2500),
    (" 25 ", 2500),
    ("25.00 dollars", 2500),
    ("25 bucks", 2500),
    ("25.", 2500),
    ("$.50", 50),
    ("0.01", 1),
    ("1000000", 100_000_000),
    ("٢٥", 2500),  # Arabic-Indic digits
    ("۲۵", 2500),  # Persian digits
    ("२५", 2500),  # Devanagari digits
    ("２５", 2500),  # fullwidth digits
    ("١٬٢٠٠٫٥٠", 120050),  # Arabic thousands and decimal separators
    ("\u200f25\u200f", 2500),  # RLM around the number from an RTL keyboard
    ("25\u00a0usd", 2500),  # no-break space
    ("1\u202f200", 120000),  # narrow no-break space grouping thousands
    ("＄25", 2500),
]

PRICE_EXAMPLE = "Send just the number, like 25 or 1,200.50."
ZERO = "The price must be more than $0"
NEGATIVE = "can't be negative"
TOO_HIGH = "That's more than $1,000,000 —"
DECIMALS = "at most two digits after the point"
DOLLARS_ONLY = "Prices are in US dollars for now."
SEVERAL = "more than one number"

REFUSED_PRICES = [
    ("", "I didn't get a price. " + PRICE_EXAMPLE),
    ("   ", "I didn't get a price."),
    ("\u200b", "I didn't get a price."),
    ("0", ZERO),
    ("$0.00", ZERO),
    ("0,00", ZERO),
    ("-5", NEGATIVE),
    ("−5", NEGATIVE),  # U+2212 minus sign
    ("-$5", NEGATIVE),
    ("$-5", NEGATIVE),
    ("1000000.01", TOO_HIGH),
    ("2,000,000", TOO_HIGH),
    ("9" * 5000, TOO_HIGH),
    ("abc", "I couldn't read that as a price. " + PRICE_EXAMPLE),
    ("twenty", PRICE_EXAMPLE),
    ("1e9", PRICE_EXAMPLE),
    ("NaN", PRICE_EXAMPLE),
    ("inf", PRICE_EXAMPLE),
    ("-inf", PRICE_EXAMPLE),
    ("12,34,56", PRICE_EXAMPLE),
    ("1.2.3", PRICE_EXAMPLE),
    ("1.200.000", PRICE_EXAMPLE),  # only dots: they are decimal points, and two is one too many
    ("25,5", PRICE_EXAMPLE),  # one digit after a lone comma: neither cents nor thousands
    ("1 200,50", PRICE_EXAMPLE),  # a decimal comma only when it is the only separator
    ("+25", PRICE_EXAMPLE),
    ("25kg", PRICE_EXAMPLE),
    ("25²", PRICE_EXAMPLE),
    ("25.999", DECIMALS),
    ("1.200", DECIMALS),  # ambiguous: refused rather than guessed, with the comma hint
    ("1.200,505", DECIMALS),
    ("25 EUR", DOLLARS_ONLY),
    ("€25", DOLLARS_ONLY),
    ("£25", DOLLARS_ONLY),
    ("¥2500", DOLLARS_ONLY),
    ("25 euros", DOLLARS_ONLY),
    ("C$25", DOLLARS_ONLY),
    ("AU$ 25", DOLLARS_ONLY),
    ("25 CAD", DOLLARS_ONLY),
    ("25 canadian dollars", DOLLARS_ONLY),
    ("500 pesos", DOLLARS_ONLY),
    ("25 or 30", SEVERAL),
    ("25-30", SEVERAL),
    ("25 30", SEVERAL),
    ("$25, $30", SEVERAL),
    ("25.50 30", SEVERAL),
]


@pytest.mark.parametrize(("text", "cents"), ACCEPTED_PRICES)
def test_prices_a_seller_types_are_read_in_cents(text: str, cents: int) -> None:
    assert parse_price(text) == cents


@pytest.mark.parametrize(("text", "fragment"), REFUSED_PRICES)
def test_unusable_prices_are_refused_with_a_sentence(text: str, fragment: str) -> None:
    with pytest.raises(InputRejected) as caught:
        parse_price(text)
    assert fragment in caught.value.message
    assert caught.value.message.endswith(".")
    assert str(caught.value) == caught.value.message


def test_every_refusal_shows_the_seller_what_works() -> None:
    for text, _ in REFUSED_PRICES:
        with pytest.raises(InputRejected) as caught:
            parse_price(text)
        assert re.search(r"like [0-9$]", caught.value.message) or "again" in caught.value.message


def test_input_rejected_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="couldn't read"):
        parse_price("abc")


@pytest.mark.parametrize(("text", "cents"), [
    ("12k", 1_200_000), ("12K", 1_200_000), ("$1.5k", 150_000), ("12 k", 1_200_000),
    ("2k dollars", 200_000),
])
def test_thousands_shorthand_is_read_but_must_be_confirmed(text: str, cents: int) -> None:
    with pytest.raises(PriceToConfirm) as caught:
        parse_price(text)
    assert caught.value.cents == cents
    assert caught.value.message == f"Did you mean {format_price(cents)}?"


def test_a_shorthand_past_the_range_is_refused_like_the_number() -> None:
    with pytest.raises(InputRejected, match=r"more than \$500 —") as caught:
        parse_price("1k", max_cents=50_000)
    assert not isinstance(caught.value, PriceToConfirm)


@pytest.mark.parametrize("text", ["free", "Free!", "FOR FREE", "giveaway", "0", "$0"])
def test_free_is_its_own_refusal(text: str) -> None:
    with pytest.raises(PriceIsFree):
        parse_price(text)


def test_the_range_is_the_callers() -> None:
    assert parse_price("0", min_cents=0) == 0
    assert parse_price("500", max_cents=50_000) == 50_000
    with pytest.raises(InputRejected, match=r"more than \$500 —"):
        parse_price("500.01", max_cents=50_000)
    with pytest.raises(InputRejected, match=r"lowest price I can list is \$1 —"):
        parse_price("0.99", min_cents=100)
    with pytest.raises(ValueError, match="bad price range"):
        parse_price("25", min_cents=10, max_cents=5)


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (1, "$0.01"),
        (2500, "$25"),
        (2550, "$25.50"),
        (120000, "$1,200"),
        (120050, "$1,200.50"),
        (100_000_000, "$1,000,000"),
        (-500, "-$5"),
    ],
)
def test_format_price(cents: int, shown: str) -> None:
    assert format_price(cents) == shown


def test_format_price_names_another_currency() -> None:
    assert format_price(120050, "EUR") == "1,200.50 EUR"


@PROPERTIES
@given(st.integers(min_value=1, max_value=MAX_CENTS))
def test_a_formatted_price_reads_back_the_same(cents: int) -> None:
    shown = format_price(cents)
    bare = shown.removeprefix("$")
    for variant in (
        shown,
        bare,
        f"{shown} usd",
        f"{bare} USD",
        f"USD {bare}",
        f"{bare}$",
        bare.replace(",", ""),
        bare.replace(",", " "),
        shown.replace(",", "\u00a0"),
    ):
        assert parse_price(variant) == cents, variant


PRICE_PIECES = st.sampled_from([*"0123456789.,$- e€٢٥\u200b\u00a0", "usd", "USD", "EUR", "or"])
PRICE_LIKE = st.lists(PRICE_PIECES, max_size=12).map("".join)


@PROPERTIES
@given(
    st.one_of(st.text(), PRICE_LIKE),
    st.integers(min_value=0, max_value=MAX_CENTS),
    st.integers(min_value=0, max_value=MAX_CENTS),
)
def test_any_text_is_a_price_in_range_or_a_sentence(text: str, low: int, high: int) -> None:
    low, high = min(low, high), max(low, high)
    try:
        cents = parse_price(text, min_cents=low, max_cents=high)
    except InputRejected as refusal:
        assert refusal.message.endswith(".")
    else:
        assert low <= cents <= high


# ── Titles and descriptions ───────────────────────────────────────────────────────────────────


def title(text: str, max_length: int = 80, **kwargs: str) -> str:
    return normalize_text(text, max_length=max_length, multiline=False, **kwargs)


def description(text: str, max_length: int = 4000) -> str:
    return normalize_text(text, max_length=max_length, multiline=True)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Brass   table lamp  ", "Brass table lamp"),
        ("Brass\ttable\tlamp", "Brass table lamp"),
        ("Brass\ntable\r\nlamp", "Brass table lamp"),
        ("Cafe\u0301 chair", "Café chair"),  # NFC
        ("Brass\u200b lamp\ufeff\u2060", "Brass lamp"),
        ("Lamp \u202eevil\u202c \u2066iso\u2069", "Lamp evil iso"),
        ("Lamp\x00\x07\x1b[31m", "Lamp[31m"),
        ("Lamp\u00a0\u2003lit", "Lamp lit"),
        ("Vintage lamp 🪔✨", "Vintage lamp 🪔✨"),
        ("Coder 👩🏽\u200d💻 mug", "Coder 👩🏽\u200d💻 mug"),  # ZWJ inside an emoji sequence kept
        ("🏳️\u200d🌈 flag", "🏳️\u200d🌈 flag"),
        (
            "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
            "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        ),
        ("x\U000e0067y", "xy"),  # a stray tag character is invisible: gone
        ("a\u200cb \u200d", "ab"),  # no joining to do in Latin or at an edge
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian ZWNJ kept
        ("מנורה\u200f 2", "מנורה\u200f 2"),  # RLM kept
        ("\u200eLamp", "\u200eLamp"),  # LRM kept
        ("مصباح نحاسي", "مصباح نحاسي"),
    ],
)
def test_titles_are_cleaned(typed: str, stored: str) -> None:
    assert title(typed) == stored


def test_descriptions_keep_their_paragraphs() -> None:
    typed = "  Works great.  \r\n\r\n\r\n\r\nSmall dent\ton the base.\u2028Pickup only. \n"
    assert description(typed) == "Works great.\n\nSmall dent on the base.\nPickup only."


def test_length_is_counted_after_cleaning_in_code_points() -> None:
    assert title("x" * 80 + "\u200b" * 10 + "   ") == "x" * 80
    assert title("🙂" * 80) == "🙂" * 80
    with pytest.raises(InputRejected) as caught:
        title("x" * 95, limit_reason="eBay")
    assert caught.value.message == (
        "That title is 95 characters; the limit is 80 (eBay's). Shorten it and send it again."
    )


def test_a_limit_without_a_reason_is_still_named() -> None:
    with pytest.raises(InputRejected) as caught:
        description("y" * 5001)
    assert caught.value.message.startswith(
        "That description is 5001 characters; the limit is 4000."
    )


@pytest.mark.parametrize(
    "typed", ["", "   ", "\n\n", "\u200b\u200d\ufeff", "\u202e\u202c", "\u200f"]
)
def test_nothing_visible_is_refused(typed: str) -> None:
    with pytest.raises(InputRejected, match="The title can't be empty —"):
        title(typed)
    with pytest.raises(InputRejected, match="The description can't be empty —"):
        description(typed)


def test_the_field_can_be_named() -> None:
    with pytest.raises(InputRejected, match="The category can't be empty"):
        normalize_text(" ", max_length=10, multiline=False, field="category")


FORBIDDEN = frozenset("\u200b\u2060\ufeff") | BIDI_EMBEDDINGS
TEXT_ALPHABET = st.one_of(
    st.characters(),
    st.sampled_from(
        list(FORBIDDEN)
        + list("\u200c\u200d\u200e\u200f\u061c\ufe0f\u0301\n\r\t \u00a0\u2028\x00\x85")
        + list("aé🙂👩💻🏳🌈🏴\U000e0067\U000e007fمیخשלוםक्ष")
    ),
)


def visible(char: str) -> bool:
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf")


@PROPERTIES
@given(st.text(TEXT_ALPHABET, max_size=60), st.integers(min_value=1, max_value=60), st.booleans())
def test_normalized_text_is_clean_and_stable(text: str, max_length: int, multiline: bool) -> None:
    try:
        cleaned = normalize_text(text, max_length=max_length, multiline=multiline)
    except InputRejected as refusal:
        assert refusal.message.endswith(".")
        return
    assert normalize_text(cleaned, max_length=max_length, multiline=multiline) == cleaned
    assert len(cleaned) <= max_length
    assert not FORBIDDEN & set(cleaned)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert cleaned == cleaned.strip(" \n")
    assert "  " not in cleaned
    if not multiline:
        assert "\n" not in cleaned
    for index, char in enumerate(cleaned):
        if char in "\u200c\u200d":  # a joiner only ever sits between two visible characters
            assert 0 < index < len(cleaned) - 1
            assert visible(cleaned[index - 1]) and visible(cleaned[index + 1])
        else:
            assert unicodedata.category(char) != "Cc" or char == "\n"


# ── SKUs ──────────────────────────────────────────────────────────────────────────────────────

SKU = re.compile(r"^[A-Za-z0-9-]{1,50}$")
EBAY_SKU = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
NOW = datetime(2025, 3, 14, 23, 30, tzinfo=UTC)


def test_sku_reads_as_the_item() -> None:
    sku = make_sku("Brass table lamp with shade", now=NOW)
    assert re.fullmatch(r"DS-BRASS-TABLE-LAMP-250314-[A-Z2-7]{8}", sku), sku


@pytest.mark.parametrize("typed", ["🙂🪔✨", "", "\u200b\u202e", "مصباح نحاسي", "   "])
def test_a_title_without_latin_letters_still_gets_a_sku(typed: str) -> None:
    assert re.fullmatch(r"DS-ITEM-250314-[A-Z2-7]{8}", make_sku(typed, now=NOW))


def test_sku_folds_accents_and_drops_invisibles() -> None:
    sku = make_sku("Café\u200b chair — über_cool", now=NOW)
    assert sku.startswith("DS-CAFE-CHAIR-UBER-")


def test_sku_date_is_utc() -> None:
    evening_in_seattle = datetime(2025, 3, 14, 20, 0, tzinfo=timezone(timedelta(hours=-7)))
    assert "-250315-" in make_sku("Lamp", now=evening_in_seattle)
    assert "-250314-" in make_sku("Lamp", now=datetime(2025, 3, 14, 20, 0))


@PROPERTIES
@given(st.text())
def test_sku_is_always_identifier_safe_and_unique(typed: str) -> None:
    first, second = make_sku(typed), make_sku(typed)
    assert SKU.match(first) and EBAY_SKU.match(first)
    assert first.isascii()
    assert "--" not in first and not first.endswith("-")
    assert first != second


# ── Postal codes ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "typed",
    [
        "98402",
        " 98402 ",
        "98402-1234",
        "98402 - 1234",
        "984021234",
        "9 8 4 0 2",
        "ZIP 98402",
        "٩٨٤٠٢",
        "98402\u20131234",
    ],
)
def test_zip_codes_are_read_as_five_digits(typed: str) -> None:
    assert parse_postal_code(typed) == "98402"


@pytest.mark.parametrize(
    "typed", ["", "9840", "984021", "98402-12", "00000", "abcde", "SW1A 1AA", "98402 98403"]
)
def test_other_postal_codes_are_refused(typed: str) -> None:
    with pytest.raises(InputRejected) as caught:
        parse_postal_code(typed)
    assert caught.value.message == (
        "Send a 5-digit US ZIP code like 98402, or share your location with the button."
    )


@PROPERTIES
@given(st.text())
def test_any_text_is_a_zip_or_a_sentence(typed: str) -> None:
    try:
        code = parse_postal_code(typed)
    except InputRejected:
        return
    assert re.fullmatch(r"[0-9]{5}", code)


# ── Parcels ───────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("3 lb 12x10x6", (48, 12, 10, 6)),
        ("40 oz, 10 x 8 x 4 in", (40, 10, 8, 4)),
        ("2.5 lbs 6×14.2×9", (40, 15, 9, 6)),  # rounded up, the longest side first
        ("box 12*12*12, 1 pound", (16, 12, 12, 12)),
    ],
)
def test_a_parcel_is_read_as_ounces_and_whole_inches(
    typed: str, expected: tuple[int, int, int, int]
) -> None:
    assert parse_package(typed) == expected


@pytest.mark.parametrize("typed", ["heavy box", "3 lb", "12x10x6", "0 lb 12x10x6",
                                   "200 lb 12x10x6", "3 lb 12x10x200"])
def test_a_parcel_without_weight_and_box_or_beyond_carriers_is_refused(typed: str) -> None:
    with pytest.raises(InputRejected, match="like “3 lb 12x10x6”"):
        parse_package(typed)
