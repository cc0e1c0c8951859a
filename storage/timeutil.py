"""What time it is, and UTC timestamps as stored: ISO 8601 text with a trailing Z, which sorts as
time does.

Repositories ask a `Clock` rather than the system, so whatever runs them (the bot, a test that
needs a week to pass) decides what "now" is.
"""

from __future__ import annotations

from datetime import UTC, datetime


class Clock:
    """The system's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_db(self) -> str:
        return to_db(self.now())


SYSTEM_CLOCK = Clock()


def utcnow() -> datetime:
    return SYSTEM_CLOCK.now()


def to_db(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_db() -> str:
    return SYSTEM_CLOCK.now_db()


def from_db(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
