"""What this eBay is: one marketplace (EBAY_US, in US dollars), the locales a seller's texts may
be written in, and eBay's timestamp format."""

from __future__ import annotations

from datetime import UTC, datetime

MARKETPLACE_ID = "EBAY_US"
CURRENCY = "USD"
LOCALES = frozenset({
    "en-US", "en-CA", "fr-CA", "en-GB", "en-AU", "en-IE", "de-DE", "de-AT", "de-CH", "fr-FR",
    "fr-BE", "nl-BE", "nl-NL", "it-IT", "es-ES", "pl-PL", "zh-HK",
})


def iso(moment: datetime) -> str:
    """eBay's timestamps: UTC, milliseconds, a Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """An eBay timestamp (or any ISO 8601 one) as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
