"""The JWKS cache against a real HTTP endpoint: refetch on unknown kid, cooldown, stampede, outages, TTL."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.auth.cognito import EMPTY_RETRY_S, JwksCache, create_jwks_cache, parse_jwks
from app.auth.security import api_key_scheme, bearer_scheme
from app.core.config import load_settings
from tests.auth.conftest import (
    KID,
    KID_2,
    FakeClock,
    JwksServer,
    RsaKeyPair,
    assert_error,
    build_app,
    cognito_settings,
    get,
    id_claims,
    sign,
)

pytestmark = pytest.mark.anyio


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_start_loads_keys_once(jwks_server: JwksServer) -> None:
    async with JwksCache(jwks_server.url, 3600, 60) as cache:
        assert cache.has_keys and cache.key_ids == [KID]
        assert await cache.get_key(KID) is not None
        assert await cache.get_key(KID) is not None
        assert cache.fetch_count == 1 and jwks_server.hits == 1


async def test_unknown_kid_refetches_once_then_cooldown(
    jwks_server: JwksServer, keypair: RsaKeyPair, clock: FakeClock
) -> None:
    settings = cognito_settings(jwks_server.url)
    async with JwksCache(jwks_server.url, 3600, 60, clock=clock) as cache:
        app = build_app(settings, cache)
        assert cache.fetch_count == 1

        token = sign(id_claims(), keypair, kid="unknown-kid-1")
        resp = await get(app, bearer(token))
        err = assert_error(resp, 401, "invalid_token", secret=token)
        assert "kid" in err["message"]
        assert cache.fetch_count == 2 and jwks_server.hits == 2  # exactly one refetch

        clock.advance(30)  # still inside the 60 s cooldown
        resp = await get(app, bearer(sign(id_claims(), keypair, kid="unknown-kid-2")))
        assert_error(resp, 401, "invalid_token")
        assert cache.fetch_count == 2 and jwks_server.hits == 2  # no further fetch

        # known kids keep working meanwhile, without fetching
        assert (await get(app, bearer(sign(id_claims(), keypair)))).status_code == 200
        assert cache.fetch_count == 2

        clock.advance(31)  # cooldown over: one more refetch allowed
        resp = await get(app, bearer(sign(id_claims(), keypair, kid="unknown-kid-3")))
        assert_error(resp, 401, "invalid_token")
        assert cache.fetch_count == 3 and jwks_server.hits == 3


async def test_concurrent_unknown_kids_do_not_stampede(jwks_server: JwksServer) -> None:
    async with JwksCache(jwks_server.url, 3600, 60) as cache:
        results = await asyncio.gather(*(cache.get_key(f"random-{i}") for i in range(50)))
        assert results == [None] * 50
        assert cache.fetch_count == 2 and jwks_server.hits == 2


async def test_key_rotation_new_kid_is_picked_up(
    jwks_server: JwksServer, keypair: RsaKeyPair, other_keypair: RsaKeyPair
) -> None:
    settings = cognito_settings(jwks_server.url)
    async with JwksCache(jwks_server.url, 3600, 60) as cache:
        app = build_app(settings, cache)
        # the pool publishes a second key after we started
        jwks_server.document = {"keys": [keypair.public_jwk(KID), other_keypair.public_jwk(KID_2)]}
        resp = await get(app, bearer(sign(id_claims(), other_keypair, kid=KID_2)))
        assert resp.status_code == 200, resp.text
        assert cache.fetch_count == 2 and cache.key_ids == [KID, KID_2]


async def test_jwks_down_at_start_then_up_recovers(
    jwks_server: JwksServer, keypair: RsaKeyPair, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = cognito_settings(jwks_server.url)
    jwks_server.status = 503
    cache = JwksCache(jwks_server.url, 3600, 60, clock=clock)
    try:
        with caplog.at_level(logging.WARNING, logger="app.auth.cognito"):
            assert await cache.start() is False  # logged, not raised
        assert "JWKS" in caplog.text and not cache.has_keys
        app = build_app(settings, cache)
        token = sign(id_claims(), keypair)

        # still down on the first request: 503, not 401
        resp = await get(app, bearer(token))
        err = assert_error(resp, 503, "auth_unavailable", secret=token)
        assert "JWKS" in err["message"]
        assert int(resp.headers["retry-after"]) >= 1
        assert cache.fetch_count == 2

        # the endpoint comes back; within the empty-retry interval no fetch is made
        jwks_server.status = 200
        resp = await get(app, bearer(token))
        assert_error(resp, 503, "auth_unavailable")
        assert cache.fetch_count == 2

        clock.advance(EMPTY_RETRY_S)
        resp = await get(app, bearer(token))
        assert resp.status_code == 200, resp.text
        assert cache.fetch_count == 3 and cache.has_keys
    finally:
        await cache.aclose()


async def test_down_at_start_first_request_recovers_immediately(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    jwks_server.status = 500
    async with JwksCache(jwks_server.url, 3600, 60) as cache:
        assert not cache.has_keys
        jwks_server.status = 200
        resp = await get(build_app(cognito_settings(jwks_server.url), cache), bearer(sign(id_claims(), keypair)))
        assert resp.status_code == 200, resp.text
        assert cache.fetch_count == 2


async def test_connection_refused_no_keys_is_503(closed_port_url: str, keypair: RsaKeyPair) -> None:
    settings = cognito_settings(closed_port_url)
    async with JwksCache(closed_port_url, 3600, 60, timeout_s=2) as cache:
        assert not cache.has_keys and cache.fetch_failures == 1
        assert cache.last_error and "Connect" in cache.last_error
        app = build_app(settings, cache)
        for _ in range(3):
            resp = await get(app, bearer(sign(id_claims(), keypair)))
            assert_error(resp, 503, "auth_unavailable")
        assert cache.fetch_count == 2  # one retry, then rate limited


async def test_failed_refetch_keeps_stale_keys(jwks_server: JwksServer, keypair: RsaKeyPair, clock: FakeClock) -> None:
    settings = cognito_settings(jwks_server.url)
    async with JwksCache(jwks_server.url, ttl_s=600, cooldown_s=60, clock=clock) as cache:
        app = build_app(settings, cache)
        jwks_server.status = 502
        clock.advance(601)  # keys expired by TTL, endpoint broken
        resp = await get(app, bearer(sign(id_claims(), keypair)))
        assert resp.status_code == 200, resp.text  # served from the stale keys
        assert cache.fetch_count == 2 and cache.fetch_failures == 1
        # unknown kid while broken: refetch rate limited, answer is 401 (keys exist), not 503
        resp = await get(app, bearer(sign(id_claims(), keypair, kid="nope")))
        assert_error(resp, 401, "invalid_token")
        assert cache.fetch_count == 2


async def test_ttl_refresh_replaces_keys(
    jwks_server: JwksServer, keypair: RsaKeyPair, other_keypair: RsaKeyPair, clock: FakeClock
) -> None:
    async with JwksCache(jwks_server.url, ttl_s=600, cooldown_s=60, clock=clock) as cache:
        clock.advance(100)
        assert await cache.get_key(KID) is not None
        assert cache.fetch_count == 1
        # the pool retires KID and publishes KID_2
        jwks_server.document = {"keys": [other_keypair.public_jwk(KID_2)]}
        clock.advance(600)
        assert await cache.get_key(KID) is None  # refreshed: the retired key is gone
        assert cache.fetch_count == 2 and cache.key_ids == [KID_2]


async def test_stale_key_served_while_refresh_in_flight(jwks_server: JwksServer, clock: FakeClock) -> None:
    async with JwksCache(jwks_server.url, ttl_s=600, cooldown_s=60, clock=clock) as cache:
        clock.advance(601)
        jwks_server.delay_s = 0.3
        refresher = asyncio.create_task(cache.get_key(KID))
        await asyncio.sleep(0.05)  # the refresher now holds the lock, waiting on the slow endpoint
        assert await asyncio.wait_for(cache.get_key(KID), 0.1) is not None  # no queueing behind it
        assert not refresher.done()
        assert await refresher is not None
        assert cache.fetch_count == 2


async def test_timeout_is_a_logged_failure(jwks_server: JwksServer) -> None:
    jwks_server.delay_s = 0.5
    async with JwksCache(jwks_server.url, 3600, 60, timeout_s=0.1) as cache:
        assert not cache.has_keys and cache.last_error and "timed out" in cache.last_error


@pytest.mark.parametrize("document", ["not json", '{"keys": []}', '{"nokeys": 1}', "[1, 2]"])
async def test_bad_documents_count_as_failures(jwks_server: JwksServer, document: str) -> None:
    jwks_server.document = document
    async with JwksCache(jwks_server.url, 3600, 60) as cache:
        assert not cache.has_keys and cache.fetch_failures == 1


async def test_redirects_are_not_followed(jwks_server: JwksServer) -> None:
    jwks_server.status = 302
    async with JwksCache(jwks_server.url, 3600, 60) as cache:
        assert not cache.has_keys and cache.last_error == "HTTP 302"


def test_parse_jwks_keeps_only_rsa_signing_keys(keypair: RsaKeyPair) -> None:
    good = keypair.public_jwk("good")
    keys = parse_jwks(
        {
            "keys": [
                good,
                {**keypair.public_jwk("enc"), "use": "enc"},
                {**keypair.public_jwk("rs512"), "alg": "RS512"},
                {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
                {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
                {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
                {**keypair.public_jwk("nokid"), "kid": ""},
                "not a dict",
            ]
        }
    )
    assert sorted(keys) == ["good"]
    with pytest.raises(ValueError, match="usable"):
        parse_jwks({"keys": [{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]})


async def test_create_jwks_cache_per_mode(jwks_server: JwksServer, caplog: pytest.LogCaptureFixture) -> None:
    assert await create_jwks_cache(load_settings(auth_mode="api-key", api_key="k1")) is None
    with caplog.at_level(logging.WARNING, logger="app.auth.cognito"):
        assert await create_jwks_cache(load_settings(auth_mode="none", api_key="")) is None
    assert "AUTH_MODE=none" in caplog.text

    settings = cognito_settings(jwks_server.url, cognito_jwks_ttl_s=123, cognito_jwks_refresh_cooldown_s=7)
    cache = await create_jwks_cache(settings)
    assert cache is not None
    try:
        assert cache.url == jwks_server.url and cache.ttl_s == 123 and cache.cooldown_s == 7
        assert cache.fetch_count == 1 and cache.has_keys
    finally:
        await cache.aclose()


def test_jwks_url_defaults_to_issuer_well_known() -> None:
    settings = load_settings(
        auth_mode="cognito",
        cognito_issuer="https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_AbC123xyz",
        cognito_audience="abc",
    )
    assert settings.jwks_url == (
        "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_AbC123xyz/.well-known/jwks.json"
    )


def test_openapi_documents_both_schemes() -> None:
    app = build_app(load_settings(auth_mode="api-key", api_key="k1"))
    spec = app.openapi()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": api_key_scheme.model.description,
    }
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["HTTPBearer"]["bearerFormat"] == "JWT"
    assert bearer_scheme.model.description
    assert spec["paths"]["/whoami"]["get"]["security"] == [{"APIKeyHeader": []}, {"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/health"]["get"]
