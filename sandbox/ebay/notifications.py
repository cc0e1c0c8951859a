"""The Notification API (commerce_notification_v1_oas3.json): config, topics, destinations,
subscriptions and public keys, with the errorIds its x-response-codes list (domain
API_NOTIFICATION). push.py holds the pushes and the endpoint challenge; topics.py the topics.

Tokens, as each operation's `security` says: an application token (api_scope) for config,
topics, destinations and public keys; subscriptions take the application token for APPLICATION
topics and the seller's token with commerce.notification.subscription for USER topics
(ORDER_CONFIRMATION), else 403 + 195011 "Not authorized for this topic.". Subscriptions are the
caller's own: the app's, or that seller's.
"""

from __future__ import annotations

import html
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from sandbox.ebay.api import EbayApi
from sandbox.ebay.errors import EbayApiError, problem
from sandbox.ebay.oauth import SCOPE_APPLICATION, SCOPE_NOTIFICATION, SCOPE_NOTIFICATION_READ
from sandbox.ebay.push import Destination, NotificationHub, Subscription
from sandbox.ebay.topics import SCHEMA_VERSION, TOPICS
from sandbox.kit import Grant

NOTIFICATION = "/commerce/notification/v1"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,80}")  # DeliveryConfig.verificationToken
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
STATUSES = ("ENABLED", "DISABLED")


def refused(status: int, error_id: int, message: str) -> EbayApiError:
    return EbayApiError(status, problem(error_id, message, domain="API_NOTIFICATION"))


