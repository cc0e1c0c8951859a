"""eBay's APIs as a strict local stand-in: OAuth, Media, Inventory, Account, Taxonomy,
Metadata, Identity, Fulfillment, Browse and Notification on one loopback server, the signed
notification pushes, and the public /itm/{listingId} page.

Every eBay host (auth, api, apiz, apim, www) is this one server; the paths are eBay's. Requests
eBay refuses are refused here with eBay's status and error body
`{"errors": [{"errorId", "domain", "category", "message", "longMessage", "parameters"}]}`, and
every request and 2xx response an eBay OpenAPI document covers (contracts/) is checked against
it: `EbaySandbox.contract_violations` lists each mismatch (contract.py, contracts/README.md).

Where the error ids come from (each module names its own in its docstring):

- Inventory ids (25001-25767), Fulfillment (30500-31100), Metadata (46001-46004), Browse
  (12001-12515) and Notification (195001-195027): the `x-response-codes` of eBay's OpenAPI
  documents; messages follow their templates, with the detail eBay adds where it is known
  (25002 for a missing item specific is eBay's text word for word).
- Taxonomy (62002-62009): the Taxonomy API's reference pages (no document in contracts/).
- What developers report eBay answering, where no document says: getOffers' 404 + 25713 for a
  SKU without an offer and 400 + 25707 for a SKU with no inventory item; 25002 "Offer entity
  already exists" with an offerId parameter.
- 1001 "Invalid access token" (401) and 2003 "Internal error": eBay's texts as seen in public
  bug reports. 1002 (missing token), 1100 "Access denied" (403, wrong scope), 2001 (429) and
  2004 "Invalid request": eBay's gateway errors as we know them, not re-checked against a list.
- Chosen here, found in no published list: the Account API's 20401/20403 and the Media API's
  190001/190002.

Where it knowingly differs from eBay:

- One marketplace (EBAY_US, USD, category tree "0") and a slice of eBay US's tree. Five leaves
  carry their item specifics and allowed conditions (SHOES 15709, PHONES 9355, HEADPHONES
  112529, LAMPS 112581, BOOKS 261186; aspects.py, conditions.py): the common values, not eBay's
  full lists. The other leaves require no item specifics and use their family's conditions.
  Suggestions match keywords, not eBay's sales data.
- Pictures: only images uploaded through this Media API are accepted in `product.imageUrls`
  (eBay also takes self-hosted HTTPS images); the 500-pixel minimum is checked on upload.
- Browse searches a fixed set of other sellers' listings (comps.py), not the sandbox's own.
- Notifications: destination endpoints may be plain HTTP on loopback (eBay wants HTTPS and
  refuses localhost); a push is tried once (eBay retries, counting publishAttemptCount); one
  signing key; no subscription filters and no testSubscription.
- Location, policy and taxonomy errors are simplified to one error per missing thing.

The package, one module per eBay API: identity, account (business policies), inventory (items
and locations), offers, publishing (publishOffer's checks), prices (bulkUpdatePriceQuantity),
media, taxonomy, metadata, fulfillment, browse, notifications (with push and topics), on the
shared api base; errors (eBay's error body), oauth, marketplace (EBAY_US), accounts (the
seeded sellers: ANA with flat-rate shipping, BEA with calculated shipping, MARCO with no
business policies), categories, aspects, conditions, comps, state, contract and conformance
(eBay's documents as the judge), and the server that wires them and holds the test controls.
"""

from sandbox.ebay.accounts import ANA, BEA, MARCO
from sandbox.ebay.categories import BOOKS, HEADPHONES, LAMPS, PHONES, SHOES
from sandbox.ebay.push import Pushed
from sandbox.ebay.server import EbaySandbox
from sandbox.ebay.state import EbayListing
from sandbox.ebay.topics import (
    AUTHORIZATION_REVOCATION,
    MARKETPLACE_ACCOUNT_DELETION,
    ORDER_CONFIRMATION,
)

__all__ = [
    "ANA",
    "AUTHORIZATION_REVOCATION",
    "BEA",
    "BOOKS",
    "HEADPHONES",
    "LAMPS",
    "MARCO",
    "MARKETPLACE_ACCOUNT_DELETION",
    "ORDER_CONFIRMATION",
    "PHONES",
    "SHOES",
    "EbayListing",
    "EbaySandbox",
    "Pushed",
]
