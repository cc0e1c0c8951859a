"""The shared sandbox OAuth server, driven by our authlib-based token client over HTTP."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from marketplaces import oauth_client
from marketplaces.base import (
    NeedsReconnect,
    OAuthSettings,
    RateLimited,
    TemporarilyUnavailable,
    TimedOut,
)
from sandbox.kit import (
    Faults,
    MarketplaceAccount,
    OAuthClient,
    OAuthProvider,
    SandboxServer,
    TokenRefused,
)

REDIRECT = "https://bot.example.org/oauth/demo/callback"


class DemoMarket(SandboxServer):
    def __init__(self, *, pkce: bool) -> None:
        super().__init__()
        self.faults = Faults()
        self.oauth = OAuthProvider(
            name="Demo Market",
            clients=[OAuthClient("client-1", "secret-1", (REDIRECT,))],
            accounts=[MarketplaceAccount("u1", "Ana's Attic")],
            scopes={"listings"},
            access_ttl_seconds=7200,
            refresh_ttl_seconds=86400,
            pkce_required=pkce,
            rotate_refresh_tokens=True,
        )
        self.app.middlewares.append(
            self.faults.middleware(lambda r: r.path == "/token", self.oauth.error)
        )
        self.app.router.add_get("/authorize", self.oauth.authorize_page)
        self.app.router.add_post("/authorize", self.oauth.decide)
        self.app.router.add_post("/token", self.oauth.token_endpoint)

    def settings(self) -> OAuthSettings:
        return OAuthSettings(
            client_id="client-1",
            client_secret="secret-1",
            authorize_url=f"{self.url}/authorize",
            token_url=f"{self.url}/token",
            redirect_uri=REDIRECT,
            scopes=("listings",),
            pkce=True,
        )

    def authorize_url(self, state: str, verifier: str | None, **overrides: str) -> str:
        query = {
            "client_id": "client-1",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "listings",
            "state": state,
        }
        if verifier:
            query["code_challenge"] = create_s256_code_challenge(verifier)
            query["code_challenge_method"] = "S256"
        query.update(overrides)
        return f"{self.url}/authorize?{urlencode(query)}"


@pytest.fixture
async def market() -> AsyncIterator[DemoMarket]:
    server = DemoMarket(pkce=True)
    await server.start()
    yield server
    await server.stop()


def redirect_params(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_code_with_pkce_becomes_tokens_once(market: DemoMarket) -> None:
    verifier = secrets.token_urlsafe(48)
    location = await market.oauth.consent(market.authorize_url("st4te", verifier))
    params = redirect_params(location)
    assert params["state"] == "st4te"

    payload = await oauth_client.exchange_code("demo", market.settings(), params["code"], verifier)
    assert payload["expires_in"] == 7200 and payload["refresh_token"]
    assert market.oauth.grant_for(payload["access_token"]).account.display_name == "Ana's Attic"

    with pytest.raises(NeedsReconnect, match="invalid_grant"):
        await oauth_client.exchange_code("demo", market.settings(), params["code"], verifier)


async def test_wrong_verifier_and_missing_challenge_are_refused(market: DemoMarket) -> None:
    location = await market.oauth.consent(market.authorize_url("s", secrets.token_urlsafe(48)))
    code = redirect_params(location)["code"]
    with pytest.raises(NeedsReconnect):
        await oauth_client.exchange_code("demo", market.settings(), code, "x" * 50)

    no_pkce = redirect_params(await market.oauth.consent(market.authorize_url("s", None)))
    assert no_pkce["error"] == "invalid_request" and no_pkce["state"] == "s"


async def test_unregistered_redirect_is_shown_not_followed(market: DemoMarket) -> None:
    url = market.authorize_url("s", secrets.token_urlsafe(48), redirect_uri="https://evil.test/")
    async with httpx.AsyncClient() as browser:
        page = await browser.get(url)
    assert page.status_code == 400
    assert "redirect_uri does not match" in page.text


async def test_deny_redirects_with_access_denied(market: DemoMarket) -> None:
    location = await market.oauth.consent(
        market.authorize_url("s", secrets.token_urlsafe(48)), approve=False
    )
    assert redirect_params(location) == {
        "error": "access_denied",
        "error_description": "The user denied access.",
        "state": "s",
    }


async def test_refresh_rotates_and_old_refresh_token_dies(market: DemoMarket) -> None:
    verifier = secrets.token_urlsafe(48)
    code = redirect_params(await market.oauth.consent(market.authorize_url("s", verifier)))["code"]
    first = await oauth_client.exchange_code("demo", market.settings(), code, verifier)
    market.oauth.expire_access_tokens()
    with pytest.raises(TokenRefused, match="expired"):
        market.oauth.grant_for(first["access_token"])

    second = await oauth_client.refresh("demo", market.settings(), first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert market.oauth.grant_for(second["access_token"]).account.account_id == "u1"
    with pytest.raises(NeedsReconnect):
        await oauth_client.refresh("demo", market.settings(), first["refresh_token"])


async def test_token_endpoint_faults_map_to_the_error_family(market: DemoMarket) -> None:
    market.faults.next("rate_limit", retry_after=3)
    with pytest.raises(RateLimited) as limited:
        await oauth_client.refresh("demo", market.settings(), "whatever")
    assert limited.value.retry_after == 3
    market.faults.next("error", status=503)
    with pytest.raises(TemporarilyUnavailable, match="503"):
        await oauth_client.refresh("demo", market.settings(), "whatever")


# ── The token endpoint misbehaving, as a test asks (sandbox.kit.TokenFaults) ──────────────────


async def token_call(market: DemoMarket, form: dict[str, str]) -> httpx.Response:
    """One raw token endpoint call, as a client authenticating with HTTP Basic sends it."""
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{market.url}/token", data=form, auth=("client-1", "secret-1"))


async def code_form(market: DemoMarket) -> dict[str, str]:
    verifier = secrets.token_urlsafe(48)
    code = redirect_params(await market.oauth.consent(market.authorize_url("s", verifier)))["code"]
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier}


async def test_token_faults_answer_as_misbehaving_providers_do(market: DemoMarket) -> None:
    faults = market.oauth.token_faults
    faults.next("html_page", grant_type="authorization_code")
    faults.next("error_without_code", grant_type="authorization_code")
    faults.next("no_expires_in", grant_type="authorization_code")
    faults.next("unavailable")
    faults.next("wrong_types")
    faults.next("slow_down")

    html = await token_call(market, await code_form(market))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "<h1>Please sign in</h1>" in html.text
    no_code = await token_call(market, await code_form(market))
    assert no_code.status_code == 400 and no_code.json() == {"message": "Bad Request",
                                                             "status": 400}
    undated = await token_call(market, await code_form(market))
    assert undated.status_code == 200
    assert "expires_in" not in undated.json() and undated.json()["access_token"]
    assert market.oauth.grants()  # the code was redeemed: only the answer changed

    down = await token_call(market, await code_form(market))
    assert (down.status_code, down.json()["error"]) == (503, "temporarily_unavailable")
    mistyped = await token_call(market, await code_form(market))
    assert mistyped.status_code == 200 and isinstance(mistyped.json()["access_token"], str)
    assert mistyped.json()["refresh_token"] == 12345
    busy = await token_call(market, await code_form(market))
    assert (busy.status_code, busy.json()["error"], busy.headers["Retry-After"]) == (
        429, "slow_down", "1")

    plain = await token_call(market, await code_form(market))  # the queue is spent
    assert plain.json()["expires_in"] == 7200
    assert faults.injected == {"html_page": 1, "error_without_code": 1, "no_expires_in": 1,
                               "unavailable": 1, "wrong_types": 1, "slow_down": 1}


async def test_a_narrowed_scope_is_what_the_grant_carries(market: DemoMarket) -> None:
    market.oauth.token_faults.next("narrow_scope", scopes=("dummy",))
    answer = await token_call(market, await code_form(market))
    assert answer.json()["scope"] == "dummy"
    assert market.oauth.grant_for(answer.json()["access_token"]).scopes == ("dummy",)
    with pytest.raises(TokenRefused, match="insufficient_scope"):
        market.oauth.grant_for(answer.json()["access_token"], scope="listings")
    with pytest.raises(ValueError, match="granted at the code exchange"):
        market.oauth.token_faults.next("narrow_scope", grant_type="refresh_token")


async def test_a_refresh_whose_answer_is_lost_has_rotated_anyway(market: DemoMarket) -> None:
    market.oauth.detect_refresh_reuse = True
    market.oauth.refresh_reuse_interval_seconds = 60
    first = (await token_call(market, await code_form(market))).json()
    market.oauth.token_faults.hang_seconds = 2
    market.oauth.token_faults.next("hang_after_work", grant_type="refresh_token")
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    async with httpx.AsyncClient(timeout=0.5) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post(f"{market.url}/token", data=refresh, auth=("client-1", "secret-1"))
    (grant,) = market.oauth.grants()
    assert grant.refresh_token != first["refresh_token"]  # rotated, the answer never heard

    again = (await token_call(market, refresh)).json()  # within the reuse interval
    assert again["refresh_token"] == grant.refresh_token
    assert market.oauth.reuse_detected == 0 and not grant.revoked


# ── Our client riding out a lost refresh answer (oauth_client.refresh) ───────────────────────


async def test_a_timed_out_refresh_is_sent_again_only_within_the_reuse_interval(
    market: DemoMarket,
) -> None:
    market.oauth.detect_refresh_reuse = True
    market.oauth.refresh_reuse_interval_seconds = 60
    market.oauth.token_faults.hang_seconds = 3
    first = (await token_call(market, await code_form(market))).json()
    impatient = dataclasses.replace(market.settings(), timeout_seconds=0.5)

    market.oauth.token_faults.next("hang_after_work", grant_type="refresh_token")
    rotating = dataclasses.replace(impatient, refresh_reuse_seconds=60)
    fresh = await oauth_client.refresh("demo", rotating, first["refresh_token"])
    (grant,) = market.oauth.grants()
    assert fresh["refresh_token"] == grant.refresh_token != first["refresh_token"]
    assert [r["grant_type"] for r in market.oauth.token_requests].count("refresh_token") == 2
    assert market.oauth.reuse_detected == 0

    market.oauth.token_faults.next("hang_after_work", grant_type="refresh_token")
    no_interval = dataclasses.replace(impatient, refresh_reuse_seconds=0)
    with pytest.raises(TimedOut):
        await oauth_client.refresh("demo", no_interval, fresh["refresh_token"])
    assert [r["grant_type"] for r in market.oauth.token_requests].count("refresh_token") == 3
