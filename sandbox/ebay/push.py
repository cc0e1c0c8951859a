"""eBay's push side of the Notification API: the alert config, destinations, subscriptions,
the signing key, the endpoint challenge, and each signed notification POSTed to its destination.

How eBay does it, and so this sandbox (Notification API overview, "Process eBay notifications";
eBay's event-notification SDKs, which verify what eBay sends):
- Challenge: before a destination is accepted eBay sends `GET {endpoint}?challenge_code=…` and
  expects 200 with JSON `{"challengeResponse": hex(SHA-256(challengeCode + verificationToken +
  endpoint))}`; any other answer refuses the destination (409, 195020).
- Push: `POST {endpoint}`, `Content-Type: application/json`, the body compact JSON, and header
  `X-EBAY-SIGNATURE` = base64 of `{"alg": "ECDSA", "kid": …, "signature": base64(DER ECDSA
  signature of the body's bytes), "digest": "SHA1"}`. The receiver fetches the key with
  getPublicKey(kid): `{"algorithm": "ECDSA", "digest": "SHA1", "key": "-----BEGIN PUBLIC
  KEY-----…-----END PUBLIC KEY-----"}`, the PEM on one line, as eBay sends it (the SDKs put the
  line breaks back before loading it). The key here is a P-256 key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from marketplaces.http import tls_context
from sandbox.ebay.marketplace import iso
from sandbox.ebay.topics import SCHEMA_VERSION

PUSH_TIMEOUT_SECONDS = 5.0


class SigningKey:
    """One ECDSA (P-256) key eBay signs with, named by its kid."""

    def __init__(self) -> None:
        self.kid = str(uuid.uuid4())
        self._private = ec.generate_private_key(ec.SECP256R1())

    def public_key_json(self) -> dict[str, str]:
        pem = self._private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        return {"algorithm": "ECDSA", "digest": "SHA1", "key": pem.replace("\n", "")}

    def header(self, body: bytes) -> str:
        """X-EBAY-SIGNATURE for these exact bytes."""
        signature = self._private.sign(body, ec.ECDSA(hashes.SHA1()))
        return signature_header(self.kid, signature)


def signature_header(kid: str, signature: bytes) -> str:
    decoded = {"alg": "ECDSA", "kid": kid, "signature": base64.b64encode(signature).decode(),
               "digest": "SHA1"}
    return base64.b64encode(json.dumps(decoded).encode()).decode()


def _client() -> httpx.AsyncClient:
    """eBay's side of a call to the receiver (loopback, the process's one TLS context)."""
    return httpx.AsyncClient(timeout=PUSH_TIMEOUT_SECONDS, verify=tls_context())


def challenge_response(challenge_code: str, verification_token: str, endpoint: str) -> str:
    return hashlib.sha256((challenge_code + verification_token + endpoint).encode()).hexdigest()


@dataclass
class Destination:
    destination_id: str
    name: str
    status: str
    endpoint: str
    verification_token: str

    def json(self) -> dict[str, Any]:
        return {"destinationId": self.destination_id, "name": self.name, "status": self.status,
                "deliveryConfig": {"endpoint": self.endpoint,
                                   "verificationToken": self.verification_token}}


@dataclass
class Subscription:
    subscription_id: str
    topic_id: str
    status: str
    destination_id: str
    owner: str  # "app" for APPLICATION topics, else the seller's account id
    created: str = field(default_factory=lambda: iso(datetime.now(UTC)))

    def json(self) -> dict[str, Any]:
        return {"subscriptionId": self.subscription_id, "topicId": self.topic_id,
                "status": self.status, "destinationId": self.destination_id,
                "creationDate": self.created,
                "payload": {"format": "JSON", "schemaVersion": SCHEMA_VERSION,
                            "deliveryProtocol": "HTTPS"}}


@dataclass(frozen=True)
class Pushed:
    """One notification as sent: where, what, and what the receiver answered (None: no answer)."""

    topic: str
    destination_id: str
    endpoint: str
    status: int | None
    notification_id: str
    body: dict[str, Any]
    signature: str | None  # the X-EBAY-SIGNATURE header sent, if any


class NotificationHub:
    """The app's notification set-up and everything pushed so far."""

    def __init__(self) -> None:
        self.alert_email: str | None = None
        self.destinations: dict[str, Destination] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.key = SigningKey()
        self.pushed: list[Pushed] = []

    async def challenge(self, endpoint: str, verification_token: str) -> bool:
        """eBay's endpoint check: the receiver must prove it knows the verification token."""
        code = secrets.token_hex(16)
        try:
            async with _client() as client:
                answer = await client.get(endpoint, params={"challenge_code": code})
            given = answer.json().get("challengeResponse") if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return False
        return given == challenge_response(code, verification_token, endpoint)

    def receivers(self, topic: str, owner: str) -> list[Destination]:
        """The enabled destinations of the owner's enabled subscriptions to a topic."""
        found = []
        for subscription in self.subscriptions.values():
            destination = self.destinations.get(subscription.destination_id)
            if (subscription.topic_id == topic and subscription.owner == owner
                    and subscription.status == "ENABLED" and destination is not None
                    and destination.status == "ENABLED" and destination not in found):
                found.append(destination)
        return found

    async def publish(
        self, topic: str, owner: str, data: dict[str, Any], *, signing: str = "signed"
    ) -> list[Pushed]:
        """One notification of `topic` to each receiver. `signing` is "signed" (as eBay signs),
        "forged" (signed with another key under eBay's kid), "tampered" (a genuine signature
        of another body) or "missing" (no X-EBAY-SIGNATURE at all)."""
        sent = []
        for destination in self.receivers(topic, owner):
            now = iso(datetime.now(UTC))
            body = {
                "metadata": {"topic": topic, "schemaVersion": SCHEMA_VERSION,
                             "deprecated": False},
                "notification": {"notificationId": f"{uuid.uuid4()}_{uuid.uuid4()}",
                                 "eventDate": now, "publishDate": now,
                                 "publishAttemptCount": 1, "data": data},
            }
            sent.append(await self._post(topic, destination, body, signing))
        self.pushed += sent
        return sent

    async def _post(
        self, topic: str, destination: Destination, body: dict[str, Any], signing: str
    ) -> Pushed:
        raw = json.dumps(body, separators=(",", ":")).encode()
        signature = {
            "signed": lambda: self.key.header(raw),
            "forged": lambda: _rekeyed(SigningKey().header(raw), self.key.kid),
            "tampered": lambda: self.key.header(raw + b" "),
            "missing": lambda: None,
        }[signing]()
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-EBAY-SIGNATURE"] = signature
        try:
            async with _client() as client:
                answer = await client.post(destination.endpoint, content=raw, headers=headers)
            status: int | None = answer.status_code
        except httpx.HTTPError:
            status = None
        return Pushed(topic, destination.destination_id, destination.endpoint, status,
                      body["notification"]["notificationId"], body, signature)


def _rekeyed(header: str, kid: str) -> str:
    """A header whose signature came from another key but names eBay's kid (a forgery)."""
    decoded = json.loads(base64.b64decode(header))
    return signature_header(kid, base64.b64decode(decoded["signature"]))
