"""Cognito token failures in the caller's language, through the whole service over real HTTP (the real
lifespan builds the JWKS cache from a real key server; tokens are really signed)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from app.main import create_app
from tests.auth.conftest import JwksServer, RsaKeyPair, cognito_settings, id_claims, sign
from tests.conftest import ThreadServer
from tests.fakes import SlowFakeEngines

KO = {"Accept-Language": "ko"}


@pytest.fixture
def srv(jwks_server: JwksServer) -> Iterator[ThreadServer]:
    settings = cognito_settings(jwks_server.url, det_workers=1, rec_workers=1)
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines())) as server:
        yield server


def _message(r: httpx.Response, status: int, code: str, lang: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert r.headers["content-language"] == lang
    return str(r.json()["error"]["message"])


def test_token_failures_in_korean_and_english(srv: ThreadServer, keypair: RsaKeyPair) -> None:
    expired = sign(id_claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), keypair)
    for lang, headers in (("ko", KO), ("en", {})):
        r = httpx.get(srv.url + "/jobs/abc", headers={**headers, "Authorization": f"Bearer {expired}"})
        message = _message(r, 401, "token_expired", lang)
        assert r.headers["www-authenticate"].startswith("Bearer")
        if lang == "ko":
            assert message == "Bearer 토큰이 만료되었습니다. 새 토큰을 받거나 토큰을 갱신한 뒤 다시 시도하세요."
        else:
            assert message == "The bearer token has expired; get a new one (or refresh it) and retry."
        assert expired not in r.text

    r = httpx.get(srv.url + "/jobs/abc", headers={**KO, "Authorization": "Bearer not-a-jwt"})
    assert _message(r, 401, "invalid_token", "ko") == "Bearer 토큰이 올바른 형식의 JWT가 아닙니다."
    wrong_aud = sign(id_claims(aud="someone-else"), keypair)
    r = httpx.get(srv.url + "/jobs/abc", headers={**KO, "Authorization": f"Bearer {wrong_aud}"})
    assert _message(r, 401, "invalid_token", "ko") == "ID 토큰의 대상(aud)이 허용된 앱 클라이언트가 아닙니다."
    # the request guard answers before the body is read, in Korean too
    r = httpx.post(srv.url + "/ocr", headers={**KO, "x-api-key": "k"}, files={"file": ("a.png", b"x", "image/png")})
    assert _message(r, 401, "unauthenticated", "ko").startswith("이 서비스는 'Authorization: Bearer <token>' 헤더로")
