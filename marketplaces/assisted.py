"""Marketplaces we help the seller list on by hand: the facts a listing kit is built from.

Facebook Marketplace, OfferUp, Mercari, Poshmark, Depop and Craigslist give individual sellers
no listing API, and some forbid tools that post for them: Meta lets only partners in its
Marketplace Partnership Program put listings on Marketplace
(https://developers.facebook.com/docs/marketplace/partnerships/); OfferUp's posting rules say
"Don't use emulators or third-party sites to post on OfferUp"
(https://help.pro.offerup.com/hc/en-us/articles/360042745892); Craigslist's terms of use bar
software other than browsers and mail clients that interacts with it "e.g. for ... posting"
(https://www.craigslist.org/about/terms.of.use, wording as quoted in the copies we could read).
So the bot hands the seller a kit (photos fitted to these rules, the words to copy, a button
to the new-listing form) and tracks the copy once the seller pastes its link.

Each fact cites the marketplace's own page next to it. Where we found none, the comment says
"not documented" and what we chose: where third parties report figures, the lowest, so the
kit does not exceed the form; condition words not found on the marketplace's pages are
marked unverified. App share sheets also hand out short links (offerup.co,
posh.mk, merc.li, depop.app.link, facebook.com/share) that name no listing and can as well
point to a profile, so only a listing's own address is recognised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from marketplaces.base import Condition, Rules

# Where a marketplace states no photo sizes (none of these six does, in the pages we could
# read): no minimum, since refusing a photo on a guess would refuse it for every marketplace
# the seller picked; 2048 px on the long side keeps detail for zooming; 8 MB only stops
# pathological files, as a 2048-px JPEG is usually well under 2 MB.
_NO_MIN_SIDE: Final = 0
_LONG_SIDE: Final = 2048
_MAX_BYTES: Final = 8 * 1024 * 1024

_TAIL: Final = r"/?(?:[?#]\S*)?"  # optional trailing slash, then any query string or fragment
_SCHEME_HOST = re.compile(r"(?i)(https?)://([^/?#\s]*)(.*)")
_URL_IN_TEXT = re.compile(
    r"(?i)(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}/[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*"
)


@dataclass(frozen=True)
class AssistedMarketplace:
    """One marketplace the seller lists on by hand, and how we recognise the listing after."""

    name: str
    display_name: str
    new_listing_url: str
    title_max: int
    description_max: int
    photo_max: int
    photo_min_side: int  # pixels on the shorter side below which a photo is refused (0: none)
    photo_max_side: int  # pixels the long side is scaled down to in the kit
    photo_max_bytes: int
    listing_url: re.Pattern[str]  # fullmatched against a link with its scheme and host lowercased
    listing_url_example: str
    conditions: Mapping[Condition, str]
    # `re.Match.expand` template building the normalized link from `listing_url`'s groups:
    # always https, the canonical host, no query string (only tracking lives there)
    canonical: str = ""
    price_min_cents: int = 1
    price_max_cents: int = 100_000_000
    takes_free_items: bool = False  # has a way to give an item away (a price of 0, a section)
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", MappingProxyType(dict(self.conditions)))
        missing = set(Condition) - set(self.conditions)
        if missing:
            raise ValueError(f"{self.name}: no words for {sorted(missing)}")
        if self.listing_link(self.listing_url_example) != self.listing_url_example:
            raise ValueError(f"{self.name}: the example is not a normalized listing link")

    @property
    def rules(self) -> Rules:
        return Rules(
            marketplace=self.name, display_name=self.display_name,
            title_max=self.title_max, description_max=self.description_max,
            photo_max=self.photo_max, photo_min_side=self.photo_min_side,
            photo_max_side=self.photo_max_side, photo_max_bytes=self.photo_max_bytes,
            location_required=False, conditions=frozenset(self.conditions),
            price_min_cents=self.price_min_cents, price_max_cents=self.price_max_cents,
            takes_free_items=self.takes_free_items,
        )

    def listing_link(self, text: str) -> str | None:
        """The normalized https link when `text` is one of this marketplace's listings, else
        None. Browsers on phones often copy the address without its scheme, so that is added."""
        text = text.strip()
        if "://" not in text:
            text = f"https://{text}"
        parts = _SCHEME_HOST.fullmatch(text)
        if parts is None:
            return None
        scheme, host, rest = parts.groups()
        match = self.listing_url.fullmatch(f"{scheme.lower()}://{host.lower()}{rest}")
        return None if match is None else match.expand(self.canonical)

    def condition_words(self, condition: Condition) -> str:
        """What this marketplace's listing form calls `condition`."""
        return self.conditions[condition]


