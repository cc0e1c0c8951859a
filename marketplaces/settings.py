"""Reading settings from the environment, the same way for the bot and every marketplace.

An operator fixes configuration faster when `python -m bot check` names every problem at once,
so a reader collects problems instead of stopping at the first, and the caller raises them
together. Values are trimmed, an empty one counts as unset, and a URL setting must be http(s).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit


def is_http_url(value: str) -> bool:
    """An absolute http:// or https:// URL with a host."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def callback_url(public_base_url: str | None, marketplace: str) -> str | None:
    """Where our web server takes a marketplace's OAuth redirect, when the public URL is known."""
    if not public_base_url:
        return None
    return f"{public_base_url.rstrip('/')}/oauth/{marketplace}/callback"


class EnvReader:
    """One group of settings read from `env`; `problems` names each one missing or malformed."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self.problems: list[str] = []

    def get(self, name: str) -> str | None:
        """The trimmed value, None when unset or blank."""
        return self._env.get(name, "").strip() or None

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def require(self, name: str, hint: str | None = None, *, default: str | None = None) -> str:
        """The value (else `default`); a problem naming it when neither is there ("" then)."""
        value = self.get(name) or default
        if value is None:
            self.problem(f"{name} is missing" + (f" ({hint})" if hint else ""))
        return value or ""

    def url(
        self, name: str, default: str | None = None, *, missing: str | None = None
    ) -> str | None:
        """An http(s) URL as given, else `default`. A value that is set but malformed is a
        problem; so is having neither when `missing` says why the URL is needed."""
        value = self.get(name)
        if value is None:
            if default is None and missing is not None:
                self.problem(f"{name} is missing ({missing})")
            return default
        if not is_http_url(value):
            self.problem(f"{name} is malformed (expected an http:// or https:// URL)")
        return value

    def raise_problems(self, subject: str) -> None:
        """ValueError naming every problem, prefixed by `subject`; nothing when all is well."""
        if self.problems:
            raise ValueError(f"{subject}: " + "; ".join(self.problems))
