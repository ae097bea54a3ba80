"""Fixtures for the auth tests: real RSA keys, real signed JWTs, a real JWKS HTTP server, a tiny app.

Nothing here is mocked below the HTTP layer: tokens are signed with python-jose, keys are served by a
`ThreadingHTTPServer` on 127.0.0.1 (hits counted), and requests go through FastAPI + the real error handlers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI, Request
from jose import jwk, jwt

from app.auth.cognito import JwksCache
from app.auth.security import Principal, require_principal
from app.core.config import Settings, load_settings
from app.http.errors import install_error_handlers

ISSUER = "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_TestPool1"
CLIENT_A = "client-a-0123456789abcdefghij"
CLIENT_B = "client-b-0123456789abcdefghij"
KID = "test-kid-1"
KID_2 = "test-kid-2"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- keys -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RsaKeyPair:
    private_pem: str
    public_pem: str

    def public_jwk(self, kid: str) -> dict[str, Any]:
        # Built from the PUBLIC pem: a private pem would also emit d, p, q, ...
        out: dict[str, Any] = jwk.construct(self.public_pem, "RS256").to_dict()
        out.update({"kid": kid, "use": "sig", "alg": "RS256"})
        return out


def _new_keypair() -> RsaKeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return RsaKeyPair(private_pem, public_pem)


@pytest.fixture(scope="session")
def keypair() -> RsaKeyPair:
    return _new_keypair()


@pytest.fixture(scope="session")
def other_keypair() -> RsaKeyPair:
    """A second, unrelated key: used to sign tokens that claim `KID` (bad signature) or `KID_2` (rotation)."""
    return _new_keypair()


# --- tokens -----------------------------------------------------------------------------------------


def id_claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "3f1c2d9e-0000-4000-8000-000000000001",
        "iss": ISSUER,
        "aud": CLIENT_A,
        "token_use": "id",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
        "cognito:username": "hong.gildong",
        "email": "gildong@example.kr",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def access_claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "3f1c2d9e-0000-4000-8000-000000000001",
        "iss": ISSUER,
        "client_id": CLIENT_A,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
        "username": "hong.gildong",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims: dict[str, Any], pair: RsaKeyPair, kid: str = KID) -> str:
    return str(jwt.encode(claims, pair.private_pem, algorithm="RS256", headers={"kid": kid}))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())


def alg_none_token(claims: dict[str, Any], kid: str = KID) -> str:
    """Hand-built `alg: none` token (python-jose refuses to produce one)."""
    return _segments({"alg": "none", "typ": "JWT", "kid": kid}, claims) + "."


def hs256_with_public_pem_token(claims: dict[str, Any], public_pem: str, kid: str = KID) -> str:
    """The classic algorithm-confusion attack: HMAC-SHA256 keyed with the RSA public key PEM."""
    signing_input = _segments({"alg": "HS256", "typ": "JWT", "kid": kid}, claims)
    mac = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


# --- JWKS server ------------------------------------------------------------------------------------


@dataclass
class JwksServer:
    """A real HTTP JWKS endpoint; tests change `document` / `status` and read `hits`."""

    httpd: ThreadingHTTPServer
    default_document: dict[str, Any]
    document: dict[str, Any] | str = field(default_factory=dict)
    status: int = 200
    delay_s: float = 0.0
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/ap-northeast-2_TestPool1/.well-known/jwks.json"

    def reset(self) -> None:
        with self.lock:
            self.document = json.loads(json.dumps(self.default_document))
            self.status = 200
            self.delay_s = 0.0
            self.hits = 0


def _handler_for(state: Callable[[], JwksServer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            srv = state()
            with srv.lock:
                srv.hits += 1
                status, doc, delay = srv.status, srv.document, srv.delay_s
            if delay:
                time.sleep(delay)
            body = (doc if isinstance(doc, str) else json.dumps(doc)).encode()
            if status != 200:
                body = b'{"message": "unavailable"}'
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="session")
def _jwks_server_session(keypair: RsaKeyPair) -> Iterator[JwksServer]:
    holder: list[JwksServer] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(lambda: holder[0]))
    httpd.daemon_threads = True
    srv = JwksServer(httpd=httpd, default_document={"keys": [keypair.public_jwk(KID)]})
    holder.append(srv)
    thread = threading.Thread(target=httpd.serve_forever, name="jwks-server", daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def jwks_server(_jwks_server_session: JwksServer) -> JwksServer:
    _jwks_server_session.reset()
    return _jwks_server_session


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/.well-known/jwks.json"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- settings and app ---------------------------------------------------------------------------------


def cognito_settings(jwks_url: str, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "auth_mode": "cognito",
        "cognito_issuer": ISSUER,
        "cognito_audience": f"{CLIENT_A},{CLIENT_B}",
        "cognito_jwks_url": jwks_url,
        "cognito_jwks_ttl_s": 3600,
        "cognito_jwks_refresh_cooldown_s": 60,
        "cognito_leeway_s": 30,
    }
    values.update(over)
    return load_settings(**values)


def build_app(settings: Settings, jwks: JwksCache | None = None) -> FastAPI:
    """A minimal app wired like the real one: error envelope, request id, one protected route."""
    app = FastAPI()
    install_error_handlers(app)

    @app.middleware("http")
    async def request_id(request: Request, call_next: Any) -> Any:
        request.state.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        return await call_next(request)

    @app.get("/whoami")
    async def whoami(request: Request, principal: Principal = Depends(require_principal)) -> dict[str, Any]:
        assert request.state.principal is principal
        return {
            "subject": principal.subject,
            "method": principal.method,
            "key_id": principal.key_id,
            "token_use": principal.claims.get("token_use"),
        }

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.state.settings = settings
    app.state.jwks = jwks
    return app


async def get(app: FastAPI, headers: dict[str, str] | None = None, path: str = "/whoami") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, headers=headers or {})


def assert_error(resp: httpx.Response, status: int, code: str, *, secret: str | None = None) -> dict[str, Any]:
    """The response is the error envelope with this status and code; `secret` appears nowhere in it."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"code", "message", "request_id"} <= set(err), err
    assert err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"], err
    assert err["request_id"], err
    if secret:
        assert secret not in resp.text
        assert all(secret not in v for v in resp.headers.values())
        # nor any meaningful chunk of it (e.g. the signature or payload segment of a JWT)
        for chunk in secret.split("."):
            if len(chunk) >= 8:
                assert chunk not in resp.text
    return dict(err)
