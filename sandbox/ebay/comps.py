"""Other sellers' live listings in the demo categories, which the Browse API searches: the
comparable items ("comps") a reseller prices against.

Prices spread the way eBay's do for the same product: new above open box above used, used
grades apart, a few outliers. Condition ids and names are eBay's for each category
(conditions.py). The sandbox's own listings are not among them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Comp:
    item_number: str  # eBay's legacy item id
    title: str
    category_id: str
    price: Decimal
    condition_id: str
    condition: str
    seller: str
    feedback_score: int
    postal_code: str
    listed: str  # itemCreationDate


def _comps(category_id: str, rows: list[tuple[str, str, str, str]]) -> list[Comp]:
    sellers = (("sneakerhaven_nyc", 4821, "100**"), ("thrifty.finds.tx", 612, "787**"),
               ("pacific_resale", 15203, "941**"), ("midwest_closeouts", 2290, "606**"),
               ("dealdepot-fl", 877, "331**"))
    found = []
    for index, (title, price, condition_id, condition) in enumerate(rows):
        seller, score, postal = sellers[index % len(sellers)]
        found.append(Comp(
            item_number=str(2_664_210_000 + int(category_id) % 10_000 * 100 + index),
            title=title, category_id=category_id, price=Decimal(price),
            condition_id=condition_id, condition=condition, seller=seller,
            feedback_score=score, postal_code=postal,
            listed=f"2025-0{1 + index % 9}-1{index % 9}T15:2{index % 10}:00.000Z",
        ))
    return found


def seeded_comps() -> list[Comp]:
    return [
        *_comps("15709", [
            ("Nike Air Max 90 Triple White Men's Size 10 CN8490-100", "74.99", "3000",
             "Pre-owned - Good"),
            ("Nike Air Max 90 Men's Size 10 White Black Running Shoes", "58.00", "3010",
             "Pre-owned - Fair"),
            ("NEW Nike Air Max 90 Men's Size 10 White CN8490-100 With Box", "129.99", "1000",
             "New with box"),
            ("Nike Air Max 90 Essential Men's 10.5 Gray Sneakers", "89.50", "2990",
             "Pre-owned - Excellent"),
            ("Nike Air Max 90 Men's Size 9.5 Infrared", "64.00", "3000", "Pre-owned - Good"),
            ("adidas Ultraboost 22 Men's Size 10 Core Black GZ0127", "95.00", "2990",
             "Pre-owned - Excellent"),
            ("New Balance 990v5 Made in USA Grey Men's Size 10 M990GL5", "119.00", "3000",
             "Pre-owned - Good"),
            ("Nike Air Force 1 '07 Men's Size 10 White CW2288-111 New Without Box", "82.00",
             "1500", "New without box"),
        ]),
        *_comps("9355", [
            ("Apple iPhone 13 128GB Midnight Unlocked Good Condition", "329.00", "3000", "Used"),
            ("Apple iPhone 13 128GB Blue (Unlocked) A2482 - Excellent", "379.99", "2010",
             "Excellent - Refurbished"),
            ("Apple iPhone 13 128GB Pink Verizon Cracked Back", "219.00", "3000", "Used"),
            ("Apple iPhone 13 128GB Starlight Unlocked - For Parts, No Power", "95.00", "7000",
             "For parts or not working"),
            ("Apple iPhone 13 128GB Green Factory Unlocked Open Box", "489.00", "1500",
             "Open box"),
            ("Apple iPhone 13 256GB Midnight Unlocked Used", "365.00", "3000", "Used"),
            ("Samsung Galaxy S22 128GB Phantom Black Unlocked SM-S901U", "249.00", "3000",
             "Used"),
            ("Google Pixel 7a 128GB Charcoal Unlocked", "229.99", "3000", "Used"),
        ]),
        *_comps("112529", [
            ("Sony WH-1000XM4 Wireless Noise Canceling Headphones Black", "139.99", "3000",
             "Used"),
            ("Sony WH-1000XM4 Noise Cancelling Over-Ear Headphones - Silver, Case", "124.00",
             "3000", "Used"),
            ("Sony WH-1000XM4 Bluetooth Headphones Black - NEW SEALED", "248.00", "1000", "New"),
            ("Sony WH-1000XM4 Wireless Headphones Open Box Midnight Blue", "189.00", "1500",
             "Open box"),
            ("Sony WH-1000XM4 Headphones - Left Side No Sound - For Parts", "45.00", "7000",
             "For parts or not working"),
            ("Bose QuietComfort 45 Bluetooth Noise Cancelling Headphones White", "149.00",
             "3000", "Used"),
            ("Apple AirPods Pro (2nd generation) MagSafe Case USB-C", "159.00", "2020",
             "Very Good - Refurbished"),
            ("Sony WH-1000XM5 Wireless Headphones Black Excellent", "229.00", "3000", "Used"),
        ]),
        *_comps("112581", [
            ("Vintage Brass Desk Lamp Adjustable Arm Green Shade", "48.00", "3000", "Used"),
            ("Mid Century Modern Brass Table Lamp Ceramic Base 1960s", "85.00", "3000", "Used"),
            ("Brass Piano Banker's Desk Lamp Green Glass Shade NEW", "64.99", "1000", "New"),
            ("Antique Brass Bedside Lamp, Needs Rewiring", "22.00", "7000",
             "For parts or not working"),
            ("Pottery Barn Brass Task Lamp Open Box", "119.00", "1500",
             "New other (see details)"),
            ("IKEA Brass Floor Lamp Reading Light", "39.00", "3000", "Used"),
        ]),
        *_comps("261186", [
            ("Project Hail Mary by Andy Weir (2021, Hardcover) First Edition", "14.99", "4000",
             "Very Good"),
            ("Project Hail Mary Andy Weir Paperback Like New", "9.50", "2750", "Like New"),
            ("Project Hail Mary by Andy Weir Hardcover Brand New", "22.00", "1000",
             "Brand New"),
            ("The Martian by Andy Weir Paperback", "5.99", "5000", "Good"),
        ]),
    ]
