"""The eBay sandbox's Notification API and pushes: the endpoint challenge, subscriptions that
can be made idempotently, and notifications a receiver can verify with getPublicKey alone."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.ebay import (
    ANA,
    AUTHORIZATION_REVOCATION,
    MARKETPLACE_ACCOUNT_DELETION,
    ORDER_CONFIRMATION,
    EbaySandbox,
)
from sandbox.ebay.oauth import USER_SCOPES
from sandbox.kit.server import LoopbackServer
from tests.standins.ebay_helpers import app_token, error_ids, publish_headphones

NOTIFICATION = "/commerce/notification/v1"
TOKEN = "dealscout-verification-token-0123456789abcdef"


class Receiver(LoopbackServer):
    """Our side of a destination: answers eBay's challenge and keeps what is pushed."""

    def __init__(self, token: str = TOKEN, *, honest: bool = True) -> None:
        super().__init__()
        self.token, self.honest = token, honest
        self.received: list[tuple[bytes, dict[str, str]]] = []

    @property
    def endpoint(self) -> str:
        return f"{self.url}/ebay/notifications"

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ebay/notifications", self.challenge)
        app.router.add_post("/ebay/notifications", self.push)
        return app

    async def challenge(self, request: web.Request) -> web.Response:
        code = request.query["challenge_code"]
        token = self.token if self.honest else "not-the-token"
        digest = hashlib.sha256((code + token + self.endpoint).encode()).hexdigest()
        return web.json_response({"challengeResponse": digest})

    async def push(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), dict(request.headers)))
        return web.Response(status=204)


@pytest.fixture
async def sandbox() -> AsyncIterator[EbaySandbox]:
    async with EbaySandbox() as server:
        assert isinstance(server, EbaySandbox)
        yield server
        assert server.response_violations == []


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as server:
        assert isinstance(server, Receiver)
        yield server


