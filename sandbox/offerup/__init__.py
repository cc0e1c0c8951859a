"""A strict implementation of the OfferUp partner contract (docs/offerup-api.md), over HTTP.

OfferUp has no public listing API, so the contract is ours and this is its reference server: it
refuses everything the document refuses, with the document's status codes and problem types, so
the adapter is tested against the rules a partner must follow rather than against our wishes.

Knowingly simpler than a production partner: state lives in memory, keys and photos are never
purged, and the public page is a plain HTML page rather than offerup.com.

The package: accounts (members, token terms, /v1/me), categories, photos and listings (with
validation), on the shared api base; problems (RFC 9457 problem documents) and the server that
wires them.
"""

from sandbox.offerup.listings import SandboxListing
from sandbox.offerup.photos import SandboxPhoto
from sandbox.offerup.problems import PROBLEM_PREFIX
from sandbox.offerup.server import OfferUpSandbox

__all__ = ["PROBLEM_PREFIX", "OfferUpSandbox", "SandboxListing", "SandboxPhoto"]
