"""The category tree this eBay knows: a slice of eBay US's tree (category tree "0"), whose leaves
carry the words that suggest them, and keyword suggestions with eBay's ancestor chain.

Ids, names and paths are eBay US's (the id in each category's ebay.com/b/... address, and the
ancestry getCategorySuggestions returns). Suggestions match keywords, not eBay's sales data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TAXONOMY = "/commerce/taxonomy/v1"
CATEGORY_TREE_ID = "0"
CATEGORY_TREE_VERSION = "130"
ROOT_ID = "0"  # the root node of a default tree: level 0, its id and name not to be relied on

# The leaf categories tests and the demo list in, each with its rules in aspects.py and
# conditions.py.
SHOES = "15709"  # Clothing, Shoes & Accessories > Men > Men's Shoes > Athletic Shoes
PHONES = "9355"  # Cell Phones & Accessories > Cell Phones & Smartphones
HEADPHONES = "112529"  # Consumer Electronics > Portable Audio & Headphones > Headphones
LAMPS = "112581"  # Home & Garden > Lamps, Lighting & Ceiling Fans > Lamps
BOOKS = "261186"  # Books & Magazines > Books


@dataclass(frozen=True)
class CategoryNode:
    category_id: str
    name: str
    parent_id: str | None
    keywords: tuple[str, ...] = ()


# A slice of eBay US's tree (ids as on ebay.com); leaves carry the words that suggest them.
CATEGORY_TREE: tuple[CategoryNode, ...] = (
    CategoryNode("293", "Consumer Electronics", None),
    CategoryNode("15052", "Portable Audio & Headphones", "293"),
    CategoryNode("112529", "Headphones", "15052",
                 ("headphone", "headphones", "earbuds", "earphones", "airpods", "headset")),
    CategoryNode("58058", "Computers/Tablets & Networking", None),
    CategoryNode("177", "PC Laptops & Netbooks", "58058",
                 ("laptop", "notebook", "chromebook", "thinkpad", "macbook")),
    CategoryNode("171485", "Tablets & eBook Readers", "58058",
                 ("tablet", "ipad", "kindle", "ereader")),
    CategoryNode("15032", "Cell Phones & Accessories", None),
    CategoryNode("9355", "Cell Phones & Smartphones", "15032",
                 ("phone", "smartphone", "iphone", "android", "pixel", "galaxy")),
    CategoryNode("1249", "Video Games & Consoles", None),
    CategoryNode("139971", "Video Game Consoles", "1249",
                 ("console", "playstation", "ps5", "ps4", "xbox", "nintendo", "switch")),
    CategoryNode("139973", "Video Games", "1249", ("game", "videogame")),
    CategoryNode("625", "Cameras & Photo", None),
    CategoryNode("31388", "Digital Cameras", "625",
                 ("camera", "dslr", "mirrorless", "canon", "nikon")),
    CategoryNode("11700", "Home & Garden", None),
    CategoryNode("20697", "Lamps, Lighting & Ceiling Fans", "11700"),
    CategoryNode("112581", "Lamps", "20697", ("lamp", "lighting", "table lamp", "floor lamp")),
    CategoryNode("220", "Toys & Hobbies", None),
    CategoryNode("183446", "LEGO & Building Toys", "220"),
    CategoryNode("19006", "LEGO Complete Sets & Packs", "183446", ("lego", "building set")),
    CategoryNode("888", "Sporting Goods", None),
    CategoryNode("7294", "Cycling", "888"),
    CategoryNode("177831", "Bikes", "7294", ("bike", "bicycle", "cycling")),
    CategoryNode("11450", "Clothing, Shoes & Accessories", None),
    CategoryNode("260010", "Men", "11450"),
    CategoryNode("93427", "Men's Shoes", "260010"),
    CategoryNode("15709", "Athletic Shoes", "93427",
                 ("sneaker", "sneakers", "shoe", "shoes", "trainers", "jordans")),
    CategoryNode("267", "Books & Magazines", None),
    CategoryNode("261186", "Books", "267", ("book", "novel", "paperback", "hardcover")),
)


class CategoryTree:
    """Leaf suggestions by keyword, with eBay's ancestor chain for each."""

    def __init__(self, nodes: Iterable[CategoryNode]) -> None:
        self.nodes = {node.category_id: node for node in nodes}
        parents = {node.parent_id for node in self.nodes.values()}
        self.leaves = [node for node in self.nodes.values() if node.category_id not in parents]

    def is_leaf(self, category_id: str) -> bool:
        return any(leaf.category_id == category_id for leaf in self.leaves)

    def leaves_under(self, category_id: str) -> list[str]:
        """The leaf ids at or below a node (the whole tree for the root)."""
        return [leaf.category_id for leaf in self.leaves
                if category_id == ROOT_ID or category_id in self.lineage(leaf.category_id)]

    def lineage(self, category_id: str) -> list[str]:
        """The node and its ancestors, nearest first (the root not included)."""
        chain, current = [], self.nodes.get(category_id)
        while current is not None:
            chain.append(current.category_id)
            current = self.nodes.get(current.parent_id or "")
        return chain

    def suggest(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        words = set(re.findall(r"[a-z0-9]+", query.lower()))
        words |= {word[:-1] for word in words if word.endswith("s")}
        text = " ".join(re.findall(r"[a-z0-9]+", query.lower()))
        scored = []
        for order, leaf in enumerate(self.leaves):
            score = sum(
                1 for keyword in leaf.keywords
                if (keyword in text if " " in keyword else keyword in words)
            )
            if score:
                scored.append((-score, order, leaf))
        return [self._suggestion(leaf, -score) for score, _, leaf in sorted(scored)[:limit]]

    def _suggestion(self, leaf: CategoryNode, score: int) -> dict[str, Any]:
        ancestors, parent_id = [], leaf.parent_id
        while parent_id is not None:
            parent = self.nodes[parent_id]
            ancestors.append(parent)
            parent_id = parent.parent_id
        # "from the current node's immediate parent to the root node of the category tree"
        # (CategorySuggestion.categoryTreeNodeAncestors, Taxonomy API reference).
        ancestors.append(CategoryNode(ROOT_ID, "Root", None))
        level = len(ancestors)
        return {
            "category": {"categoryId": leaf.category_id, "categoryName": leaf.name},
            "categoryTreeNodeAncestors": [
                {
                    "categoryId": node.category_id,
                    "categoryName": node.name,
                    "categorySubtreeNodeHref": f"{TAXONOMY}/category_tree/{CATEGORY_TREE_ID}/"
                    f"get_category_subtree?category_id={node.category_id}",
                    "categoryTreeNodeLevel": level - 1 - index,
                }
                for index, node in enumerate(ancestors)
            ],
            "categoryTreeNodeLevel": level,
            "relevancy": str(score),
        }
