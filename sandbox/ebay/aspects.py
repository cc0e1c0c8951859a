"""Item specifics (eBay's "aspects") per leaf category: what getItemAspectsForCategory answers
and what publishOffer demands of `product.aspects`.

Why here: eBay refuses to publish a listing that lacks a required item specific (error 25002,
"The item specific Brand is missing. Add Brand to this listing, enter a valid value, and then
try again."), and the bot must learn the rules from the Taxonomy API as a real seller app does.

Shapes follow the Taxonomy API reference (getItemAspectsForCategory, types Aspect,
AspectConstraint, AspectValue; developer.ebay.com/api-docs/commerce/taxonomy): aspectMode
FREE_TEXT | SELECTION_ONLY, itemToAspectCardinality SINGLE | MULTI (MULTI takes up to 30 values),
aspectUsage RECOMMENDED | OPTIONAL (a required aspect also says RECOMMENDED, with aspectRequired
true), aspectDataType STRING | NUMBER | DATE | STRING_ARRAY. Each category's list names its
source; values are the common ones, not eBay's full lists (a FREE_TEXT aspect takes any text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.ebay.errors import problem

MULTI_MAX_VALUES = 30  # AspectConstraint.itemToAspectCardinality: "Up to 30 values"
ASPECT_NAME_MAX = 40  # Product.aspects (Inventory API): "Max Length for Aspect Name: 40"
ASPECT_VALUE_MAX = 50  # Product.aspects: "Max Length for Aspect Value: 50"


@dataclass(frozen=True)
class Aspect:
    name: str
    mode: str = "FREE_TEXT"  # or SELECTION_ONLY
    cardinality: str = "SINGLE"  # or MULTI
    required: bool = False
    usage: str = "RECOMMENDED"  # or OPTIONAL; required aspects say RECOMMENDED too
    values: tuple[str, ...] = ()
    data_type: str = "STRING"
    applicable_to: str = "PRODUCT"  # PRODUCT or ITEM (an instance aspect)

    def json(self) -> dict[str, Any]:
        constraint: dict[str, Any] = {
            "aspectDataType": self.data_type,
            "itemToAspectCardinality": self.cardinality,
            "aspectMode": self.mode,
            "aspectRequired": self.required,
            "aspectUsage": self.usage,
            "aspectEnabledForVariations": self.cardinality == "SINGLE",
            "aspectApplicableTo": [self.applicable_to],
        }
        if self.data_type == "NUMBER":
            constraint["aspectFormat"] = "int32"
        if self.applicable_to == "ITEM":
            constraint["aspectMaxLength"] = ASPECT_VALUE_MAX
        body: dict[str, Any] = {"localizedAspectName": self.name, "aspectConstraint": constraint}
        if self.values:
            body["aspectValues"] = [{"localizedValue": value} for value in self.values]
        return body


def _required(name: str, mode: str, values: tuple[str, ...], **kw: Any) -> Aspect:
    return Aspect(name, mode, required=True, values=values, **kw)


SHOE_SIZES = tuple(str(size / 2).removesuffix(".0") for size in range(12, 31))  # 6 … 15
COLORS = ("Black", "White", "Gray", "Blue", "Red", "Green", "Brown", "Beige", "Multicolor")

# Men's Athletic Shoes (15709). Source: the category's item specifics on eBay US's listing
# form and getItemAspectsForCategory as reported by integrations (Brand, US Shoe Size and
# Department required); values as eBay offers them.
ATHLETIC_SHOES = (
    _required("Brand", "FREE_TEXT", ("Nike", "adidas", "New Balance", "ASICS", "PUMA", "Reebok",
                                     "Jordan", "Converse", "Vans", "Brooks", "HOKA", "Saucony")),
    _required("US Shoe Size", "SELECTION_ONLY", SHOE_SIZES),
    _required("Department", "SELECTION_ONLY", ("Men", "Unisex Adults")),
    Aspect("Type", "SELECTION_ONLY", values=("Athletic",)),
    Aspect("Style", values=("Sneaker", "Running Shoe", "Basketball Shoe", "Trainer",
                            "Skate Shoe", "Walking Shoe")),
    Aspect("Color", values=COLORS),
    Aspect("Model", values=("Air Max 90", "Air Force 1", "Ultraboost", "990v5",
                            "Gel-Kayano 29", "Chuck Taylor All Star")),
    Aspect("Upper Material", values=("Leather", "Mesh", "Canvas", "Synthetic", "Suede")),
    Aspect("Features", cardinality="MULTI", usage="OPTIONAL",
           values=("Breathable", "Cushioned", "Lightweight", "Waterproof", "Lace Up")),
    Aspect("Shoe Width", "SELECTION_ONLY", usage="OPTIONAL",
           values=("Narrow", "Standard", "Wide", "Extra Wide")),
)

# Cell Phones & Smartphones (9355). Source: eBay US's listing form for the category, where
# Brand and Model are picked from eBay's lists (SELECTION_ONLY); getItemAspectsForCategory.
CELL_PHONES = (
    _required("Brand", "SELECTION_ONLY", ("Apple", "Samsung", "Google", "Motorola", "OnePlus",
                                          "Nokia", "Sony", "Xiaomi")),
    _required("Model", "SELECTION_ONLY", (
        "Apple iPhone 15 Pro", "Apple iPhone 14", "Apple iPhone 13", "Apple iPhone 12",
        "Apple iPhone SE (3rd Generation)", "Samsung Galaxy S23", "Samsung Galaxy S22",
        "Samsung Galaxy A54 5G", "Google Pixel 8", "Google Pixel 7a")),
    Aspect("Storage Capacity", "SELECTION_ONLY",
           values=("32 GB", "64 GB", "128 GB", "256 GB", "512 GB", "1 TB")),
    Aspect("Network", "SELECTION_ONLY",
           values=("Unlocked", "AT&T", "Verizon", "T-Mobile", "Cricket Wireless")),
    Aspect("Color", values=COLORS),
    Aspect("Connectivity", "SELECTION_ONLY", "MULTI",
           values=("5G", "4G", "Bluetooth", "Wi-Fi", "NFC", "USB Type-C", "Lightning")),
    Aspect("Features", cardinality="MULTI",
           values=("Face ID", "Fingerprint Sensor", "Dual SIM", "Wireless Charging",
                   "Water-Resistant", "Fast Charging")),
    Aspect("Operating System", "SELECTION_ONLY", values=("iOS", "Android")),
    Aspect("Lock Status", "SELECTION_ONLY", values=("Factory Unlocked", "Network Unlocked",
                                                    "Locked")),
    Aspect("Screen Size", values=("5.4 in", "6.1 in", "6.5 in", "6.7 in")),
)

# Headphones (112529). Source: eBay US's listing form for the category;
# getItemAspectsForCategory.
HEADPHONES = (
    _required("Brand", "FREE_TEXT", ("Sony", "Bose", "Apple", "Beats by Dr. Dre", "Sennheiser",
                                     "JBL", "Audio-Technica", "Skullcandy")),
    _required("Type", "SELECTION_ONLY", ("Earbud (In Ear)", "Ear-Fitting (On the Ear)",
                                         "Over the Ear", "Neckband")),
    Aspect("Connectivity", "SELECTION_ONLY", "MULTI",
           values=("Wired", "Wireless", "Bluetooth", "USB-C", "3.5mm Jack", "Lightning")),
    Aspect("Features", cardinality="MULTI",
           values=("Noise Cancellation", "Built-in Microphone", "Foldable", "Volume Control",
                   "Water-Resistant", "Sweat-Resistant")),
    Aspect("Model", values=("WH-1000XM4", "WH-1000XM5", "QuietComfort 45",
                            "AirPods Pro (2nd generation)", "Studio3", "Momentum 4")),
    Aspect("Color", values=COLORS),
    Aspect("Form Factor", "SELECTION_ONLY", values=("Over-Ear", "On-Ear", "In-Ear", "Earbud")),
)

# Lamps (112581). Source: eBay US's listing form for the category; getItemAspectsForCategory.
LAMPS = (
    _required("Brand", "FREE_TEXT", ("Unbranded", "IKEA", "Pottery Barn", "Tiffany", "Stiffel",
                                     "Restoration Hardware")),
    _required("Type", "SELECTION_ONLY", ("Table Lamp", "Floor Lamp", "Desk Lamp",
                                         "Bedside Lamp", "Piano/Banker Lamp", "Torchiere")),
    Aspect("Style", values=("Mid-Century Modern", "Art Deco", "Traditional", "Industrial",
                            "Victorian", "Contemporary")),
    Aspect("Material", values=("Brass", "Ceramic", "Glass", "Metal", "Wood", "Stained Glass")),
    Aspect("Color", values=COLORS),
    Aspect("Room", cardinality="MULTI", values=("Bedroom", "Living Room", "Office", "Study")),
    Aspect("Features", cardinality="MULTI", usage="OPTIONAL",
           values=("Dimmable", "USB Port", "Adjustable Arm", "Touch Control")),
)

# Books (261186). Source: eBay US's listing form for the category; getItemAspectsForCategory.
BOOKS = (
    _required("Book Title", "FREE_TEXT", (), applicable_to="PRODUCT"),
    Aspect("Author"),
    Aspect("Language", "SELECTION_ONLY", values=("English", "Spanish", "French", "German")),
    Aspect("Format", "SELECTION_ONLY",
           values=("Hardcover", "Paperback", "Mass Market Paperback", "Board Book")),
    Aspect("Topic", cardinality="MULTI", usage="OPTIONAL"),
    Aspect("Publication Year", data_type="NUMBER", usage="OPTIONAL"),
)

# Leaves modelled without required item specifics: Brand and Model recommended.
GENERIC = (Aspect("Brand"), Aspect("Model"))

ASPECTS: Mapping[str, tuple[Aspect, ...]] = {
    "15709": ATHLETIC_SHOES,
    "9355": CELL_PHONES,
    "112529": HEADPHONES,
    "112581": LAMPS,
    "261186": BOOKS,
}


def aspects_for(category_id: str) -> tuple[Aspect, ...]:
    return ASPECTS.get(category_id, GENERIC)


def _missing(name: str) -> dict[str, Any]:
    """eBay's 25002 for a missing item specific, word for word as eBay sends it."""
    short = f"The item specific {name} is missing."
    long = f"{short} Add {name} to this listing, enter a valid value, and then try again."
    return problem(25002, f"A user error has occurred. {long}",
                   parameters={"0": short, "1": long, "2": name})


