"""The partner's members and how they connect: the demo accounts (one may not post until the
phone is verified), the scopes and token lifetimes of docs/offerup-api.md, and /v1/me."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from sandbox.kit import MarketplaceAccount
from sandbox.offerup.api import PartnerApi

SCOPES: Final = ("listings.write", "listings.read", "profile.read")
ACCESS_TTL_SECONDS: Final = 3600
REFRESH_REUSE_INTERVAL_SECONDS: Final = 60  # docs/offerup-api.md §2.4
REFRESH_TTL_SECONDS: Final = 60 * 86_400

DEMO_ACCOUNTS: Final = (
    MarketplaceAccount("ou-4471", "Maya's Mid-Century Finds", {
        "city": "Tacoma, WA", "member_since": "2019-04-02", "posting_blocked": None,
    }),
    MarketplaceAccount("ou-8820", "Garage Gold Resale", {
        "city": "Fresno, CA", "member_since": "2021-09-17", "posting_blocked": None,
    }),
    MarketplaceAccount("ou-1093", "Dev Patel", {
        "city": "Austin, TX", "member_since": "2025-01-08", "posting_blocked": "phone_unverified",
    }),
)


class ProfileApi(PartnerApi):
    """/v1/me: who the member is and whether they may post."""

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v1/me", self.me)

    async def me(self, request: web.Request) -> web.Response:
        account = self.grant(request, "profile.read").account
        blocked = account.details.get("posting_blocked")
        return web.json_response({
            "id": account.account_id,
            "display_name": account.display_name,
            "city": account.details.get("city"),
            "member_since": account.details.get("member_since"),
            "posting": {"allowed": blocked is None, "reason": blocked},
        })
