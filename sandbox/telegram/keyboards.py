"""reply_markup as Telegram checks it: inline keyboards (one action per button, callback data of
1-64 bytes, URL schemes), reply keyboards, keyboard removal and force-reply."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sandbox.telegram.errors import bad_request

MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100


MAX_COPY_TEXT = 256  # CopyTextButton.text: "1-256 characters"

# Reply keyboard buttons that ask the person for something are refused outside private chats,
# in TDLib's words (KeyboardButton::get_keyboard_button). The Bot API server passes a TDLib
# error on with its first letter lowercased: "Bad Request: phone number can be requested in
# private chats only", as bots see it.
PRIVATE_ONLY_REQUESTS = {
    "request_contact": "Phone number can be requested in private chats only",
    "request_location": "Location can be requested in private chats only",
    "request_poll": "Poll can be requested in private chats only",
    "request_users": "Users can be requested in private chats only",
    "request_chat": "Chats can be requested in private chats only",
    "web_app": "Web App buttons can be used in private chats only",
}


class KeyboardValidator:
    """Checks reply_markup the way Telegram does before it accepts a message."""

    INLINE_ACTIONS = (
        "url", "callback_data", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
        "callback_game", "pay",
    )
    REPLY_REQUESTS = (
        "request_users", "request_chat", "request_contact", "request_location", "request_poll",
        "web_app",
    )

    def validate(self, markup: Any, *, private: bool = True) -> dict[str, Any] | None:
        """The markup as stored, or ApiError; None when no markup was sent. `private`: the
        chat is a private chat (the only kind whose reply keyboards may ask for data)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return self._inline(markup)
        if "keyboard" in markup:
            return self._reply_keyboard(markup, private)
        if markup.get("remove_keyboard") is True:
            return {"remove_keyboard": True, **self._flags(markup, ("selective",))}
        if markup.get("force_reply") is True:
            return {"force_reply": True,
                    **self._flags(markup, ("input_field_placeholder", "selective"))}
        raise bad_request("can't parse reply keyboard markup JSON object")

    def inline_only(self, markup: Any) -> dict[str, Any] | None:
        """Edits accept only an inline keyboard."""
        checked = self.validate(markup)
        if checked is not None and "inline_keyboard" not in checked:
            raise bad_request("inline keyboard expected")
        return checked

    @staticmethod
    def _flags(markup: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        return {name: markup[name] for name in names if markup.get(name) is not None}

    @staticmethod
    def _rows(markup: dict[str, Any], key: str, owner: str) -> list[list[Any]]:
        rows = markup.get(key)
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(f'field "{key}" of the {owner} should be an Array of Arrays')
        if any(not row for row in rows):
            raise bad_request("REPLY_MARKUP_INVALID")
        if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
        return rows

    def _inline(self, markup: dict[str, Any]) -> dict[str, Any]:
        rows = self._rows(markup, "inline_keyboard", "InlineKeyboardMarkup")
        return {"inline_keyboard": [[self._inline_button(button) for button in row]
                                    for row in rows]}

    def _inline_button(self, button: Any) -> dict[str, Any]:
        if not isinstance(button, dict):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be "
                              "an Object")
        self._button_text(button, "inline keyboard button")
        actions = [name for name in self.INLINE_ACTIONS if button.get(name) is not None]
        if not actions:
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in "
                              "the inline keyboard")
        if len(actions) > 1:
            raise bad_request("can't parse inline keyboard button: exactly one of the optional "
                              f"fields must be used, found {', '.join(actions)}")
        action = actions[0]
        value = button[action]
        if action == "callback_data":
            size = len(value.encode()) if isinstance(value, str) else 0
            if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
        elif action == "url":
            self._button_url(value)
        elif action in ("web_app", "login_url"):
            if not isinstance(value, dict) or not isinstance(value.get("url"), str):
                raise bad_request(f'can\'t parse inline keyboard button: Field "url" of {action} '
                                  "must be of type String")
            self._button_url(value["url"], https_only=action == "web_app")
        elif action == "copy_text":
            text = value.get("text") if isinstance(value, dict) else None
            if not isinstance(text, str) or not 1 <= len(text) <= MAX_COPY_TEXT:
                # what api.telegram.org answers (seen in go-telegram/bot#167)
                raise bad_request("BUTTON_COPY_TEXT_INVALID")
        elif action in ("callback_game", "pay"):
            raise bad_request(f"{action} buttons are not supported by the sandbox emulator")
        return {"text": button["text"], action: value}

    @staticmethod
    def _button_text(button: dict[str, Any], what: str) -> None:
        text = button.get("text")
        if not isinstance(text, str):
            raise bad_request(f'can\'t parse {what}: Field "text" must be of type String')
        if not text.strip():
            raise bad_request("BUTTON_TEXT_INVALID")

    @staticmethod
    def _button_url(url: Any, *, https_only: bool = False) -> None:
        if not isinstance(url, str):
            raise bad_request('can\'t parse inline keyboard button: Field "url" must be of type '
                              "String")
        parts = urlsplit(url)
        allowed = ("https",) if https_only else ("http", "https", "tg")
        if parts.scheme not in allowed:
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Unsupported URL "
                              "protocol")
        if parts.scheme != "tg" and not parts.hostname:
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _reply_keyboard(self, markup: dict[str, Any], private: bool) -> dict[str, Any]:
        rows = self._rows(markup, "keyboard", "ReplyKeyboardMarkup")
        keyboard = []
        for row in rows:
            checked_row = []
            for button in row:
                if isinstance(button, str):
                    button = {"text": button}
                if not isinstance(button, dict):
                    raise bad_request("can't parse keyboard button: KeyboardButton must be a "
                                      "String or an Object")
                self._button_text(button, "keyboard button")
                # request_location: true asks; request_poll: {} (any kind of poll) asks too
                requests = [name for name in self.REPLY_REQUESTS
                            if button.get(name) not in (None, False)]
                if len(requests) > 1:
                    raise bad_request("can't parse keyboard button: only one request type may "
                                      "be used")
                if requests and not private:
                    refusal = PRIVATE_ONLY_REQUESTS[requests[0]]
                    raise bad_request(refusal[0].lower() + refusal[1:])
                checked_row.append({key: value for key, value in button.items()
                                    if value is not None})
            keyboard.append(checked_row)
        extras = ("is_persistent", "resize_keyboard", "one_time_keyboard",
                  "input_field_placeholder", "selective")
        return {"keyboard": keyboard, **self._flags(markup, extras)}
