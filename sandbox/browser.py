"""The seller's browser during a connection: chat button → our start page → the marketplace's
consent page → back to our callback. Used by the demo and the tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from marketplaces.http import tls_context
from sandbox.facebook import ROSA
from sandbox.kit import OAuthProvider
from sandbox.telegram import ChatMessage, Seller

if TYPE_CHECKING:
    from sandbox.world import SandboxWorld


async def request_link(seller: Seller, display_name: str) -> str:
    """/connect, tap the marketplace, and return the address the Login URL button opens."""
    await seller.send_command("connect")
    menu = await seller.next_message()
    await seller.press(f"Connect {display_name}", message_id=menu.message_id)
    button = f"🔗 Open {display_name}"
    await seller.wait_for(lambda _: any(  # the menu turns into the link (an older one is spent)
        button in label for row in menu.buttons for label in row
    ))
    return seller.open_link(button, message_id=menu.message_id)


async def finish_in_browser(
    browser: httpx.AsyncClient, link: str, oauth: OAuthProvider, *, approve: bool = True,
    account_id: str | None = None,
) -> httpx.Response:
    """Open our start link, approve (or deny) on the marketplace as `account_id` (the
    sandbox's first account by default), follow it back to our callback; return our page."""
    start = await browser.get(link)
    if start.status_code != 302:
        raise ValueError(f"our start page refused the link: {start.status_code}")
    back_to_us = await oauth.consent(
        start.headers["location"], approve=approve, account_id=account_id
    )
    return await browser.get(back_to_us)


async def connect(
    seller: Seller, display_name: str, oauth: OAuthProvider, *, approve: bool = True,
    account_id: str | None = None,
) -> tuple[httpx.Response, ChatMessage]:
    link = await request_link(seller, display_name)
    async with httpx.AsyncClient(follow_redirects=False, timeout=10,
                                 verify=tls_context()) as browser:
        page = await finish_in_browser(
            browser, link, oauth, approve=approve, account_id=account_id
        )
    return page, await seller.next_message()


async def connect_all(
    world: SandboxWorld, seller: Seller, *, ebay_account: str | None = None
) -> None:
    """eBay, Facebook (as Rosa, who has one catalog) and OfferUp, through the consent pages."""
    for display, sandbox, account in (
        ("eBay", world.ebay, ebay_account), ("Facebook Shop (catalog)", world.facebook, ROSA),
        ("OfferUp", world.offerup, None),
    ):
        page, _ = await connect(seller, display, sandbox.oauth, account_id=account)
        if page.status_code != 200:
            raise ValueError(f"connecting {display} ended on {page.status_code}, not our page")
