"""Logging: one line per event, with secrets masked wherever they would appear.

httpx logs every request URL at INFO, and a Bot API URL carries the bot token, so httpx and
httpcore stay at WARNING; the redacting filter is the second line of defence for anything else.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

MASK = "[REDACTED]"
# A bot token anywhere (in a URL or not), and any bearer credential.
_GENERIC_PATTERNS = (
    re.compile(r"\b\d{5,20}:[A-Za-z0-9_-]{30,64}\b"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=|-]+"),  # | : Facebook's app_id|app_secret
    # access_token, refresh_token, Graph's input_token and fb_exchange_token, client_secret
    re.compile(r"(?i)((?:[a-z_]*_token|client_secret|code_verifier)[\"']?\s*[:=]\s*[\"']?)"
               r"[^\"'&\s,}]+"),
)
QUIET_LOGGERS = ("httpx", "httpcore", "httpx_retries", "apscheduler", "aiohttp.access")


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and traceback) with secrets replaced by a mask."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern in _GENERIC_PATTERNS:
            text = pattern.sub(
                lambda m: (m.group(1) if m.re.groups else "") + MASK, text
            )
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(
                logging.Formatter().formatException(record.exc_info)
            )
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(
    level: str = "INFO", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> RedactingFilter:
    """Install one handler (stderr by default) on the root logger, with the redacting filter."""
    redactor = RedactingFilter(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    handler.addFilter(redactor)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return redactor
