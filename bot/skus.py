"""Our idempotency key for one listing on every marketplace: its SKU."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import UTC, datetime

from marketplaces.base import safe_sku

SKU_PREFIX = "DS"
SKU_SLUG_MAX = 20
SKU_PATTERN = re.compile(r"[A-Za-z0-9-]{1,50}")
_DASHES = re.compile(r"-{2,}")


def make_sku(title: str, *, now: datetime | None = None) -> str:
    """Our idempotency key for one listing, e.g. "DS-BRASS-LAMP-250314-K7Q2M9XA".

    Random, so two listings never share one; readable (title words and the UTC date), so an
    operator can find the item on Seller Hub; ASCII letters, digits and dashes within 50
    characters, which eBay's SKU and Facebook's retailer_id both accept.
    """
    moment = now or datetime.now(UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    slug = _DASHES.sub("-", safe_sku(title, max_length=4 * SKU_SLUG_MAX)).upper()
    if len(slug) > SKU_SLUG_MAX:  # cut at a word boundary when there is one
        cut = slug.rfind("-", 0, SKU_SLUG_MAX + 1)
        slug = slug[:cut] if cut > 0 else slug[:SKU_SLUG_MAX]
    suffix = base64.b32encode(secrets.token_bytes(5)).decode("ascii")  # 40 bits, 8 characters
    return f"{SKU_PREFIX}-{slug}-{moment:%y%m%d}-{suffix}"
