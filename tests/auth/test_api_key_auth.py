"""API keys: constant-time matching (unit) and the x-api-key dependency over HTTP."""

from __future__ import annotations

import hashlib
import secrets

import pytest
from fastapi import FastAPI

from app.auth import api_key as api_key_module
from app.auth.api_key import api_key_id, verify_api_key
from app.core.config import SettingsError, load_settings
from tests.auth.conftest import assert_error, build_app, get

KEYS = ["alpha-key-0001-aaaaaaaaaaaa", "bravo-key-0002-bbbbbbbbbbbb", "charlie-key-0003-cccccccccc"]

pytestmark = pytest.mark.anyio


def test_right_key_among_several_returns_its_key_id() -> None:
    for key in KEYS:
        key_id = verify_api_key(key, KEYS)
        assert key_id == hashlib.sha256(key.encode()).hexdigest()[:12]
        assert key_id == api_key_id(key)
        assert len(key_id) == 12 and key not in key_id


def test_wrong_empty_and_near_miss_keys_are_rejected() -> None:
    assert verify_api_key("nope", KEYS) is None
    assert verify_api_key("", KEYS) is None
    assert verify_api_key(KEYS[0][:-1], KEYS) is None  # prefix
    assert verify_api_key(KEYS[0] + "x", KEYS) is None  # extension
    assert verify_api_key(KEYS[0].upper(), KEYS) is None
    assert verify_api_key(" " + KEYS[0], KEYS) is None
    assert verify_api_key(KEYS[0], []) is None
    assert verify_api_key("", [""]) is None  # an empty configured key never authenticates anything


def test_non_ascii_key() -> None:
    keys = ["비밀-열쇠-1234567890"]
    assert verify_api_key("비밀-열쇠-1234567890", keys) == api_key_id(keys[0])
    assert verify_api_key("비밀-열쇠-123456789", keys) is None


@pytest.mark.parametrize("presented", [KEYS[0], KEYS[-1], "wrong", ""])
def test_compare_digest_runs_against_every_key(monkeypatch: pytest.MonkeyPatch, presented: str) -> None:
    """No early exit: the first key matching costs the same comparisons as no key matching."""
    calls: list[tuple[int, int]] = []
    real = secrets.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(api_key_module.secrets, "compare_digest", counting)
    verify_api_key(presented, KEYS)
    assert len(calls) == len(KEYS)
    # fixed-length digests on both sides: key lengths are not observable through compare_digest
    assert all(a == b == 32 for a, b in calls)


# --- HTTP -------------------------------------------------------------------------------------------


def _app() -> FastAPI:
    return build_app(load_settings(auth_mode="api-key", api_key=",".join(KEYS)))


async def test_http_valid_key() -> None:
    resp = await get(_app(), {"x-api-key": KEYS[1]})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["method"] == "api-key"
    assert body["key_id"] == api_key_id(KEYS[1])
    assert body["subject"] == f"api-key:{api_key_id(KEYS[1])}"
    assert KEYS[1] not in resp.text


async def test_http_wrong_key() -> None:
    resp = await get(_app(), {"x-api-key": "definitely-not-a-key-12345"})
    err = assert_error(resp, 401, "unauthenticated", secret="definitely-not-a-key-12345")
    assert resp.headers["www-authenticate"] == "APIKey"
    assert "not valid" in err["message"]


async def test_http_empty_key() -> None:
    resp = await get(_app(), {"x-api-key": ""})
    err = assert_error(resp, 401, "unauthenticated")
    assert "empty" in err["message"]
    assert resp.headers["www-authenticate"] == "APIKey"


async def test_http_missing_header() -> None:
    resp = await get(_app(), {"x-request-id": "req-123"})
    err = assert_error(resp, 401, "unauthenticated")
    assert err["request_id"] == "req-123"
    assert "x-api-key" in err["message"]
    assert resp.headers["www-authenticate"] == "APIKey"


async def test_http_bearer_in_api_key_mode_gets_a_hint() -> None:
    resp = await get(_app(), {"authorization": "Bearer some.jwt.value"})
    err = assert_error(resp, 401, "unauthenticated", secret="some.jwt.value")
    assert "x-api-key" in err["message"]


async def test_http_header_name_is_case_insensitive() -> None:
    resp = await get(_app(), {"X-API-Key": KEYS[0]})
    assert resp.status_code == 200


async def test_http_open_route_needs_nothing() -> None:
    resp = await get(_app(), path="/health")
    assert resp.status_code == 200


def test_api_key_mode_requires_a_key() -> None:
    with pytest.raises(SettingsError, match="API_KEY"):
        load_settings(auth_mode="api-key", api_key="")


async def test_auth_mode_none_is_anonymous() -> None:
    app = build_app(load_settings(auth_mode="none", api_key=""))
    resp = await get(app)
    assert resp.status_code == 200
    assert resp.json() == {"subject": "anonymous", "method": "none", "key_id": "anonymous", "token_use": None}
