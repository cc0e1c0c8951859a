"""The OfferUp sandbox speaks docs/offerup-api.md as strictly as a partner must: its auth
challenges, its Idempotency-Key rules, and its photo and body validation, sent raw."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from sandbox.kit import Grant
from sandbox.offerup import PROBLEM_PREFIX, OfferUpSandbox

MAYA = "ou-4471"
SCOPES = ("listings.write", "listings.read", "profile.read")


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png(size: tuple[int, int] = (800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, "PNG")
    return buffer.getvalue()


PHOTOS = (jpeg((180, 120, 60)), jpeg((40, 90, 160)))


@pytest.fixture
async def sandbox() -> AsyncIterator[OfferUpSandbox]:
    async with OfferUpSandbox() as server:
        assert isinstance(server, OfferUpSandbox)
        yield server


@pytest.fixture
def tokens(sandbox: OfferUpSandbox) -> Grant:
    """What the partner issued Maya's connection: every scope Deal Scout asks for."""
    return sandbox.oauth.issue(sandbox.oauth.accounts[MAYA], sandbox.client_id, SCOPES)


def bearer(grant: Grant) -> dict[str, str]:
    return {"Authorization": f"Bearer {grant.access_token}"}


async def test_sandbox_answers_the_contracts_auth_challenges(
    sandbox: OfferUpSandbox, tokens: Grant
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        anonymous = await http.get("/v1/me")
        narrow = sandbox.oauth.issue(sandbox.oauth.accounts[MAYA], sandbox.client_id, ("x",))
        scoped = await http.post(
            "/v1/listings", headers={"Authorization": f"Bearer {narrow.access_token}"}
        )
        sandbox.oauth.expire_access_tokens()
        expired = await http.get("/v1/me", headers=bearer(tokens))
        in_body = await http.post("/oauth/token", data={
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        })
        unknown_route = await http.get("/v1/nothing-here", headers=bearer(tokens))
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="offerup"'
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert scoped.status_code == 403
    assert 'error="insufficient_scope", scope="listings.write"' in scoped.headers[
        "WWW-Authenticate"
    ]
    assert expired.status_code == 401 and 'error="invalid_token"' in expired.headers[
        "WWW-Authenticate"
    ]
    assert expired.json()["detail"] == "The access token expired."
    assert (in_body.status_code, in_body.json()["error"]) == (401, "invalid_client")
    assert unknown_route.status_code == 404 and unknown_route.json()["type"] == "about:blank"


async def test_sandbox_enforces_idempotency_keys(
    sandbox: OfferUpSandbox, tokens: Grant
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url, headers=bearer(tokens)) as http:
        for photo in PHOTOS:
            uploaded = await http.post("/v1/photos", files={"file": ("p.jpg", photo, "image/jpeg")})
            assert uploaded.status_code == 201
    arrived, creates = asyncio.Event(), []

    def watch(method: str, path: str) -> None:
        creates.extend([path] if (method, path) == ("POST", "/v1/listings") else [])
        if len(creates) == 6:  # the slow one, after missing, unquoted, created, replayed, changed
            arrived.set()

    sandbox.watchers.append(watch)
    body = {
        "title": "Teak lamp",
        "price": {"amount": "25.00", "currency": "USD"},
        "condition": "used_good",
        "category_id": "202",
        "photo_ids": list(sandbox.photos),
        "location": {"postal_code": "98402"},
    }
    async with httpx.AsyncClient(base_url=sandbox.url, headers=bearer(tokens)) as http:
        missing = await http.post("/v1/listings", json=body)
        unquoted = await http.post("/v1/listings", json=body, headers={"Idempotency-Key": "k-1"})
        key = {"Idempotency-Key": '"k-1"'}
        created = await http.post("/v1/listings", json=body, headers=key)
        replayed = await http.post("/v1/listings", json=body, headers=key)
        changed = await http.post("/v1/listings", json={**body, "title": "Lamp"}, headers=key)

        release = asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            yield b'{"title": '
            await release.wait()
            yield b'"Slow lamp"}'

        slow = asyncio.create_task(http.post(
            "/v1/listings",
            content=slow_body(),
            headers={**key, "Idempotency-Key": '"k-2"', "Content-Type": "application/json"},
        ))
        await asyncio.wait_for(arrived.wait(), 5)  # the slow one holds its key now
        concurrent = await http.post("/v1/listings", json=body, headers={
            "Idempotency-Key": '"k-2"'
        })
        release.set()
        slow_answer = await slow
    assert missing.status_code == unquoted.status_code == 400
    assert missing.json()["type"] == f"{PROBLEM_PREFIX}idempotency-key-missing"
    assert (created.status_code, replayed.status_code) == (201, 200)
    assert replayed.json()["id"] == created.json()["id"]
    assert created.headers["Location"] == f"/v1/listings/{created.json()['id']}"
    assert changed.status_code == 422
    assert changed.json()["type"] == f"{PROBLEM_PREFIX}idempotency-key-reused"
    assert changed.json()["listing_id"] == created.json()["id"]
    assert concurrent.status_code == 409
    assert concurrent.json()["type"] == f"{PROBLEM_PREFIX}idempotency-key-in-flight"
    assert slow_answer.status_code == 422  # the slow body lacks required fields
    assert len(sandbox.listings) == 1  # the one created; the rest were refused


async def test_sandbox_validates_photos_and_bodies(
    sandbox: OfferUpSandbox, tokens: Grant
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url, headers=bearer(tokens)) as http:
        as_png = await http.post("/v1/photos", files={"file": ("a.png", png(), "image/jpeg")})
        small = await http.post(
            "/v1/photos", files={"file": ("a.jpg", jpeg((9, 9, 9), (640, 399)), "image/jpeg")}
        )
        huge = await http.post(
            "/v1/photos", files={"file": ("a.jpg", b"\xff" * (13 * 1024 * 1024), "image/jpeg")}
        )
        first = await http.post("/v1/photos", files={"file": ("a.jpg", PHOTOS[0], "image/jpeg")})
        same = await http.post("/v1/photos", files={"file": ("b.jpg", PHOTOS[0], "image/jpeg")})
        invalid = await http.post(
            "/v1/listings",
            headers={"Idempotency-Key": '"bad-1"'},
            json={
                "title": "Lamp",
                "price": {"amount": "25", "currency": "USD"},
                "condition": "mint",
                "category_id": "202",
                "photo_ids": [first.json()["id"]] * 13,
                "location": {"postal_code": "98402", "latitude": 1, "longitude": 2},
                "colour": "teak",
            },
        )
        not_json = await http.post(
            "/v1/listings", content=b"title=Lamp", headers={"Idempotency-Key": '"bad-2"'}
        )
    assert as_png.status_code == 415
    assert small.status_code == 422 and small.json()["errors"][0]["field"] == "file"
    assert huge.status_code == 413
    assert (first.status_code, same.status_code) == (201, 200)
    assert same.json()["id"] == first.json()["id"]
    assert invalid.headers["content-type"].startswith("application/problem+json")
    fields = {error["field"] for error in invalid.json()["errors"]}
    assert fields == {"colour", "price.amount", "condition", "photo_ids", "location"}
    assert not_json.status_code == 415
    assert sandbox.listings == {}
