"""What the marketplace sandboxes share: a server lifecycle, fault injection, an OAuth 2
authorization server, an image store and the public listing page.

Each marketplace sandbox (sandbox.ebay, sandbox.facebook, sandbox.offerup) composes these and
adds its own API and its own error shapes, so a request the real service would refuse is refused
here too. Modules: server, faults, errors, grants (clients, accounts, grants), oauth (the
authorization server), token_faults (its token endpoint misbehaving), images, pages.
"""

from sandbox.kit.errors import ErrorResponder, Refusal, refusals
from sandbox.kit.faults import Fault, Faults
from sandbox.kit.grants import Grant, MarketplaceAccount, OAuthClient, TokenError, TokenRefused
from sandbox.kit.images import ImageStore
from sandbox.kit.oauth import OAuthProvider, oauth_error_json
from sandbox.kit.pages import html_page, listing_page
from sandbox.kit.server import Handler, SandboxServer
from sandbox.kit.token_faults import TokenFault, TokenFaults

__all__ = [
    "ErrorResponder",
    "Fault",
    "Faults",
    "Grant",
    "Handler",
    "ImageStore",
    "MarketplaceAccount",
    "OAuthClient",
    "OAuthProvider",
    "Refusal",
    "SandboxServer",
    "TokenError",
    "TokenFault",
    "TokenFaults",
    "TokenRefused",
    "html_page",
    "listing_page",
    "oauth_error_json",
    "refusals",
]
