"""What an OAuth 2 authorization server keeps: the registered clients, the people who may
approve them, the grants their approvals produce, and the refusals of a bad token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class MarketplaceAccount:
    """A person on the marketplace who may approve our app."""

    account_id: str
    display_name: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Grant:
    """What one approval produced; access and refresh tokens point back here."""

    account: MarketplaceAccount
    client_id: str
    scopes: tuple[str, ...]
    access_token: str
    access_expires_at: float
    refresh_token: str | None
    refresh_expires_at: float | None
    revoked: bool = False


class TokenRefused(Exception):
    """An API call whose token is missing, unknown, expired or revoked (`reason` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenError(Exception):
    """A token endpoint refusal; OAuthProvider.error renders it in the marketplace's shape."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
