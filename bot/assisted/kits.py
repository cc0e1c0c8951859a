"""A listing kit in chat, for each marketplace without a listing API the seller chose: the
photos prepared to its rules as one album, a card with copy buttons and a button that opens its
new-listing page, and the description as a message of its own that copies whole.

A kit is written down as chosen before it is sent and as sent once the card is out, so a crash
in between sends it again at the next start (the album may then come twice; nothing is lost).
"""

from __future__ import annotations

import logging

from telegram import (
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from telegram.error import TelegramError

from bot.assisted import texts
from bot.buttons import KitLater, SkipKit, button
from bot.context import BotContext, DealScoutApplication
from bot.parsing import format_price
from marketplaces.assisted import AssistedMarketplace
from marketplaces.base import Condition
from marketplaces.photos import PhotoRejected, prepare_async
from storage.assisted import KIT_SENT, PENDING
from storage.listings import StoredListing

log = logging.getLogger(__name__)

COPY_TEXT_MAX = 256  # Telegram's CopyTextButton.text: 1–256 characters
ALBUM_MAX = 10  # photos in one sendMediaGroup


def fit(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word where there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return cut if len(cut) >= limit // 2 else text[:limit]


def price_text(cents: int) -> str:
    """The price as a marketplace's price box takes it: 40 or 40.50, no $ and no commas."""
    return f"{cents // 100}" if cents % 100 == 0 else f"{cents // 100}.{cents % 100:02d}"


def copy_button(label: str, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, copy_text=CopyTextButton(text[:COPY_TEXT_MAX]))


def card_keyboard(
    kit: AssistedMarketplace, listing: StoredListing, title: str
) -> InlineKeyboardMarkup:
    condition = kit.condition_words(Condition(listing.condition))
    fields = [copy_button("📋 Title", title),
              copy_button(f"📋 {format_price(listing.price_cents)}",
                          price_text(listing.price_cents)),
              copy_button(f"📋 {condition}", condition)]
    if listing.category:
        fields.append(copy_button(f"📋 {listing.category}", listing.category))
    return InlineKeyboardMarkup([
        fields[:2], fields[2:],
        [InlineKeyboardButton(f"Open {kit.display_name} ↗", url=kit.new_listing_url)],
        [button("Remind me later", KitLater(listing.id, kit.name)),
         button("Skip", SkipKit(listing.id, kit.name))],
    ])


class KitSender:
    """Sends the kits of a listing: after Post, and at start for any a crash cut short."""

    def __init__(self, application: DealScoutApplication) -> None:
        self._application = application
        self._services = application.services

    async def send_pending(self, listing_id: int) -> None:
        services = self._services
        listing = await services.listings.get(listing_id)
        if listing is None:
            return
        for copy in await services.assisted.copies(listing_id):
            kit = services.kits.get(copy.marketplace)
            if copy.state != PENDING or kit is None:
                continue
            try:
                await self.send(listing, kit)
            except TelegramError as exc:  # blocked, or Telegram is down: the next start tries
                log.warning("kit for listing %s on %s not sent: %s", listing_id, kit.name, exc)
                return

    async def resume(self) -> None:
        for listing_id in await self._services.assisted.unsent_kits():
            await self.send_pending(listing_id)

    async def send(self, listing: StoredListing, kit: AssistedMarketplace) -> Message:
        """The album, the card, the description; the card is returned (it waits for a link).

        The copy waits for its link from the moment the card is out, before the description
        follows it: a seller who pastes the link at once must find it waiting."""
        bot = self._application.bot
        chat = listing.telegram_id
        await self._album(listing, kit)
        title = fit(listing.title, kit.title_max)
        card = await bot.send_message(
            chat, texts.kit_card(kit, title, shortened=title != listing.title),
            reply_markup=card_keyboard(kit, listing, title),
        )
        await self._services.assisted.mark(listing.id, kit.name, KIT_SENT,
                                           card_message_id=card.message_id)
        if listing.description:
            await bot.send_message(chat, fit(listing.description, kit.description_max),
                                   parse_mode=None)
        return card

    async def resend_card(self, listing: StoredListing, kit: AssistedMarketplace) -> Message:
        """The card again (Remind me later): the album and description are still above."""
        title = fit(listing.title, kit.title_max)
        await self._application.bot.send_message(
            listing.telegram_id, texts.kit_again(kit.display_name, listing.title)
        )
        return await self._application.bot.send_message(
            listing.telegram_id, texts.kit_card(kit, title, shortened=title != listing.title),
            reply_markup=card_keyboard(kit, listing, title),
        )

    async def _album(self, listing: StoredListing, kit: AssistedMarketplace) -> None:
        """The listing's photos prepared to the marketplace's rules: upright, EXIF and GPS
        gone, sized for it; as many as it takes."""
        held = await self._services.listings.photo_bytes(listing)
        prepared = []
        for data in held[:kit.photo_max]:
            try:
                prepared.append(await prepare_async(data, kit.rules))
            except PhotoRejected as refused:  # e.g. under its minimum size: left out, said
                log.info("a photo left out of the %s kit: %s", kit.name, refused.message)
        if not prepared:
            return
        caption = texts.kit_photos(kit, len(prepared), len(held))
        bot = self._application.bot
        if len(prepared) == 1:
            await bot.send_photo(listing.telegram_id, prepared[0], caption=caption)
            return
        for number, group in enumerate(albums(prepared)):
            await bot.send_media_group(listing.telegram_id, [
                InputMediaPhoto(photo, caption=caption if number == i == 0 else None)
                for i, photo in enumerate(group)
            ])


async def resume_kits(context: BotContext) -> None:
    """At start: the kits a crash kept from being sent."""
    await KitSender(context.application).resume()


def albums(photos: list[bytes]) -> list[list[bytes]]:
    """Photos in albums of 2 to 10 (sendMediaGroup takes no fewer and no more)."""
    groups = [photos[i:i + ALBUM_MAX] for i in range(0, len(photos), ALBUM_MAX)]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-1].insert(0, groups[-2].pop())
    return groups
