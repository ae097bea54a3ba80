"""Cognito bearer tokens over HTTP: every acceptance rule and every rejection, with the error envelope."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from app.auth.cognito import JwksCache, verify_cognito_token
from app.core.errors import AppError
from tests.auth.conftest import (
    CLIENT_A,
    CLIENT_B,
    ISSUER,
    KID,
    JwksServer,
    RsaKeyPair,
    access_claims,
    alg_none_token,
    assert_error,
    b64url,
    build_app,
    cognito_settings,
    get,
    hs256_with_public_pem_token,
    id_claims,
    sign,
)

pytestmark = pytest.mark.anyio


async def call(
    jwks_server: JwksServer, headers: dict[str, str], **settings_over: Any
) -> tuple[httpx.Response, JwksCache]:
    """One request against a freshly started cache + app (the way the lifespan wires them)."""
    settings = cognito_settings(jwks_server.url, **settings_over)
    async with JwksCache(jwks_server.url, ttl_s=3600, cooldown_s=60) as cache:
        resp = await get(build_app(settings, cache), headers)
    return resp, cache


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_invalid_token(resp: httpx.Response, token: str, *, contains: str | None = None) -> None:
    err = assert_error(resp, 401, "invalid_token", secret=token)
    assert resp.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    if contains:
        assert contains in err["message"], err["message"]


# --- accepted -----------------------------------------------------------------------------------------


async def test_valid_id_token(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    resp, cache = await call(jwks_server, bearer(sign(id_claims(), keypair)))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body == {
        "subject": id_claims()["sub"],
        "method": "cognito",
        "key_id": id_claims()["sub"],
        "token_use": "id",
    }
    assert cache.fetch_count == 1 and jwks_server.hits == 1


async def test_valid_access_token(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    resp, _ = await call(jwks_server, bearer(sign(access_claims(), keypair)))
    assert resp.status_code == 200, resp.text
    assert resp.json()["token_use"] == "access"


async def test_second_configured_client_and_list_aud(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    resp, _ = await call(jwks_server, bearer(sign(access_claims(client_id=CLIENT_B), keypair)))
    assert resp.status_code == 200, resp.text
    resp, _ = await call(jwks_server, bearer(sign(id_claims(aud=["someone-else", CLIENT_B]), keypair)))
    assert resp.status_code == 200, resp.text


async def test_lowercase_bearer_scheme(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    resp, _ = await call(jwks_server, {"authorization": "bearer " + sign(id_claims(), keypair)})
    assert resp.status_code == 200, resp.text


async def test_expired_within_leeway_is_accepted(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(id_claims(exp=int(time.time()) - 10), keypair)
    resp, _ = await call(jwks_server, bearer(token), cognito_leeway_s=30)
    assert resp.status_code == 200, resp.text


async def test_hosted_ui_id_token_with_at_hash_is_accepted(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    resp, _ = await call(jwks_server, bearer(sign(id_claims(at_hash="x3bq0nmmQIfz2YmoWJG6pg"), keypair)))
    assert resp.status_code == 200, resp.text


# --- rejected -----------------------------------------------------------------------------------------


async def test_expired(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(id_claims(exp=int(time.time()) - 120, iat=int(time.time()) - 3720), keypair)
    resp, _ = await call(jwks_server, bearer(token), cognito_leeway_s=30)
    err = assert_error(resp, 401, "token_expired", secret=token)
    assert "expired" in err["message"]
    assert resp.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_missing_exp(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(id_claims(exp=None), keypair)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="exp")


async def test_wrong_issuer(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(id_claims(iss=ISSUER.replace("TestPool1", "OtherPool")), keypair)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="iss")


async def test_missing_issuer(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(id_claims(iss=None), keypair)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="iss")


async def test_id_token_wrong_audience(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(id_claims(aud="some-other-client"), keypair)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="aud")


async def test_id_token_without_aud_but_with_client_id(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(id_claims(aud=None, client_id=CLIENT_A), keypair)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="aud")


async def test_access_token_wrong_client_id(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(access_claims(client_id="some-other-client"), keypair)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="client_id")


async def test_access_token_aud_does_not_replace_client_id(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    """python-jose skips aud when absent; an access token is judged by client_id only."""
    token = sign(access_claims(client_id=None, aud=CLIENT_A), keypair)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="client_id")


@pytest.mark.parametrize("token_use", ["refresh", "", None, "ID"])
async def test_wrong_token_use(jwks_server: JwksServer, keypair: RsaKeyPair, token_use: str | None) -> None:
    token = sign(id_claims(token_use=token_use), keypair)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="token_use")


async def test_missing_sub(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(id_claims(sub=None), keypair)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="sub")


async def test_bad_signature_other_key_same_kid(
    jwks_server: JwksServer, keypair: RsaKeyPair, other_keypair: RsaKeyPair
) -> None:
    token = sign(id_claims(), other_keypair, kid=KID)
    resp, cache = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="signature")
    assert cache.fetch_count == 1  # a known kid never triggers a refetch


async def test_tampered_payload(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    header, _, signature = sign(id_claims(), keypair).split(".")
    forged = header + "." + b64url(b'{"sub":"admin","iss":"%s"}' % ISSUER.encode()) + "." + signature
    resp, _ = await call(jwks_server, bearer(forged))
    assert_invalid_token(resp, forged, contains="signature")


async def test_alg_none(jwks_server: JwksServer) -> None:
    token = alg_none_token(id_claims())
    resp, cache = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="RS256")
    assert cache.fetch_count == 1


async def test_hs256_signed_with_public_pem(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = hs256_with_public_pem_token(id_claims(), keypair.public_pem)
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token, contains="RS256")


async def test_hs256_rejected_by_verifier_even_if_header_check_were_skipped(keypair: RsaKeyPair) -> None:
    """Defence in depth: the decode call itself pins RS256, so a JWKError/JWTError is a 401, not a 500."""
    from jose import jwk, jwt
    from jose.exceptions import JOSEError

    token = hs256_with_public_pem_token(id_claims(), keypair.public_pem)
    key = jwk.construct(keypair.public_pem, "RS256")
    with pytest.raises(JOSEError):
        jwt.decode(token, key, algorithms=["RS256"], issuer=ISSUER, options={"verify_aud": False})


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJSUzI1NiJ9",
        "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Qta2lkLTEifQ.e30.!!!",  # RS256 + known kid, bad signature bytes
        "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Qta2lkLTEifQ.bm90IGpzb24.c2ln",  # payload not JSON
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",  # no kid
        "bm90IGpzb24.e30.c2ln",  # header not JSON
        "W10.e30.c2ln",  # header is a JSON array
        "x" * 20_000,
    ],
)
async def test_garbage_tokens(jwks_server: JwksServer, token: str) -> None:
    resp, _ = await call(jwks_server, bearer(token))
    assert_invalid_token(resp, token)


# --- header problems ----------------------------------------------------------------------------------


async def test_missing_authorization_header(jwks_server: JwksServer) -> None:
    resp, _ = await call(jwks_server, {})
    err = assert_error(resp, 401, "unauthenticated")
    assert "Authorization: Bearer" in err["message"]
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_basic_scheme(jwks_server: JwksServer) -> None:
    resp, _ = await call(jwks_server, {"authorization": "Basic dXNlcjpzM2NyZXQtcGFzc3dvcmQ="})
    err = assert_error(resp, 401, "unauthenticated", secret="dXNlcjpzM2NyZXQtcGFzc3dvcmQ=")
    assert "Bearer scheme" in err["message"]
    assert resp.headers["www-authenticate"].startswith("Bearer")


async def test_token_without_scheme(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    token = sign(id_claims(), keypair)
    resp, _ = await call(jwks_server, {"authorization": token})
    err = assert_error(resp, 401, "unauthenticated", secret=token)
    assert "Bearer scheme" in err["message"]


async def test_bearer_without_token(jwks_server: JwksServer) -> None:
    resp, _ = await call(jwks_server, {"authorization": "Bearer"})
    err = assert_error(resp, 401, "unauthenticated")
    assert "no token" in err["message"]
    resp, _ = await call(jwks_server, {"authorization": "Bearer    "})
    assert_error(resp, 401, "unauthenticated")


async def test_api_key_header_in_cognito_mode_gets_a_hint(jwks_server: JwksServer) -> None:
    resp, _ = await call(jwks_server, {"x-api-key": "some-api-key-value"})
    err = assert_error(resp, 401, "unauthenticated", secret="some-api-key-value")
    assert "Bearer" in err["message"] and "x-api-key" in err["message"]


async def test_no_cache_wired_is_503_not_500(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    app = build_app(cognito_settings(jwks_server.url), None)
    resp = await get(app, bearer(sign(id_claims(), keypair)))
    assert_error(resp, 503, "auth_unavailable")


# --- verifier used directly ---------------------------------------------------------------------------


async def test_verify_returns_claims(jwks_server: JwksServer, keypair: RsaKeyPair) -> None:
    settings = cognito_settings(jwks_server.url)
    async with JwksCache(jwks_server.url, 3600, 60) as cache:
        claims = await verify_cognito_token(sign(access_claims(), keypair), settings, cache)
        assert claims["client_id"] == CLIENT_A and claims["token_use"] == "access"
        with pytest.raises(AppError) as info:
            await verify_cognito_token(sign(access_claims(client_id="x"), keypair), settings, cache)
        assert info.value.code.slug == "invalid_token" and info.value.status == 401