class NotificationApi(EbayApi):
    """The Notification API's resources over one NotificationHub."""

    @property
    def hub(self) -> NotificationHub:
        return self.state.notifications

    def routes(self, router: web.UrlDispatcher) -> None:
        base = NOTIFICATION
        router.add_get(f"{base}/config", self.get_config)
        router.add_put(f"{base}/config", self.update_config)
        router.add_get(f"{base}/topic", self.get_topics)
        router.add_get(f"{base}/topic/{{topic_id}}", self.get_topic)
        router.add_get(f"{base}/public_key/{{key_id}}", self.get_public_key)
        router.add_get(f"{base}/destination", self.get_destinations)
        router.add_post(f"{base}/destination", self.create_destination)
        router.add_get(f"{base}/destination/{{destination_id}}", self.get_destination)
        router.add_get(f"{base}/subscription", self.get_subscriptions)
        router.add_post(f"{base}/subscription", self.create_subscription)
        router.add_get(f"{base}/subscription/{{subscription_id}}", self.get_subscription)
        router.add_delete(f"{base}/subscription/{{subscription_id}}", self.delete_subscription)
        for action in ("enable", "disable"):
            router.add_post(f"{base}/subscription/{{subscription_id}}/{action}",
                            self.switch_subscription)

    # ── config, topics, keys: the application's ──

    async def get_config(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        if self.hub.alert_email is None:
            raise refused(404, 195026, "Configuration Not Found.")
        return web.json_response({"alertEmail": self.hub.alert_email})

    async def update_config(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        email = (await self.json_body(request)).get("alertEmail")
        if not isinstance(email, str) or not EMAIL.fullmatch(email):
            raise refused(400, 195025, "Invalid or missing email.")
        self.hub.alert_email = email
        return web.Response(status=204)

    async def get_topics(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        limit = _limit(request)
        topics = [topic.json() for topic in TOPICS.values()]
        return web.json_response({"href": str(request.rel_url), "limit": limit,
                                  "total": len(topics), "topics": topics[:limit]})

    async def get_topic(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        topic = TOPICS.get(request.match_info["topic_id"])
        if topic is None:
            raise refused(404, 195002, "Invalid or missing topic id.")
        return web.json_response(topic.json())

    async def get_public_key(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        if request.match_info["key_id"] != self.hub.key.kid:
            raise refused(404, 195001, "The specified key id is invalid.")
        return web.json_response(self.hub.key.public_key_json())

    # ── destinations ──

    async def get_destinations(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        limit = _limit(request)
        found = [d.json() for d in self.hub.destinations.values()]
        return web.json_response({"href": str(request.rel_url), "limit": limit,
                                  "total": len(found), "destinations": found[:limit]})

    async def get_destination(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        return web.json_response(self._destination(request.match_info["destination_id"]).json())

    def _destination(self, destination_id: str) -> Destination:
        found = self.hub.destinations.get(destination_id)
        if found is None:
            raise refused(404, 195022, "Invalid or missing destination id.")
        return found

    async def create_destination(self, request: web.Request) -> web.Response:
        self.grant(request, SCOPE_APPLICATION)
        body = await self.json_body(request)
        name = body.get("name") or ""
        config = body.get("deliveryConfig") or {}
        endpoint, token = config.get("endpoint"), config.get("verificationToken")
        if not isinstance(name, str) or len(name) > 64 or html.escape(name) != name:
            raise refused(400, 195016, "Invalid name. Markups or lengths greater than 64 not "
                          "supported")
        if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("https", "http") \
                or not urlsplit(endpoint).netloc:
            raise refused(400, 195017, "Invalid or missing endpoint.")
        status = body.get("status")
        if status not in STATUSES:
            raise refused(400, 195018, "Invalid or missing destination status. Supported "
                          "values:[ENABLED,DISABLED]")
        if not isinstance(token, str) or not TOKEN.fullmatch(token):
            raise refused(400, 195019, "Invalid or missing verification token for this "
                          "endpoint.")
        if self.hub.alert_email is None:
            raise refused(409, 195003, "Please provide configurations required for "
                          "notifications. Refer to /config")
        if any(d.endpoint == endpoint for d in self.hub.destinations.values()):
            raise refused(409, 195021, "Destination exists for this endpoint")
        if not await self.hub.challenge(endpoint, token):
            raise refused(409, 195020, "Challenge verification failed for requested endpoint")
        destination = Destination(_new_id(), name, status, endpoint, token)
        self.hub.destinations[destination.destination_id] = destination
        location = f"{self.state.base_url()}{NOTIFICATION}/destination/" \
                   f"{destination.destination_id}"
        return web.json_response({}, status=201, headers={"Location": location})

    # ── subscriptions: the caller's own ──

    def _caller(self, request: web.Request, scopes: tuple[str, ...]) -> str:
        grant = self.grant_any(request, (SCOPE_APPLICATION, *scopes))
        return _owner(grant)

    async def get_subscriptions(self, request: web.Request) -> web.Response:
        owner = self._caller(request, (SCOPE_NOTIFICATION, SCOPE_NOTIFICATION_READ))
        limit = _limit(request)
        found = [s.json() for s in self.hub.subscriptions.values() if s.owner == owner]
        return web.json_response({"href": str(request.rel_url), "limit": limit,
                                  "total": len(found), "subscriptions": found[:limit]})

    async def get_subscription(self, request: web.Request) -> web.Response:
        owner = self._caller(request, (SCOPE_NOTIFICATION, SCOPE_NOTIFICATION_READ))
        return web.json_response(self._subscription(request, owner).json())

    def _subscription(self, request: web.Request, owner: str) -> Subscription:
        found = self.hub.subscriptions.get(request.match_info["subscription_id"])
        if found is None or found.owner != owner:
            raise refused(404, 195013, "The subscription id does not exist.")
        return found

    async def create_subscription(self, request: web.Request) -> web.Response:
        grant = self.grant_any(request, (SCOPE_APPLICATION, SCOPE_NOTIFICATION))
        body = await self.json_body(request)
        topic = TOPICS.get(str(body.get("topicId") or ""))
        if topic is None:
            raise refused(400, 195027, "Invalid or missing topic id.")
        _check_payload(body)
        owner = _owner(grant)
        application = owner == "app"
        if application != (topic.scope == "APPLICATION") or not set(
                topic.authorization_scopes) <= set(grant.scopes):
            raise refused(403, 195011, "Not authorized for this topic.")
        if self.hub.alert_email is None:
            raise refused(409, 195003, "Please provide configurations required for "
                          "notifications. Refer to /config")
        destination = self.hub.destinations.get(str(body.get("destinationId") or ""))
        if destination is None:
            raise refused(400, 195007, "Invalid or missing destination id.")
        if any(s.owner == owner and s.topic_id == topic.topic_id
               for s in self.hub.subscriptions.values()):
            raise refused(409, 195012, "Subscription already exists")
        if body["status"] == "ENABLED" and destination.status != "ENABLED":
            raise refused(409, 195015, "The subscription cannot be enabled since the "
                          "destination is not enabled.")
        subscription = Subscription(_new_id(), topic.topic_id, body["status"],
                                    destination.destination_id, owner)
        self.hub.subscriptions[subscription.subscription_id] = subscription
        location = f"{self.state.base_url()}{NOTIFICATION}/subscription/" \
                   f"{subscription.subscription_id}"
        return web.json_response({}, status=201, headers={"Location": location})

    async def switch_subscription(self, request: web.Request) -> web.Response:
        owner = self._caller(request, (SCOPE_NOTIFICATION,))
        subscription = self._subscription(request, owner)
        if request.path.endswith("/enable"):
            if self.hub.destinations[subscription.destination_id].status != "ENABLED":
                raise refused(409, 195015, "The subscription cannot be enabled since the "
                              "destination is not enabled.")
            subscription.status = "ENABLED"
        else:
            subscription.status = "DISABLED"
        return web.Response(status=204)

    async def delete_subscription(self, request: web.Request) -> web.Response:
        owner = self._caller(request, (SCOPE_NOTIFICATION,))
        del self.hub.subscriptions[self._subscription(request, owner).subscription_id]
        return web.Response(status=204)


def _owner(grant: Grant) -> str:
    account_id = grant.account.account_id
    return "app" if account_id.startswith("app:") else account_id


def _check_payload(body: dict[str, Any]) -> None:
    if body.get("status") not in STATUSES:
        raise refused(400, 195006, "Invalid or missing subscription status.")
    payload = body.get("payload") or {}
    if payload.get("schemaVersion") != SCHEMA_VERSION:
        raise refused(400, 195008, "Invalid or missing schema version. Please refer to "
                      "/topic/{topic_id} for supported schema versions.")
    if payload.get("format") != "JSON":
        raise refused(400, 195009, "Specified format is not supported for the topic.")
    if payload.get("deliveryProtocol") != "HTTPS":
        raise refused(400, 195010, "Invalid or missing protocol")


def _limit(request: web.Request) -> int:
    """`limit` (10 to 100, default 20); every list fits one page, so no continuation token
    this sandbox hands out can be presented back."""
    text = request.query.get("limit", "20")
    if not text.isdigit() or not 10 <= int(text) <= 100:
        raise refused(400, 195004, "Invalid limit. Supported ranges 10 - 100.")
    if "continuation_token" in request.query:
        raise refused(400, 195005, "Invalid continuation token.")
    return int(text)


def _new_id() -> str:
    return secrets.token_hex(16)
