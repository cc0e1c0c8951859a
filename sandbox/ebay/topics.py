"""The notification topics this eBay pushes, as getTopics and getTopic describe them, and the
`data` of each topic's payload.

Payloads follow eBay's asyncapi contracts (developer.ebay.com/api-docs/master/commerce/
notification/asyncapi/<topic>.yaml): `{"metadata": {"topic", "schemaVersion", "deprecated"},
"notification": {"notificationId", "eventDate", "publishDate", "publishAttemptCount", "data"}}`.
- ORDER_CONFIRMATION (order_confirmation.yaml): "generated for each line item in the order";
  data `{"user": {"userId", "username"}, "order": {"orderId", "orderLineItems": [{
  "orderLineItemId", "listingId", "quantity"}]}}` (as eBay delivers it, schemaVersion 1.0).
- AUTHORIZATION_REVOCATION (authorization_revocation.yaml): data `{"username", "userId",
  "eiasToken", "revokeReason", "revocationDate"}`, revokeReason one of REVOKED_BY_APP,
  REVOKED_BY_USER, REVOKED_BY_EBAY, PASSWORD_CHANGE.
- MARKETPLACE_ACCOUNT_DELETION (marketplace_account_deletion.yaml): data `{"username", "userId",
  "eiasToken"}`.

Who may subscribe: ORDER_CONFIRMATION is a USER topic (a seller's own events: the subscription
is made with that seller's token, holding commerce.notification.subscription, the scope
createSubscription's `security` names); the other two are APPLICATION topics (the app's token,
api_scope). authorizationScopes below are those scopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.ebay.oauth import SCOPE_APPLICATION, SCOPE_NOTIFICATION

ORDER_CONFIRMATION = "ORDER_CONFIRMATION"
AUTHORIZATION_REVOCATION = "AUTHORIZATION_REVOCATION"
MARKETPLACE_ACCOUNT_DELETION = "MARKETPLACE_ACCOUNT_DELETION"
SCHEMA_VERSION = "1.0"
REVOKE_REASONS = ("REVOKED_BY_APP", "REVOKED_BY_USER", "REVOKED_BY_EBAY", "PASSWORD_CHANGE")


@dataclass(frozen=True)
class Topic:
    topic_id: str
    description: str
    scope: str  # USER or APPLICATION
    context: str  # SELLER, BUYER or ALL
    authorization_scopes: tuple[str, ...]

    def json(self) -> dict[str, Any]:
        return {
            "topicId": self.topic_id,
            "description": self.description,
            "authorizationScopes": list(self.authorization_scopes),
            "context": self.context,
            "scope": self.scope,
            "status": "ENABLED",
            "filterable": False,
            "supportedPayloads": [{"schemaVersion": SCHEMA_VERSION, "format": ["JSON"],
                                   "deliveryProtocol": "HTTPS", "deprecated": False}],
        }


TOPICS: dict[str, Topic] = {topic.topic_id: topic for topic in (
    Topic(ORDER_CONFIRMATION, "A buyer completed checkout for an item the seller listed; sent "
          "for each line item of the order.", "USER", "SELLER", (SCOPE_NOTIFICATION,)),
    Topic(AUTHORIZATION_REVOCATION, "A user revoked the application's access to their eBay "
          "account.", "APPLICATION", "ALL", (SCOPE_APPLICATION,)),
    Topic(MARKETPLACE_ACCOUNT_DELETION, "An eBay user asked eBay to delete their account; the "
          "application must delete that user's data.", "APPLICATION", "ALL",
          (SCOPE_APPLICATION,)),
)}


def order_confirmation_data(
    user_id: str, username: str, order: dict[str, Any], line_item: dict[str, Any]
) -> dict[str, Any]:
    return {
        "user": {"userId": user_id, "username": username},
        "order": {"orderId": order["orderId"], "orderLineItems": [{
            "orderLineItemId": line_item["lineItemId"],
            "listingId": line_item["legacyItemId"],
            "quantity": line_item["quantity"],
        }]},
    }


def account_data(user_id: str, username: str, eias_token: str) -> dict[str, Any]:
    return {"username": username, "userId": user_id, "eiasToken": eias_token}
