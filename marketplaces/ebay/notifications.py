"""eBay pushing events to us (Notification API): our endpoint registered and proven, sellers'
sales subscribed, and every pushed message checked before anything is done about it.

- The endpoint proves itself by answering eBay's challenge: the hex SHA-256 of the challenge
  code, our verification token and the endpoint URL, in that order.
- Each push carries `X-EBAY-SIGNATURE`: base64 of `{"alg", "kid", "signature", "digest"}`. The
  signature is ECDSA with SHA-1 over the message, verified with the public key the
  Notification API's getPublicKey returns for `kid` (kept for an hour, as eBay recommends; eBay's
  own SDKs verify the JSON as serialized without spaces, which is what eBay sends).
- One destination (our endpoint) serves every topic. MARKETPLACE_ACCOUNT_DELETION and
  AUTHORIZATION_REVOCATION are subscribed with the application token; ORDER_CONFIRMATION is a
  topic of the seller's own, subscribed with the seller's token when they connect. Set-up looks
  before it creates, so it can run at every start.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import time
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from marketplaces.base import MarketplaceError, Tokens
from marketplaces.capabilities import Event, ForgedNotification, Pushed
from marketplaces.ebay.app_token import ApplicationToken
from marketplaces.ebay.config import NAME, NOTIFICATION, EbayConfig
from marketplaces.http import ApiClient, json_object

log = logging.getLogger(__name__)

KEY_CACHE_SECONDS: Final = 3600
APPLICATION_TOPICS: Final = ("MARKETPLACE_ACCOUNT_DELETION", "AUTHORIZATION_REVOCATION")
SELLER_TOPICS: Final = ("ORDER_CONFIRMATION",)
DESTINATION_NAME: Final = "Deal Scout"


_EVENTS: Final = {
    "ORDER_CONFIRMATION": Event.SALE,
    "AUTHORIZATION_REVOCATION": Event.ACCESS_REVOKED,
    "MARKETPLACE_ACCOUNT_DELETION": Event.ACCOUNT_DELETED,
}


def challenge_response(challenge_code: str, verification_token: str, endpoint: str) -> str:
    digest = hashlib.sha256()
    for part in (challenge_code, verification_token, endpoint):
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


class Notifications:
    """Our side of eBay's Notification API, for one keyset and one endpoint."""

    def __init__(self, api: ApiClient, app_token: ApplicationToken, config: EbayConfig) -> None:
        self._api = api
        self._app_token = app_token
        self._endpoint = config.notification_endpoint
        self._verification_token = config.verification_token
        self._alert_email = config.alert_email
        self._keys: dict[str, tuple[float, ec.EllipticCurvePublicKey]] = {}
        self._destination_id: str | None = None
        self._destination_lock = asyncio.Lock()  # start-up and a seller connecting, at once

    @property
    def enabled(self) -> bool:
        return bool(self._endpoint and self._verification_token)

    def answer_challenge(self, challenge_code: str) -> str | None:
        if not (self._endpoint and self._verification_token):
            return None
        return challenge_response(challenge_code, self._verification_token, self._endpoint)

    # ── Receiving ──

    async def read(self, body: bytes, signature_header: str | None) -> Pushed:
        """The push, once its signature is eBay's; ForgedNotification otherwise."""
        signature = _signature(signature_header)
        key = await self._public_key(signature["kid"])
        try:
            message = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ForgedNotification(NAME, "the notification body is not JSON") from None
        compact = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
        for signed in dict.fromkeys((body, compact)):
            try:
                key.verify(signature["signature"], signed, ec.ECDSA(hashes.SHA1()))
                break
            except InvalidSignature:
                continue
        else:
            raise ForgedNotification(NAME, "the notification's signature does not verify")
        return _pushed(message)

    async def _public_key(self, kid: str) -> ec.EllipticCurvePublicKey:
        kept = self._keys.get(kid)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        response = await self._api.call(
            "GET", f"{NOTIFICATION}/public_key/{kid}", token=await self._app_token.get(),
            tolerate=(400, 404),
        )
        if response.status_code != 200:
            raise ForgedNotification(NAME, "the notification names a key eBay does not have")
        body = json_object(NAME, response)
        key = _load_key(str(body.get("key") or ""))
        self._keys[kid] = (time.monotonic() + KEY_CACHE_SECONDS, key)
        return key

    # ── Subscribing ──

    async def set_up(self) -> None:
        """Our destination, and the application's subscriptions to it (idempotent)."""
        if not self.enabled:
            return
        token = await self._app_token.get()
        destination = await self._destination(token)
        for topic in APPLICATION_TOPICS:
            await self._subscribe(token, topic, destination)

    async def subscribe_seller(self, tokens: Tokens) -> None:
        """The seller's sales pushed to our destination (ORDER_CONFIRMATION)."""
        if not self.enabled:
            return
        destination = await self._destination(await self._app_token.get())
        for topic in SELLER_TOPICS:
            await self._subscribe(tokens.access_token, topic, destination)

    async def _configured(self, token: str) -> None:
        """eBay takes no endpoint before the application has an alert email (195003)."""
        response = await self._api.call("GET", f"{NOTIFICATION}/config", token=token,
                                        tolerate=(404,))
        if response.status_code == 200 and json_object(NAME, response).get("alertEmail"):
            return
        if not self._alert_email:
            raise MarketplaceError(NAME, "eBay needs an alert email before it pushes anything: "
                                   "set EBAY_ALERT_EMAIL")
        await self._api.call("PUT", f"{NOTIFICATION}/config", token=token, ok=(200, 204),
                             json={"alertEmail": self._alert_email})

    async def _destination(self, token: str) -> str:
        async with self._destination_lock:
            if self._destination_id is None:
                self._destination_id = await self._find_or_create_destination(token)
            return self._destination_id

    async def _find_or_create_destination(self, token: str) -> str:
        body = await self._api.json(
            "GET", f"{NOTIFICATION}/destination", token=token, params={"limit": "100"}
        )
        for destination in body.get("destinations") or []:
            config = destination.get("deliveryConfig") or {}
            if config.get("endpoint") == self._endpoint and destination.get("destinationId"):
                return str(destination["destinationId"])
        await self._configured(token)
        response = await self._api.call(
            "POST", f"{NOTIFICATION}/destination", token=token, ok=(200, 201, 204), json={
                "name": DESTINATION_NAME,
                "status": "ENABLED",
                "deliveryConfig": {
                    "endpoint": self._endpoint, "verificationToken": self._verification_token,
                },
            },
        )
        return _created_id(response.headers.get("Location", ""), "destination")

    async def _subscribe(self, token: str, topic: str, destination_id: str) -> None:
        body = await self._api.json(
            "GET", f"{NOTIFICATION}/subscription", token=token, params={"limit": "100"}
        )
        for subscription in body.get("subscriptions") or []:
            if (subscription.get("topicId") == topic
                    and subscription.get("destinationId") == destination_id):
                if subscription.get("status") != "ENABLED":
                    await self._api.call(
                        "POST", f"{NOTIFICATION}/subscription/"
                        f"{subscription['subscriptionId']}/enable", token=token, ok=(200, 204),
                    )
                return
        version = await self._schema_version(topic)
        await self._api.call(
            "POST", f"{NOTIFICATION}/subscription", token=token, ok=(200, 201, 204), json={
                "topicId": topic,
                "status": "ENABLED",
                "destinationId": destination_id,
                "payload": {
                    "format": "JSON", "schemaVersion": version, "deliveryProtocol": "HTTPS",
                },
            },
        )

    async def _schema_version(self, topic: str) -> str:
        """The newest payload version of the topic (getTopic takes the application token)."""
        body = await self._api.json("GET", f"{NOTIFICATION}/topic/{topic}",
                                    token=await self._app_token.get())
        versions = [str(p.get("schemaVersion")) for p in body.get("supportedPayloads") or []
                    if isinstance(p, dict) and p.get("schemaVersion")]
        return versions[-1] if versions else "1.0"


