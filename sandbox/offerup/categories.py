"""OfferUp's categories: the tree, its leaves (the only categories a listing may use), and
/v1/categories."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from sandbox.offerup.api import PartnerApi

# (id, name, parent id); a category is a leaf when no other names it as parent
CATEGORY_TREE: Final = (
    ("1", "Electronics & Media", None),
    ("101", "Cell Phones", "1"),
    ("102", "Computers & Tablets", "1"),
    ("103", "Video Games", "1"),
    ("104", "Audio", "1"),
    ("105", "Cameras", "1"),
    ("2", "Home & Garden", None),
    ("201", "Furniture", "2"),
    ("202", "Lamps & Lighting", "2"),
    ("203", "Home Decor", "2"),
    ("204", "Kitchen & Dining", "2"),
    ("205", "Tools", "2"),
    ("3", "Clothing & Shoes", None),
    ("301", "Women's Clothing", "3"),
    ("302", "Men's Clothing", "3"),
    ("303", "Shoes", "3"),
    ("304", "Bags & Accessories", "3"),
    ("4", "Sports & Outdoors", None),
    ("401", "Bicycles", "4"),
    ("402", "Exercise Equipment", "4"),
    ("403", "Camping", "4"),
    ("5", "Collectibles & Art", None),
    ("501", "Art", "5"),
    ("502", "Antiques", "5"),
    ("503", "Trading Cards", "5"),
    ("6", "Baby & Kids", None),
    ("601", "Toys", "6"),
    ("602", "Strollers & Car Seats", "6"),
    ("999", "Other", None),
)
_PARENTS: Final = frozenset(parent for _, _, parent in CATEGORY_TREE if parent)
LEAF_CATEGORIES: Final = frozenset(cid for cid, _, _ in CATEGORY_TREE if cid not in _PARENTS)


class CategoriesApi(PartnerApi):
    """/v1/categories, cacheable for a day."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v1/categories", self.categories)

    async def categories(self, request: web.Request) -> web.Response:
        self.grant(request, "listings.read")
        items = [
            {"id": cid, "name": name, "parent_id": parent, "leaf": cid in LEAF_CATEGORIES}
            for cid, name, parent in CATEGORY_TREE
        ]
        return web.json_response(
            {"categories": items}, headers={"Cache-Control": "max-age=86400"}
        )