def find_listing_link(text: str) -> tuple[AssistedMarketplace, str] | None:
    """The first link in a pasted message that is a listing on one of these marketplaces, with
    that marketplace: apps share texts like "Check out my listing on Mercari: https://…"."""
    for found in _URL_IN_TEXT.finditer(text):
        candidate = found.group().rstrip(".,;:!?)]}'")
        for marketplace in ASSISTED:
            link = marketplace.listing_link(candidate)
            if link is not None:
                return marketplace, link
    return None


def _pattern(body: str) -> re.Pattern[str]:
    return re.compile(rf"https?://{body}{_TAIL}")


ASSISTED: Final[tuple[AssistedMarketplace, ...]] = (
    AssistedMarketplace(
        name="facebook_marketplace",
        display_name="Facebook Marketplace",
        # not in a help page we could read; the address of Marketplace's "Item for sale" form
        new_listing_url="https://www.facebook.com/marketplace/create/item",
        # Not documented; our choices: 100 (the figure an old guide reports; our catalog
        # adapter allows 200), 5,000 (it allows 9,999), and 10 photos (no figure found for
        # item listings; 10 keeps the kit short).
        title_max=100, description_max=5000, photo_max=10,
        photo_min_side=_NO_MIN_SIDE, photo_max_side=_LONG_SIDE, photo_max_bytes=_MAX_BYTES,
        # Not documented; the form listings have on facebook.com, m.facebook.com and fb.com
        listing_url=_pattern(
            r"(?:(?:www|m|web)\.)?(?:facebook|fb)\.com/marketplace/item/(?P<id>\d+)"
        ),
        canonical=r"https://www.facebook.com/marketplace/item/\g<id>/",
        listing_url_example="https://www.facebook.com/marketplace/item/1021457389216870/",
        # https://lookaside.fbsbx.com/help/2004996079797091 (Facebook Help Centre, "What do the
        # item conditions mean on Facebook Marketplace?"): New, Used (like new), Used (good),
        # Used (fair), Refurbished. It has no for-parts condition: the nearest is Used (fair).
        conditions={
            Condition.NEW: "New",
            Condition.LIKE_NEW: "Used (like new)",
            Condition.GOOD: "Used (good)",
            Condition.FAIR: "Used (fair)",
            Condition.FOR_PARTS: "Used (fair)",
        },
        # Not documented in a page we could read; our understanding: Marketplace has a
        # "Free Stuff" category, so a giveaway can be posted there.
        takes_free_items=True,
        sources=(
            "https://lookaside.fbsbx.com/help/2004996079797091",
            "https://developers.facebook.com/docs/marketplace/partnerships/",
        ),
    ),
    AssistedMarketplace(
        name="offerup",
        display_name="OfferUp",
        new_listing_url="https://offerup.com/post",  # not documented; the web "Post" page
        # Not documented; our choices, the same as our partner contract (docs/offerup-api.md
        # §5): 70, 5,000, 12 photos, $1 to $1,000,000. OfferUp's posting rules only require a
        # photo of the actual item and no links in titles or descriptions
        # (https://help.pro.offerup.com/hc/en-us/articles/360042745892); its $2,000 ceiling is
        # for shipped items only (https://help.offerup.com/hc/en-us/articles/360039017352).
        title_max=70, description_max=5000, photo_max=12,
        photo_min_side=_NO_MIN_SIDE, photo_max_side=_LONG_SIDE, photo_max_bytes=_MAX_BYTES,
        price_min_cents=100, price_max_cents=100_000_000,
        # Not documented; numeric ids, and UUIDs on newer listings
        listing_url=_pattern(
            r"(?:www\.)?offerup\.com/item/detail/"
            r"(?P<id>\d+|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})"
        ),
        canonical=r"https://offerup.com/item/detail/\g<id>",
        listing_url_example="https://offerup.com/item/detail/1489623561",
        # Not documented in a page we could read, so unverified: the app's condition words as
        # we understand them (New, Open box, Reconditioned/Certified, Used (normal wear), For
        # parts). No like-new/good/fair grades: every used grade is "Used (normal wear)".
        conditions={
            Condition.NEW: "New",
            Condition.LIKE_NEW: "Used (normal wear)",
            Condition.GOOD: "Used (normal wear)",
            Condition.FAIR: "Used (normal wear)",
            Condition.FOR_PARTS: "For parts",
        },
        sources=(
            "https://help.pro.offerup.com/hc/en-us/articles/360042745892",
            "https://help.offerup.com/hc/en-us/articles/360039017352-Shipping-policies",
        ),
    ),
    AssistedMarketplace(
        name="mercari",
        display_name="Mercari",
        new_listing_url="https://www.mercari.com/sell/",  # not documented; the web sell form
        # Not documented; Mercari's seller guidelines ask only for clear photos you took
        # (https://www.mercari.com/us/help_center/article/72/). Our choices, the lowest figures
        # third-party guides report: 40 (others say 80), 1,000, 12 photos, $1 to $2,000.
        title_max=40, description_max=1000, photo_max=12,
        photo_min_side=_NO_MIN_SIDE, photo_max_side=_LONG_SIDE, photo_max_bytes=_MAX_BYTES,
        price_min_cents=100, price_max_cents=200_000,
        # Not documented; item ids are "m" and digits, older links lack the /us prefix
        listing_url=_pattern(r"(?:www\.)?mercari\.com/(?:us/)?item/(?P<id>m\d{6,})"),
        canonical=r"https://www.mercari.com/us/item/\g<id>/",
        listing_url_example="https://www.mercari.com/us/item/m84937161530/",
        # Not documented in a page we could read; the five grades third-party tools read from
        # Mercari US item pages. The lowest, Poor, is the nearest to for-parts.
        conditions={
            Condition.NEW: "New",
            Condition.LIKE_NEW: "Like new",
            Condition.GOOD: "Good",
            Condition.FAIR: "Fair",
            Condition.FOR_PARTS: "Poor",
        },
        sources=(
            "https://www.mercari.com/us/help_center/article/72/",
            "https://www.mercari.com/help_center/getting_started/prohibited_conduct/",
        ),
    ),
    AssistedMarketplace(
        name="poshmark",
        display_name="Poshmark",
        new_listing_url="https://poshmark.com/create-listing",  # not documented; web form
        # Not documented (https://poshmark.com/faq only says items are listed from the app);
        # our choices, the figures third-party guides report: 80, 1,500, 16 photos, from $3.
        title_max=80, description_max=1500, photo_max=16,
        photo_min_side=_NO_MIN_SIDE, photo_max_side=_LONG_SIDE, photo_max_bytes=_MAX_BYTES,
        price_min_cents=300,
        # Not documented; the slug before the 24-hex id is cosmetic and may be absent
        listing_url=_pattern(
            r"(?:www\.)?poshmark\.com/listing/(?P<slug>(?:[^/?#\s]+-)?[0-9a-f]{24})"
        ),
        canonical=r"https://poshmark.com/listing/\g<slug>",
        listing_url_example=(
            "https://poshmark.com/listing/"
            "Levis-501-Original-Fit-Jeans-32x32-65a1f2c3d4e5f60718293a4b"
        ),
        # Not documented in a page we could read, so unverified: New With Tags and the used
        # grades as we understand them. Fashion has no for-parts grade: the nearest is Fair.
        conditions={
            Condition.NEW: "New With Tags",
            Condition.LIKE_NEW: "Like New",
            Condition.GOOD: "Good",
            Condition.FAIR: "Fair",
            Condition.FOR_PARTS: "Fair",
        },
        sources=("https://poshmark.com/faq",),
    ),
    AssistedMarketplace(
        name="depop",
        display_name="Depop",
        new_listing_url="https://www.depop.com/products/create/",  # not documented; web form
        # Not documented; Depop's seller guide asks for your own photos, faults shown
        # (https://depophelp.zendesk.com/hc/en-gb/articles/360012845797-Depop-Seller-Guide).
        # Our choices: 80 for the title (the form may have none, the description's first line
        # serving instead), 1,000, and 4 photos, the count older reports give (the app may
        # take more now).
        title_max=80, description_max=1000, photo_max=4,
        photo_min_side=_NO_MIN_SIDE, photo_max_side=_LONG_SIDE, photo_max_bytes=_MAX_BYTES,
        # Not documented; the slug is the seller's username, a dash, then words from the item
        listing_url=_pattern(
            r"(?:www\.)?depop\.com/products/(?P<slug>[A-Za-z0-9_.]+-[A-Za-z0-9_.-]+)"
        ),
        canonical=r"https://www.depop.com/products/\g<slug>/",
        listing_url_example="https://www.depop.com/products/janedoe-vintage-levis-501-jeans-w30/",
        # Not documented in a page we could read, so unverified: Depop's condition picker as we
        # understand it (Used - Excellent unused). No for-parts: the nearest is Used - Fair.
        conditions={
            Condition.NEW: "Brand new",
            Condition.LIKE_NEW: "Like new",
            Condition.GOOD: "Used - Good",
            Condition.FAIR: "Used - Fair",
            Condition.FOR_PARTS: "Used - Fair",
        },
        sources=(
            "https://depophelp.zendesk.com/hc/en-gb/articles/360012845797-Depop-Seller-Guide",
            "https://depophelp.zendesk.com/hc/en-gb/articles/360026574274-What-are-stock-images",
        ),
    ),
    AssistedMarketplace(
        name="craigslist",
        display_name="Craigslist",
        new_listing_url="https://post.craigslist.org/",  # not documented; asks the city first
        # Not documented; our choices: 70, 5,000 and 12 photos (we found no figure we trust).
        title_max=70, description_max=5000, photo_max=12,
        photo_min_side=_NO_MIN_SIDE, photo_max_side=_LONG_SIDE, photo_max_bytes=_MAX_BYTES,
        # Not documented; city host, optional sub-area, category, optional /d/<slug>, then the
        # 10-digit posting id
        listing_url=re.compile(
            r"https?://(?P<site>[a-z0-9-]+)\.craigslist\.org/"
            r"(?P<path>(?:[a-z]{2,4}/)?[a-z]{3}/(?:d/[^/?#\s]+/)?\d{10})\.html(?:[?#]\S*)?"
        ),
        canonical=r"https://\g<site>.craigslist.org/\g<path>.html",
        listing_url_example=(
            "https://sfbay.craigslist.org/eby/fuo/d/"
            "oakland-mid-century-walnut-dresser/7712345678.html"
        ),
        # Not documented in a page we could read, so unverified: a for-sale post's condition
        # choices as we understand them; salvage is the nearest to for-parts
        conditions={
            Condition.NEW: "new",
            Condition.LIKE_NEW: "like new",
            Condition.GOOD: "good",
            Condition.FAIR: "fair",
            Condition.FOR_PARTS: "salvage",
        },
        # Not documented in a page we could read; our understanding: its for-sale section has
        # a "free stuff" category for giveaways.
        takes_free_items=True,
        sources=("https://www.craigslist.org/about/terms.of.use",),
    ),
)

ASSISTED_BY_NAME: Final[Mapping[str, AssistedMarketplace]] = MappingProxyType(
    {marketplace.name: marketplace for marketplace in ASSISTED}
)