def client(sandbox: EbaySandbox, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.url, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def app(sandbox: EbaySandbox) -> AsyncIterator[httpx.AsyncClient]:
    """The application's token (client credentials, api_scope)."""
    async with client(sandbox, app_token(sandbox)) as api:
        yield api


@pytest.fixture
async def ana(sandbox: EbaySandbox) -> AsyncIterator[httpx.AsyncClient]:
    grant = sandbox.oauth.issue(sandbox.oauth.accounts[ANA], sandbox.client_id, USER_SCOPES)
    async with client(sandbox, grant.access_token) as api:
        yield api


async def destination(app: httpx.AsyncClient, endpoint: str, token: str = TOKEN) -> httpx.Response:
    return await app.post(f"{NOTIFICATION}/destination", json={
        "name": "Deal Scout", "status": "ENABLED",
        "deliveryConfig": {"endpoint": endpoint, "verificationToken": token},
    })


async def subscribe(api: httpx.AsyncClient, topic: str, destination_id: str) -> httpx.Response:
    return await api.post(f"{NOTIFICATION}/subscription", json={
        "topicId": topic, "status": "ENABLED", "destinationId": destination_id,
        "payload": {"format": "JSON", "schemaVersion": "1.0", "deliveryProtocol": "HTTPS"},
    })


async def set_up(app: httpx.AsyncClient, receiver: Receiver) -> str:
    config = await app.put(f"{NOTIFICATION}/config", json={"alertEmail": "ops@example.org"})
    assert config.status_code == 204
    created = await destination(app, receiver.endpoint)
    assert created.status_code == 201, created.text
    return str(created.headers["Location"]).rsplit("/", 1)[-1]


def verify(body: bytes, header: str, public_key: dict[str, Any]) -> None:
    """What a receiver does with only getPublicKey's answer (as eBay's SDKs do): put the PEM's
    line breaks back, then check the ECDSA signature of the raw body with the named digest."""
    decoded = json.loads(base64.b64decode(header))
    assert (decoded["alg"], decoded["digest"]) == ("ECDSA", "SHA1")
    pem = (public_key["key"].replace("-----BEGIN PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\n")
           .replace("-----END PUBLIC KEY-----", "\n-----END PUBLIC KEY-----"))
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(base64.b64decode(decoded["signature"]), body, ec.ECDSA(hashes.SHA1()))


async def public_key(app: httpx.AsyncClient, header: str) -> dict[str, Any]:
    kid = json.loads(base64.b64decode(header))["kid"]
    answer = await app.get(f"{NOTIFICATION}/public_key/{kid}")
    assert answer.status_code == 200
    return dict(answer.json())


async def test_destination_needs_config_and_the_right_challenge_answer(
    app: httpx.AsyncClient,
) -> None:
    async with Receiver() as honest, Receiver(honest=False) as liar:
        assert isinstance(honest, Receiver) and isinstance(liar, Receiver)
        no_config = await destination(app, honest.endpoint)
        assert no_config.status_code == 409 and error_ids(no_config) == {195003}
        await app.put(f"{NOTIFICATION}/config", json={"alertEmail": "ops@example.org"})

        short = await destination(app, honest.endpoint, token="too-short")
        assert short.status_code == 400 and error_ids(short) == {195019}
        wrong = await destination(app, liar.endpoint)
        assert wrong.status_code == 409 and error_ids(wrong) == {195020}
        right = await destination(app, honest.endpoint)
        assert right.status_code == 201
        again = await destination(app, honest.endpoint)
        assert again.status_code == 409 and error_ids(again) == {195021}

    listed = (await app.get(f"{NOTIFICATION}/destination")).json()
    assert [d["deliveryConfig"]["endpoint"] for d in listed["destinations"]] == [honest.endpoint]


async def test_topics_say_who_subscribes_and_a_second_subscription_conflicts(
    app: httpx.AsyncClient, ana: httpx.AsyncClient, receiver: Receiver
) -> None:
    topics = {t["topicId"]: t for t in (await app.get(f"{NOTIFICATION}/topic")).json()["topics"]}
    assert topics[ORDER_CONFIRMATION]["scope"] == "USER"
    assert topics[AUTHORIZATION_REVOCATION]["scope"] == "APPLICATION"
    assert topics[MARKETPLACE_ACCOUNT_DELETION]["scope"] == "APPLICATION"
    one = await app.get(f"{NOTIFICATION}/topic/{ORDER_CONFIRMATION}")
    assert one.json()["supportedPayloads"][0]["schemaVersion"] == "1.0"

    destination_id = await set_up(app, receiver)
    wrong_token = await subscribe(app, ORDER_CONFIRMATION, destination_id)
    assert wrong_token.status_code == 403 and error_ids(wrong_token) == {195011}
    created = await subscribe(ana, ORDER_CONFIRMATION, destination_id)
    assert created.status_code == 201 and "/subscription/" in created.headers["Location"]
    twice = await subscribe(ana, ORDER_CONFIRMATION, destination_id)
    assert twice.status_code == 409 and error_ids(twice) == {195012}
    mine = (await ana.get(f"{NOTIFICATION}/subscription")).json()["subscriptions"]
    assert [(s["topicId"], s["status"]) for s in mine] == [(ORDER_CONFIRMATION, "ENABLED")]
    assert (await app.get(f"{NOTIFICATION}/subscription")).json()["subscriptions"] == []


async def test_checkout_pushes_a_signed_order_confirmation_a_verifier_accepts(
    sandbox: EbaySandbox, app: httpx.AsyncClient, ana: httpx.AsyncClient, receiver: Receiver
) -> None:
    destination_id = await set_up(app, receiver)
    assert (await subscribe(ana, ORDER_CONFIRMATION, destination_id)).status_code == 201
    offer_id = await publish_headphones(ana)

    order_id = await sandbox.checkout(offer_id)
    assert sandbox.listing(offer_id).state == "sold"
    orders = (await ana.get("/sell/fulfillment/v1/order", params={"orderIds": order_id})).json()
    [line] = orders["orders"][0]["lineItems"]
    [(body, headers)] = receiver.received
    [pushed] = sandbox.notifications
    assert (pushed.topic, pushed.destination_id, pushed.status) == (
        ORDER_CONFIRMATION, destination_id, 204)

    payload = json.loads(body)
    assert payload["metadata"] == {"topic": ORDER_CONFIRMATION, "schemaVersion": "1.0",
                                   "deprecated": False}
    notification = payload["notification"]
    assert set(notification) == {"notificationId", "eventDate", "publishDate",
                                 "publishAttemptCount", "data"}
    assert notification["data"]["order"] == {"orderId": order_id, "orderLineItems": [{
        "orderLineItemId": line["lineItemId"], "listingId": line["legacyItemId"],
        "quantity": line["quantity"]}]}
    assert headers["Content-Type"] == "application/json"
    signature = headers["X-EBAY-SIGNATURE"]
    key = await public_key(app, signature)
    assert (key["algorithm"], key["digest"]) == ("ECDSA", "SHA1")
    verify(body, signature, key)
    with pytest.raises(InvalidSignature):
        verify(body.replace(order_id.encode(), b"00-00000-00000"), signature, key)


async def test_revocation_and_deletion_reach_the_apps_subscriptions_and_end_the_grants(
    sandbox: EbaySandbox, app: httpx.AsyncClient, ana: httpx.AsyncClient, receiver: Receiver
) -> None:
    destination_id = await set_up(app, receiver)
    for topic in (AUTHORIZATION_REVOCATION, MARKETPLACE_ACCOUNT_DELETION):
        assert (await subscribe(app, topic, destination_id)).status_code == 201

    await sandbox.revoke_authorization(ANA)
    refused = await ana.get("/commerce/identity/v1/user/")
    assert refused.status_code == 401 and error_ids(refused) == {1001}
    await sandbox.delete_account(ANA)

    seller = sandbox.sellers[ANA]
    revoked, deleted = (json.loads(body) for body, _ in receiver.received)
    assert revoked["metadata"]["topic"] == AUTHORIZATION_REVOCATION
    data = revoked["notification"]["data"]
    assert (data["userId"], data["username"], data["revokeReason"]) == (
        seller.user_id, seller.username, "REVOKED_BY_USER")
    assert deleted["notification"]["data"] == {
        "username": seller.username, "userId": seller.user_id, "eiasToken": seller.eias_token}
    for body, headers in receiver.received:
        verify(body, headers["X-EBAY-SIGNATURE"],
               await public_key(app, headers["X-EBAY-SIGNATURE"]))


@pytest.mark.parametrize("signing", ["forged", "tampered", "missing"])
async def test_an_impostors_push_fails_verification(
    sandbox: EbaySandbox, app: httpx.AsyncClient, receiver: Receiver, signing: str
) -> None:
    destination_id = await set_up(app, receiver)
    await subscribe(app, MARKETPLACE_ACCOUNT_DELETION, destination_id)
    [pushed] = await sandbox.push_unverifiable(MARKETPLACE_ACCOUNT_DELETION, signing=signing)
    [(body, headers)] = receiver.received
    if signing == "missing":
        assert "X-EBAY-SIGNATURE" not in headers and pushed.signature is None
        return
    with pytest.raises(InvalidSignature):
        verify(body, headers["X-EBAY-SIGNATURE"],
               await public_key(app, headers["X-EBAY-SIGNATURE"]))
    unknown = await app.get(f"{NOTIFICATION}/public_key/not-a-key")
    assert unknown.status_code == 404 and error_ids(unknown) == {195001}
