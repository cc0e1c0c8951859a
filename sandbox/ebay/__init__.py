"""eBay's Sell APIs as a strict local stand-in: OAuth, Media, Inventory, Account, Taxonomy,
Identity and Fulfillment on one loopback server, plus the public /itm/{listingId} page.

Every eBay host (auth, api, apiz, apim, www) is this one server; the paths are eBay's. Requests
eBay refuses are refused here with eBay's status and error body
`{"errors": [{"errorId", "domain", "category", "message", "longMessage", "parameters"}]}`.

Where the error ids come from:

- Inventory API ids (25001–25026, 25702, 25707, 25709, 25710, 25713, 25800–25805) and
  Fulfillment ids (30500–31100) are the `x-response-codes` of eBay's own OpenAPI documents
  (sell_inventory_v1_oas3.json, sell_fulfillment_v1_oas3.json); messages follow their templates.
  "Invalid value for header Content-Language." follows the text eBay sends for a missing
  Accept-Language header (25709's template); 25002 "Offer entity already exists" with an
  offerId parameter, and 400 + 25707 / 404 + 25713 from getOffers for an unknown SKU / a SKU
  without offers, are what developers report eBay answering.
- 1001 "Invalid access token" (401) and 2003 "Internal error" carry eBay's texts as seen in
  public bug reports. 1002 (missing token), 1100 "Access denied" (403, wrong scope), 2001 (429)
  and 2004 "Invalid request" are eBay's gateway errors as we know them, not re-checked against a
  published list.
- Not found in any published list, so chosen here: the Account API's 20401/20403, the Taxonomy
  API's 62000/62004 and the Media API's 190001/190002.

Where it knowingly differs from eBay:

- One marketplace (EBAY_US, USD, category tree "0") and a small category tree whose ids follow
  eBay US; suggestions match keywords, not eBay's sales data. No item specifics are required.
- Image URLs are served by this server (as EPS URLs are by eBay); only images uploaded through
  its Media API are accepted in `product.imageUrls`.
- Location, policy and taxonomy errors are simplified to one error per missing thing.

The package, one module per eBay API: identity, account (business policies), inventory (items
and locations), offers, media, taxonomy and fulfillment, on the shared api base; errors (eBay's
error body), oauth, marketplace (EBAY_US), accounts (the seeded sellers), categories, state,
and the server that wires them.
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
