"""Real Cognito-shaped tokens: a moto user pool issues ID and access tokens through initiate_auth.

moto signs with a fixed key (kid "dummy") whose private half ships inside moto, and puts the real-AWS
issuer (`https://cognito-idp.<region>.amazonaws.com/<pool id>`) in `iss`. So COGNITO_ISSUER is the AWS form
and COGNITO_JWKS_URL points at moto. (Never trust a moto JWKS outside tests.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest

from app.auth.cognito import JwksCache, create_jwks_cache
from app.core.config import Settings, load_settings
from tests.auth.conftest import assert_error, build_app, get

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

REGION = "ap-northeast-2"


@dataclass(frozen=True)
class MotoPool:
    endpoint: str
    pool_id: str
    client_id: str
    other_client_id: str
    issuer: str
    jwks_url: str
    id_token: str
    access_token: str
    other_client_id_token: str
    other_client_access_token: str

    def settings(self, **over: Any) -> Settings:
        values: dict[str, Any] = {
            "auth_mode": "cognito",
            "cognito_issuer": self.issuer,
            "cognito_audience": self.client_id,
            "cognito_jwks_url": self.jwks_url,
        }
        values.update(over)
        return load_settings(**values)


@pytest.fixture(scope="module")
def moto_pool() -> Iterator[MotoPool]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        idp = boto3.client(
            "cognito-idp",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        pool_id = idp.create_user_pool(PoolName="ocr-users")["UserPool"]["Id"]
        flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

        def new_client(name: str) -> str:
            return str(
                idp.create_user_pool_client(
                    UserPoolId=pool_id, ClientName=name, GenerateSecret=False, ExplicitAuthFlows=flows
                )["UserPoolClient"]["ClientId"]
            )

        client_id, other_client_id = new_client("ocr-web"), new_client("someone-else")
        username, password = "hong.gildong", "Secr3t-Passw0rd!"
        idp.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)

        def login(cid: str) -> dict[str, Any]:
            out = idp.initiate_auth(
                ClientId=cid,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
            return dict(out["AuthenticationResult"])

        mine, theirs = login(client_id), login(other_client_id)
        yield MotoPool(
            endpoint=endpoint,
            pool_id=pool_id,
            client_id=client_id,
            other_client_id=other_client_id,
            issuer=f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
            jwks_url=f"{endpoint}/{pool_id}/.well-known/jwks.json",
            id_token=mine["IdToken"],
            access_token=mine["AccessToken"],
            other_client_id_token=theirs["IdToken"],
            other_client_access_token=theirs["AccessToken"],
        )
    finally:
        server.stop()


async def _call(pool: MotoPool, token: str, **over: Any) -> tuple[httpx.Response, JwksCache]:
    settings = pool.settings(**over)
    cache = await create_jwks_cache(settings)
    assert cache is not None
    try:
        return await get(build_app(settings, cache), {"authorization": f"Bearer {token}"}), cache
    finally:
        await cache.aclose()


async def test_moto_id_token_verifies(moto_pool: MotoPool) -> None:
    resp, cache = await _call(moto_pool, moto_pool.id_token)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["method"] == "cognito" and body["token_use"] == "id"
    assert body["subject"] and body["key_id"] == body["subject"]
    assert cache.key_ids == ["dummy"] and cache.fetch_count == 1


async def test_moto_access_token_verifies(moto_pool: MotoPool) -> None:
    resp, _ = await _call(moto_pool, moto_pool.access_token)
    assert resp.status_code == 200, resp.text
    assert resp.json()["token_use"] == "access"


async def test_moto_same_user_same_subject_in_both_tokens(moto_pool: MotoPool) -> None:
    id_resp, _ = await _call(moto_pool, moto_pool.id_token)
    access_resp, _ = await _call(moto_pool, moto_pool.access_token)
    assert id_resp.json()["subject"] == access_resp.json()["subject"]


async def test_moto_tokens_of_another_app_client_are_rejected(moto_pool: MotoPool) -> None:
    for token, what in (
        (moto_pool.other_client_id_token, "aud"),
        (moto_pool.other_client_access_token, "client_id"),
    ):
        resp, _ = await _call(moto_pool, token)
        err = assert_error(resp, 401, "invalid_token", secret=token)
        assert what in err["message"]
    # ...and accepted once that client is configured too
    resp, _ = await _call(
        moto_pool,
        moto_pool.other_client_access_token,
        cognito_audience=f"{moto_pool.client_id},{moto_pool.other_client_id}",
    )
    assert resp.status_code == 200, resp.text


async def test_moto_issuer_must_be_the_aws_form(moto_pool: MotoPool) -> None:
    # Using moto's own URL as the issuer is wrong: Cognito's iss is the AWS URL.
    resp, _ = await _call(moto_pool, moto_pool.id_token, cognito_issuer=f"{moto_pool.endpoint}/{moto_pool.pool_id}")
    assert_error(resp, 401, "invalid_token")
    # another pool in the same region
    resp, _ = await _call(
        moto_pool, moto_pool.id_token, cognito_issuer=moto_pool.issuer.replace(moto_pool.pool_id, "x_y")
    )
    assert_error(resp, 401, "invalid_token")


async def test_moto_tampered_token_is_rejected(moto_pool: MotoPool) -> None:
    header, payload, signature = moto_pool.access_token.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    token = f"{header}.{payload}.{flipped}"
    resp, _ = await _call(moto_pool, token)
    assert_error(resp, 401, "invalid_token", secret=token)
