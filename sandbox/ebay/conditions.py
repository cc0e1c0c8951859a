"""Item conditions: eBay's numeric condition ids, the Inventory API's ConditionEnum names for
them, and which conditions each leaf category allows.

Why: the same word means different things per category (3000 is "Used" for a phone and
"Pre-owned - Good" for sneakers) and most categories allow only a few conditions; publishOffer
refuses the rest (25021). The Metadata API's getItemConditionPolicies tells a seller app which.

Source of the id ↔ enum table and the names: eBay's "Item condition ID and name values"
(developer.ebay.com/api-docs/sell/static/metadata/condition-id-values.html). Which ids a
category allows: the same page's "Item condition by category" and each category's listing form
on eBay US; each group below says which categories it covers. `usage: RESTRICTED` marks the
refurbished grades only pre-approved sellers may use (ItemCondition.usage in
sell_metadata_v1_oas3.json: "only returned for the following conditions: 2000, 2010, 2020, 2030").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.ebay.errors import problem

CONDITION_ENUMS: Mapping[str, str] = {
    "1000": "NEW",
    "1500": "NEW_OTHER",
    "1750": "NEW_WITH_DEFECTS",
    "2000": "CERTIFIED_REFURBISHED",
    "2010": "EXCELLENT_REFURBISHED",
    "2020": "VERY_GOOD_REFURBISHED",
    "2030": "GOOD_REFURBISHED",
    "2500": "SELLER_REFURBISHED",
    "2750": "LIKE_NEW",
    "2990": "PRE_OWNED_EXCELLENT",
    "3000": "USED_EXCELLENT",
    "3010": "PRE_OWNED_FAIR",
    "4000": "USED_VERY_GOOD",
    "5000": "USED_GOOD",
    "6000": "USED_ACCEPTABLE",
    "7000": "FOR_PARTS_OR_NOT_WORKING",
}
CONDITION_IDS: Mapping[str, str] = {enum: cid for cid, enum in CONDITION_ENUMS.items()}
RESTRICTED = frozenset({"2000", "2010", "2020", "2030"})

Conditions = tuple[tuple[str, str], ...]  # (conditionId, conditionDescription)

# Phones, laptops, tablets, cameras, consoles, headphones: eBay's electronics grades, where the
# refurbished grades 2010-2030 took the place of Seller refurbished (2500) with eBay Refurbished.
ELECTRONICS: Conditions = (
    ("1000", "New"), ("1500", "Open box"), ("2000", "Certified - Refurbished"),
    ("2010", "Excellent - Refurbished"), ("2020", "Very Good - Refurbished"),
    ("2030", "Good - Refurbished"), ("3000", "Used"), ("7000", "For parts or not working"),
)
# Sneakers and other shoes: eBay's apparel grades, with "Pre-owned" in three grades.
SHOES: Conditions = (
    ("1000", "New with box"), ("1500", "New without box"), ("1750", "New with defects"),
    ("2990", "Pre-owned - Excellent"), ("3000", "Pre-owned - Good"),
    ("3010", "Pre-owned - Fair"),
)
# Home furnishings with a plug (lamps): new, new other, used, for parts.
HOME_ELECTRIC: Conditions = (
    ("1000", "New"), ("1500", "New other (see details)"), ("3000", "Used"),
    ("7000", "For parts or not working"),
)
# Books, video games: eBay's media grades.
MEDIA: Conditions = (
    ("1000", "Brand New"), ("2750", "Like New"), ("4000", "Very Good"), ("5000", "Good"),
    ("6000", "Acceptable"),
)
# Toys and LEGO sets.
TOYS: Conditions = (("1000", "New"), ("3000", "Used"))
# Bikes.
SPORTING: Conditions = (
    ("1000", "New"), ("1500", "New other (see details)"), ("3000", "Used"),
    ("7000", "For parts or not working"),
)

CONDITIONS: Mapping[str, Conditions] = {
    "15709": SHOES,  # Men's Athletic Shoes
    "9355": ELECTRONICS,  # Cell Phones & Smartphones
    "112529": ELECTRONICS,  # Headphones
    "112581": HOME_ELECTRIC,  # Lamps
    "261186": MEDIA,  # Books
    "139973": MEDIA,  # Video Games
    "177": ELECTRONICS,  # PC Laptops & Netbooks
    "171485": ELECTRONICS,  # Tablets & eBook Readers
    "139971": ELECTRONICS,  # Video Game Consoles
    "31388": ELECTRONICS,  # Digital Cameras
    "19006": TOYS,  # LEGO Complete Sets & Packs
    "177831": SPORTING,  # Bikes
}


def conditions_for(category_id: str) -> Conditions:
    return CONDITIONS[category_id]


def policy_json(category_id: str, tree_id: str) -> dict[str, Any]:
    """One ItemConditionPolicy of getItemConditionPolicies."""
    return {
        "categoryId": category_id,
        "categoryTreeId": tree_id,
        "itemConditionRequired": True,
        "itemConditions": [
            {"conditionId": cid, "conditionDescription": name,
             **({"usage": "RESTRICTED"} if cid in RESTRICTED else {})}
            for cid, name in conditions_for(category_id)
        ],
    }


def condition_problems(category_id: str, condition: object) -> list[dict[str, Any]]:
    """publishOffer's 25021 when the item's condition is missing or not allowed here."""
    template = ("The eBay listing associated with the inventory item, or the unpublished offer "
                "has invalid item condition information.")
    if not condition:
        return [problem(25021, f"{template} Item condition is required for this category. "
                        "Please provide a supported condition value.")]
    allowed = {CONDITION_ENUMS[cid] for cid, _ in conditions_for(category_id)}
    if condition in allowed:
        return []
    return [problem(25021, f"{template} The condition {condition} is not supported in category "
                    f"{category_id}. Supported: {', '.join(sorted(allowed))}.",
                    parameters={"condition": str(condition), "categoryId": category_id})]
