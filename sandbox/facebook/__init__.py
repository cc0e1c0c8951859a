"""A strict local Graph API for the Facebook adapter: Login, long-lived tokens, businesses,
Commerce catalogs and the Catalog Batch API, with Graph's own error shape.

What it refuses, as Graph does: missing/invalid/expired/revoked tokens (code 104 or 190 with
subcodes 463/458), missing permissions (code 200), objects that do not exist or are not the
caller's (code 100, subcode 33), unknown fields (code 100), items_batch without item_type or with
malformed requests (code 100), and per item: missing required fields, a title over 200 or a
description over 9,999 characters, a price not written "25.00 USD", availability and condition
outside their enums, more than 20 additional images, non-URL links. Accepted items are processed
asynchronously as Facebook does: every image URL is fetched, and an item whose image does not
answer with a real image of at least 500 x 500 pixels is refused in check_batch_request_status.

The package: login (Facebook Login and tokens), people (/me, businesses, their catalogs),
batches (the Catalog Batch API) and products, on the shared graph base; errors (Graph's error
shape), items (a catalog item's field rules), catalog (what the catalogs hold and how a batch
is processed), accounts (the seeded people) and the server that wires them.
"""

from sandbox.facebook.accounts import JENNY, MARCUS, ROSA
from sandbox.facebook.login import APP_ID
from sandbox.facebook.server import FacebookSandbox, SandboxListing

__all__ = ["APP_ID", "JENNY", "MARCUS", "ROSA", "FacebookSandbox", "SandboxListing"]
