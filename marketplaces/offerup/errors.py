"""OfferUp's error answers (RFC 9457 problem documents) → our error family.

The partner is an outside party, so a problem document is read defensively (any member may be
missing) and only cleaned, bounded phrases of it reach a seller: the fields it names, and the
reason an account may not post.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

from marketplaces.base import (
    MarketplaceError,
    NeedsReconnect,
    Rejected,
    TemporarilyUnavailable,
    TokenExpired,
)
from marketplaces.http import status_error
from marketplaces.offerup.config import NAME

PROBLEM_PREFIX: Final = "tag:dealscout.app,2025:offerup/"

# First segment of a problem's errors[].field → (our Rejected.field, the word a seller knows)
_FIELDS: Final = {
    "title": ("title", "title"),
    "description": ("description", "description"),
    "price": ("price", "price"),
    "condition": ("condition", "condition"),
    "category_id": ("category", "category"),
    "photo_ids": ("photos", "photos"),
    "file": ("photos", "photo"),
    "location": ("location", "location"),
}
_FIELD_HEAD: Final = re.compile(r"^[A-Za-z_]+")
_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f]+")

_CLOSED: Final = (
    "This item is already sold or withdrawn on OfferUp, so it can't be changed there."
)
_SOLD: Final = "This item has already sold on OfferUp, so it can't be withdrawn there."
_PHOTO_TOO_BIG: Final = "A photo is too large for OfferUp (over 12 MB). Send a smaller photo."
_PHOTO_UNREADABLE: Final = (
    "OfferUp couldn't read one of the photos. Send it again as a regular photo."
)
_RESTRICTED: Final = {
    "phone_unverified": (
        "Your OfferUp account can't post yet: confirm your phone number in the OfferUp app "
        "(Account → Account settings), then try again."
    ),
    "suspended": (
        "OfferUp has suspended posting on your account. Contact OfferUp support; I can't post "
        "there until they lift it."
    ),
}
_RESTRICTED_OTHER: Final = (
    "Your OfferUp account can't post listings right now. Check the OfferUp app for a notice, "
    "then try again."
)


@dataclass(frozen=True)
class Problem:
    """What an error response says, read defensively: any member may be missing."""

    status: int
    kind: str  # the part after the tag prefix, "" for about:blank and unknown types
    detail: str
    errors: tuple[tuple[str, str], ...]  # (field path, message)
    members: Mapping[str, Any]

    @classmethod
    def read(cls, response: httpx.Response) -> Problem:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        kind = str(body.get("type", ""))
        errors = tuple(
            (str(item.get("field", "")), str(item.get("message", "")))
            for item in body.get("errors") or ()
            if isinstance(item, dict)
        )
        return cls(
            status=response.status_code,
            kind=kind.removeprefix(PROBLEM_PREFIX) if kind.startswith(PROBLEM_PREFIX) else "",
            detail=_clean(str(body.get("detail") or body.get("title") or "")),
            errors=errors,
            members=body,
        )


def _clean(text: str, limit: int = 200) -> str:
    """A partner's phrase made safe to show: one line, bounded."""
    return _UNPRINTABLE.sub(" ", text).strip()[:limit]


def restricted(reason: str) -> Rejected:
    """The account may not post; `reason` is the contract's word for why."""
    return Rejected(NAME, _RESTRICTED.get(reason, _RESTRICTED_OTHER), field="account")


def _validation_rejection(problem: Problem) -> Rejected:
    """One sentence naming every refused field, and each of those fields, in order."""
    if not problem.errors:
        detail = problem.detail.rstrip(".") or "it is invalid"
        return Rejected(NAME, f"OfferUp didn't accept this listing: {detail}.")
    parts: list[str] = []
    fields: list[str] = []
    for path, message in problem.errors:
        head = _FIELD_HEAD.match(path)
        ours, word = _FIELDS.get(head.group(0) if head else "", (None, _clean(path, 40)))
        if ours is not None:
            fields.append(ours)
        parts.append(f"the {word} {_clean(message).rstrip('.') or 'is not accepted'}")
    return Rejected(
        NAME,
        "OfferUp didn't accept this listing: "
        + "; ".join(dict.fromkeys(parts))
        + ". Fix it and try again.",
        also=fields,
    )


def api_error(response: httpx.Response) -> MarketplaceError:
    """Any non-success answer from /v1 as one of our errors; never carries a token."""
    overload = status_error(NAME, response)
    if overload is not None:
        return overload
    problem = Problem.read(response)
    challenge = response.headers.get("WWW-Authenticate", "")
    if response.status_code == 401:
        return TokenExpired(NAME, "OfferUp no longer accepts the access token")
    if response.status_code == 403 and "insufficient_scope" in challenge:
        return NeedsReconnect(
            NAME, "the OfferUp connection lacks a permission Deal Scout needs; connect again"
        )
    if problem.kind == "account-restricted" or response.status_code == 403:
        return restricted(str(problem.members.get("reason", "")))
    if problem.kind == "idempotency-key-in-flight":
        return TemporarilyUnavailable(NAME, "OfferUp is still creating this listing; retry shortly")
    if problem.kind == "listing-closed":
        return Rejected(NAME, _CLOSED)
    if response.status_code == 413:
        return Rejected(NAME, _PHOTO_TOO_BIG, field="photos")
    if response.status_code == 422:
        return _validation_rejection(problem)
    return MarketplaceError(
        NAME, f"OfferUp answered {response.status_code}: {problem.detail or 'no detail'}"
    )


def withdraw_error(response: httpx.Response) -> MarketplaceError:
    """`api_error` for archiving, where a closed listing means it has sold."""
    if Problem.read(response).kind == "listing-closed":
        return Rejected(NAME, _SOLD)
    return api_error(response)


def upload_error(response: httpx.Response) -> MarketplaceError:
    """`api_error` for a photo upload, where 415 means the partner could not read the photo."""
    if response.status_code == 415:
        return Rejected(NAME, _PHOTO_UNREADABLE, field="photos")
    return api_error(response)
