"""Where the database is: a SQLite file (the embedded default) or a PostgreSQL URL, and that URL
as it may be shown anywhere, which is without its password."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

SCHEMES = ("postgresql", "postgres")
EXAMPLE = "postgresql://user:password@host:5432/database"
MASK = "***"
_PREFIXES = tuple(f"{scheme}://" for scheme in SCHEMES)


def is_postgres_url(location: str | Path) -> bool:
    """True when `location` names a PostgreSQL server rather than a SQLite file."""
    return isinstance(location, str) and location.strip().lower().startswith(_PREFIXES)


@dataclass(frozen=True)
class PostgresUrl:
    """A validated `postgresql://` URL. `str()` and `repr()` give the redacted form."""

    url: str = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> PostgresUrl:
        """Check the URL's shape; the error says what is wrong without repeating the URL,
        which may hold a password."""
        try:
            parts = urllib.parse.urlsplit(text.strip())
        except ValueError as exc:
            raise ValueError(f"it is not a URL ({exc}); expected {EXAMPLE}") from None
        if not is_postgres_url(text):
            raise ValueError(f"it must start with postgresql://, as in {EXAMPLE}")
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"its port is not a number from 1 to 65535, as in {EXAMPLE}") from None
        if port == 0:
            raise ValueError(f"its port is not a number from 1 to 65535, as in {EXAMPLE}")
        if "," in parts.netloc:
            raise ValueError("name one server: several hosts in one URL are not supported")
        database = urllib.parse.unquote(parts.path.lstrip("/"))
        if "/" in database:
            raise ValueError(f"its path must be just the database name, as in {EXAMPLE}")
        if parts.query:
            try:
                urllib.parse.parse_qs(parts.query, strict_parsing=True)
            except ValueError:
                raise ValueError("its query part is not name=value pairs joined by &") from None
        return cls(text.strip())

    @property
    def _parts(self) -> urllib.parse.SplitResult:
        return urllib.parse.urlsplit(self.url)

    @property
    def password(self) -> str | None:
        password = self._parts.password
        return urllib.parse.unquote(password) if password else None

    @property
    def redacted(self) -> str:
        """The URL with its password replaced by ***: safe for a log line or an error."""
        parts = self._parts
        if parts.password is None:
            return self.url
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))

    def with_server_settings(self, **settings: str) -> PostgresUrl:
        """The same URL with server settings (e.g. search_path) added to its query: asyncpg
        passes query parameters it does not know to the server as settings."""
        parts = self._parts
        query = urllib.parse.parse_qsl(parts.query) + list(settings.items())
        return PostgresUrl(urllib.parse.urlunsplit(
            parts._replace(query=urllib.parse.urlencode(query))))

    def hide_password(self, text: str) -> str:
        """`text` (an error from the driver, say) with this URL's password masked."""
        password, raw = self.password, self._parts.password
        for secret in (password, raw):
            if secret:
                text = text.replace(secret, MASK)
        return text

    def __str__(self) -> str:
        return self.redacted