def _invalid(name: str, detail: str) -> dict[str, Any]:
    """25002 for a value eBay will not take (our wording under eBay's 25002 template)."""
    text = f"The item specific {name} has an invalid value. {detail}"
    return problem(25002, f"A user error has occurred. {text}",
                   parameters={"0": text, "1": text, "2": name})


def aspect_problems(category_id: str, given: object) -> list[dict[str, Any]]:
    """What publishOffer refuses in `product.aspects` for this leaf category."""
    supplied = given if isinstance(given, Mapping) else {}
    found = []
    for aspect in aspects_for(category_id):
        values = _values(supplied.get(aspect.name))
        if not values:
            if aspect.required:
                found.append(_missing(aspect.name))
            continue
        if aspect.cardinality == "SINGLE" and len(values) > 1:
            found.append(_invalid(aspect.name, "It takes one value."))
        elif len(values) > MULTI_MAX_VALUES:
            found.append(_invalid(aspect.name, f"It takes at most {MULTI_MAX_VALUES} values."))
        elif aspect.mode == "SELECTION_ONLY":
            wrong = [value for value in values if value not in aspect.values]
            if wrong:
                found.append(_invalid(aspect.name, f"Choose from eBay's values, not {wrong[0]!r}."))
    return found


def aspect_format_problems(given: object) -> list[dict[str, Any]]:
    """What createOrReplaceInventoryItem refuses in `product.aspects` (lengths, shape)."""
    if given is None:
        return []
    if not isinstance(given, Mapping):
        return [problem(25016, "The product.aspects value is invalid. Give a map of aspect names "
                        "to lists of values.")]
    for name, values in given.items():
        if len(str(name)) > ASPECT_NAME_MAX:
            return [problem(25016, f"The product.aspects value is invalid. An aspect name may "
                            f"not be longer than {ASPECT_NAME_MAX} characters.")]
        if not isinstance(values, Sequence) or isinstance(values, str):
            return [problem(25016, f"The product.aspects value is invalid. The values of {name} "
                            "must be a list of strings.")]
        if any(len(str(value)) > ASPECT_VALUE_MAX for value in values):
            return [problem(25016, f"The product.aspects value is invalid. An aspect value may "
                            f"not be longer than {ASPECT_VALUE_MAX} characters.")]
    return []


def _values(raw: object) -> list[str]:
    if isinstance(raw, str):
        return [raw] if raw.strip() else []
    if isinstance(raw, Sequence):
        return [str(value) for value in raw if str(value).strip()]
    return []
