"""A strict Telegram Bot API emulator, served over real HTTP with aiohttp.

Why: the bot's tests and demo must run the real python-telegram-bot stack against something that
fails the way api.telegram.org fails. The emulator refuses what Telegram refuses, with Telegram's
status codes and description texts, and sends every field PTB needs to parse an update (PTB drops
an update with only a log line when one is missing).

Point PTB at it::

    emulator = TelegramEmulator()
    await emulator.start()
    app = (ApplicationBuilder().token(emulator.token).base_url(emulator.base_url)
           .base_file_url(emulator.base_file_url).build())

and play the human with ``emulator.seller(...)``: ``send_text``, ``send_photo``, ``press`` ...

The package, one job a module: ``server`` (the HTTP routes, the token check, the call record)
and ``control`` (the ``/_sandbox/`` side door); the Bot API methods in ``messages``,
``callbacks``, ``commands`` and ``updates``, with ``delivery`` (update queue, webhook pusher)
and ``ratelimit``; ``params`` (request parameters), ``formatting`` (HTML to text and entities),
``keyboards`` (reply_markup), ``files`` and ``media`` (stored files, uploads and URLs);
``room`` (one chat as its people see it), ``acting`` (what a person does in a chat),
``seller`` (a person and their private chat), ``group`` (groups, supergroups and channels, their
members and privacy mode) and ``chat`` (one message); ``errors`` and ``signals``.

Where the emulator knowingly differs from api.telegram.org:

* Webhook URLs may be http or https, on any host and port, like the local Bot API server
  (``telegram-bot-api --local``); api.telegram.org wants https on ports 80, 88, 443 or 8443.
* URL buttons may point at loopback (the sandbox marketplaces live there). ``sendPhoto`` and
  ``sendDocument`` fetch an http(s) URL only when it is on loopback, so nothing leaves the machine.
* A bare "&" in HTML text is refused, as the Bot API documentation demands ("All <, > and &
  symbols that are not a part of a tag or an HTML entity must be replaced"); the real server
  lets it through as a literal. Escaping with ``html.escape`` satisfies both.
* Webhook delivery is one update at a time, in order; a failed post is retried
  ``delivery.WEBHOOK_ATTEMPTS`` times with a short backoff, then the update is dropped and the
  error is shown by getWebhookInfo (Telegram keeps trying for hours). max_connections is only
  stored.
* Rate limit: one sliding one-second window over the sending methods (sendMessage, sendPhoto,
  sendDocument, sendMediaGroup and the three editMessage* methods), one count per call.
  sendChatAction, answerCallbackQuery and deleteMessage are not limited. Telegram also limits
  per chat; the emulator does not.
* Telegram accepts an answer to a button press only for a short while, and does not document
  how long; the emulator sets no limit unless ``callback_answer_seconds`` is given one.
* Private chats, groups, supergroups and channels exist (``emulator.group(...)``); a group has
  no admins but the bot's own flag, no topics, and no other bots, so a general command counts
  as meant for this bot (Telegram's rule when it was the last bot to write there).
* Text lengths are counted in UTF-16 code units, after entity parsing and after trimming
  surrounding whitespace, as Telegram trims.
* Only parse_mode HTML and plain text (with or without explicit entities) are modelled: a
  text or caption sent with parse_mode MarkdownV2 or Markdown is refused with 400 "parse_mode
  ... is not modelled by the sandbox emulator", where Telegram would parse it.
* Inline mode, games, payments, video and audio are not modelled; they are refused clearly.
"""

from sandbox.telegram.chat import ChatMessage
from sandbox.telegram.errors import ApiError, EmulatorError
from sandbox.telegram.group import GroupChat, GroupMember
from sandbox.telegram.seller import Seller, login_hash
from sandbox.telegram.server import DEFAULT_TOKEN, ApiCall, TelegramEmulator

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "ChatMessage",
    "EmulatorError",
    "GroupChat",
    "GroupMember",
    "Seller",
    "TelegramEmulator",
    "login_hash",
]
