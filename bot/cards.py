"""Each listing's one card in its seller's chat, kept current.

The card is a message whose chat and id are stored with the listing: the preview that became
the publishing progress, or the /listings message the seller opened the listing in last. It is
only ever edited in the chat it was stored with (listings from before migration 0016 have a
message id without its chat: never edited by id alone, their next news is a new card). Whatever
happens to the listing (a copy lands, the price changes, it sells, a fix is posted) edits that
message; a confirm prompt or a question is put on it in place and answered there, so the
chat does not fill with one message per step. There is never a second card with live buttons:
when the card moves to another message, the old one loses its buttons and keeps its text.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, TelegramError

from bot.selling import card
from storage.listings import CrossPost, StoredListing

if TYPE_CHECKING:
    from bot.context import Services

log = logging.getLogger(__name__)

# A typed answer this many messages or fewer below the card: the card is still on screen, so
# it is edited in place; further down, the card comes again below the answer.
NEAR = 4
_KEEP = object()  # show(): keep the news the card had


class Cards:
    """Draws each listing's card from the database and keeps it on screen."""

    def __init__(self, services: Services, bot: Bot) -> None:
        self._services = services
        self._bot = bot
        # listing → what is on screen now: (chat id, message id, text, buttons)
        self._shown: dict[int, tuple[int | None, int | None, str, str]] = {}
        self._news: dict[int, str] = {}  # listing → what happened last
        self._pages: dict[int, int] = {}  # listing → the /listings page it was opened from
        self._prompts: set[int] = set()  # listings whose card holds a prompt or a question
        self._asking: dict[int, int] = {}  # seller → the listing whose card asks a question
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def show(
        self, listing_id: int, *, news: object = _KEEP,
        rows: list[CrossPost] | None = None, busy: bool = False,
    ) -> None:
        """Draw the card again, in place of any prompt on it. `news` replaces what the card
        says happened last (None: nothing); `busy`: the step it tells of is under way, so the
        card has no buttons until it is drawn again."""
        if news is not _KEEP:
            self._set_news(listing_id, news if isinstance(news, str) else None)
        self._prompts.discard(listing_id)
        for seller, asked in list(self._asking.items()):
            if asked == listing_id:  # its question is over
                del self._asking[seller]
        await self._draw(listing_id, rows, busy)

    async def refresh(self, listing_id: int, rows: list[CrossPost] | None = None) -> None:
        """Background news (a copy landed, a retry is due): the card is drawn again, unless the
        seller is answering a prompt on it, whose answer draws it anyway."""
        if listing_id not in self._prompts:
            await self._draw(listing_id, rows, False)

    async def prompt(
        self, listing: StoredListing, message: Message | None, text: str,
        markup: InlineKeyboardMarkup | None, *, question: bool = False,
    ) -> None:
        """Put a confirm prompt (or, with `question`, a question answered by typing) on the
        card, in the message the seller pressed on, which becomes the card. A question open on
        another listing's card is closed first: that card comes back."""
        if message is not None:
            await self.adopt(listing, message)
        if question:
            earlier = self._asking.get(listing.telegram_id)
            if earlier is not None and earlier != listing.id:
                await self.show(earlier)
            self._asking[listing.telegram_id] = listing.id
        self._prompts.add(listing.id)
        async with self._locks[listing.id]:
            current = await self._services.listings.get(listing.id)
            if current is None:
                return
            try:
                await self._put(current, text, markup)
            except TelegramError as exc:
                log.warning("prompt on the card of listing %s not shown: %s", listing.id, exc)

    async def answered(self, listing_id: int, answer: Message) -> None:
        """The seller typed `answer` to the card's question. Near the card (in the same chat),
        the card is edited next; far below it, the question keeps its words without its
        buttons and the card comes again under the answer."""
        self._prompts.discard(listing_id)
        listing = await self._services.listings.get(listing_id)
        if listing is None:
            return
        chat_id, card_id = listing.progress_chat_id, listing.progress_message_id
        if card_id is None:
            return
        near = chat_id == answer.chat.id and answer.message_id - card_id <= NEAR
        if not near:
            await self._services.listings.set_progress_message(listing_id, None, None)
            self._shown.pop(listing_id, None)
            if chat_id is not None:  # a card without its chat is never edited by id alone
                await self._strip(chat_id, card_id)

    async def adopt(self, listing: StoredListing, message: Message) -> None:
        """`message` is the listing's card from now on; the old card loses its buttons."""
        old_chat, old_id = listing.progress_chat_id, listing.progress_message_id
        if (old_chat, old_id) == (message.chat.id, message.message_id):
            return
        await self._services.listings.set_progress_message(
            listing.id, message.chat.id, message.message_id
        )
        self._shown.pop(listing.id, None)
        self._prompts.discard(listing.id)
        if old_chat is not None and old_id is not None:
            await self._strip(old_chat, old_id)

    async def forget(self, message: Message) -> None:
        """The message shows something else now (the list again): no listing's card is there."""
        for listing_id in await self._services.listings.forget_card(message.chat.id,
                                                                    message.message_id):
            self._shown.pop(listing_id, None)
            self._prompts.discard(listing_id)

    def opened_from(self, listing_id: int, page: int) -> None:
        """The seller opened the card from this /listings page: « All listings goes back to it."""
        self._pages[listing_id] = page

    def page_of(self, listing_id: int) -> int:
        return self._pages.get(listing_id, 0)

    async def view(
        self, listing: StoredListing, rows: list[CrossPost] | None = None, *,
        actions: bool = True,
    ) -> card.CardView:
        """What the card is drawn from (without `actions`: only what a /listings line needs)."""
        services = self._services
        rows = rows if rows is not None else await services.listings.cross_posts(listing.id)
        can_add = (actions and listing.state == "active" and card.finished(rows)
                   and bool(await self.more_marketplaces(listing, rows)))
        return card.CardView(
            listing=listing, rows=rows, names=services.display_names(),
            by_hand=await services.assisted.copies(listing.id),
            waiting=await services.assisted.waiting(listing.id), can_add=can_add,
            news=self._news.get(listing.id), page=self.page_of(listing.id),
        )

    async def more_marketplaces(
        self, listing: StoredListing, rows: list[CrossPost]
    ) -> list[str]:
        """The seller's connected marketplaces the listing is not on yet."""
        used = {row.marketplace for row in rows}
        accounts = await self._services.accounts.for_seller(listing.telegram_id)
        return [a.marketplace for a in accounts
                if a.status == "connected" and a.marketplace in self._services.marketplaces
                and a.marketplace not in used]

    def _set_news(self, listing_id: int, news: str | None) -> None:
        if news:
            self._news[listing_id] = news
        else:
            self._news.pop(listing_id, None)

    async def _draw(self, listing_id: int, rows: list[CrossPost] | None, busy: bool) -> None:
        """Edit the card, only when what it shows changed. Results land concurrently, so one
        listing's draws take turns."""
        async with self._locks[listing_id]:
            listing = await self._services.listings.get(listing_id)
            if listing is None:
                return
            view = replace(await self.view(listing, rows, actions=not busy), busy=busy)
            text, markup = card.text(view), card.buttons(view)
            on_screen = (listing.progress_chat_id, listing.progress_message_id, text,
                         _keys(markup))
            if self._shown.get(listing_id) == on_screen:
                return
            try:
                await self._put(listing, text, markup)
            except TelegramError as exc:
                # Telegram is down or the seller blocked the bot: the listing goes on regardless.
                log.warning("card of listing %s not shown: %s", listing_id, exc)

    async def _put(
        self, listing: StoredListing, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Edit the card, in the chat it was sent in; with none to edit (the seller deleted it,
        the bot died before recording one, or one recorded without its chat), send a fresh one
        to the seller, so they still see it."""
        chat_id, message_id = listing.progress_chat_id, listing.progress_message_id
        edited = False
        if chat_id is not None and message_id is not None:
            try:
                await self._bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=markup,
                )
                edited = True
            except BadRequest as exc:
                edited = "not modified" in str(exc)
                if not edited:
                    log.warning("card edit for listing %s failed: %s", listing.id, exc)
        if not edited:
            message = await self._bot.send_message(listing.telegram_id, text,
                                                   reply_markup=markup)
            chat_id, message_id = message.chat_id, message.message_id
            await self._services.listings.set_progress_message(listing.id, chat_id, message_id)
        self._shown[listing.id] = (chat_id, message_id, text, _keys(markup))

    async def _strip(self, chat_id: int, message_id: int) -> None:
        """A message that is no longer a card keeps its words and loses its buttons."""
        try:
            await self._bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=None
            )
        except TelegramError as exc:  # already without buttons, or deleted: nothing to strip
            log.debug("message %s kept as it was: %s", message_id, exc)


def _keys(markup: InlineKeyboardMarkup | None) -> str:
    return repr(markup.to_dict()) if markup else ""