def _signature(header: str | None) -> dict[str, Any]:
    if not header:
        raise ForgedNotification(NAME, "the notification is not signed")
    try:
        decoded = json.loads(base64.b64decode(header, validate=True))
        signature = base64.b64decode(str(decoded["signature"]), validate=True)
        kid = str(decoded["kid"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ForgedNotification(NAME, "the notification's signature header is malformed") from None
    if not kid or not kid.replace("-", "").isalnum():
        raise ForgedNotification(NAME, "the notification's key id is malformed")
    return {"kid": kid, "signature": signature}


def _load_key(pem: str) -> ec.EllipticCurvePublicKey:
    """eBay's key as PEM, which it may send on one line."""
    body = "".join(pem.replace("-----BEGIN PUBLIC KEY-----", "")
                   .replace("-----END PUBLIC KEY-----", "").split())
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    text = "\n".join(["-----BEGIN PUBLIC KEY-----", *lines, "-----END PUBLIC KEY-----"])
    try:
        key = serialization.load_pem_public_key(text.encode())
    except ValueError:
        raise ForgedNotification(NAME, "eBay's public key is unreadable") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ForgedNotification(NAME, "eBay's public key is not an ECDSA key")
    return key


def _pushed(message: Any) -> Pushed:
    """The push in our terms. eBay's `data` differs by topic: the account topics name the
    user at its top (userId, username); ORDER_CONFIRMATION nests them as `user`, with the
    `order` and its line items' listing ids."""
    if not isinstance(message, dict):
        raise ForgedNotification(NAME, "the notification is not an object")
    metadata = message.get("metadata")
    notification = message.get("notification")
    if not isinstance(metadata, dict) or not isinstance(notification, dict):
        raise ForgedNotification(NAME, "the notification lacks its metadata")
    data = _mapping(notification.get("data"))
    user = _mapping(data.get("user")) or data
    order = _mapping(data.get("order"))
    topic = str(metadata.get("topic") or "")
    items = [_mapping(item) for item in order.get("orderLineItems") or []
             if isinstance(item, dict)]
    return Pushed(
        event=_EVENTS.get(topic, Event.OTHER),
        topic=topic,
        notification_id=str(notification.get("notificationId") or ""),
        user_id=_text(user.get("userId")),
        username=_text(user.get("username")),
        order_id=_text(order.get("orderId") or data.get("orderId")),
        listing_ids=tuple(str(item["listingId"]) for item in items if item.get("listingId")),
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _created_id(location: str, kind: str) -> str:
    created = location.rstrip("/").rsplit("/", 1)[-1]
    if not created:
        raise MarketplaceError(NAME, f"eBay created the {kind} but did not say where")
    return created
