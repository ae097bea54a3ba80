"""The one auth dependency: `require_principal` (x-api-key, Cognito bearer JWT, or none).

Routes use `Depends(require_principal)`. Both security schemes are declared so that OpenAPI documents them
(`APIKeyHeader` and `HTTPBearer`); which one is enforced depends on AUTH_MODE. Credentials are never logged
or echoed in error messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.auth.api_key import verify_api_key
from app.auth.cognito import bearer_challenge, verify_cognito_token
from app.core.config import AuthMode, Settings
from app.core.errors import AppError, ErrorCode

log = logging.getLogger(__name__)

API_KEY_HEADER = "x-api-key"

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="API key (AUTH_MODE=api-key). Send `x-api-key: <key>`.",
)
bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="Cognito ID or access token (AUTH_MODE=cognito). Send `Authorization: Bearer <JWT>`.",
)

_API_KEY_CHALLENGE = {"WWW-Authenticate": "APIKey"}


@dataclass(frozen=True)
class Principal:
    """Who made the request. `key_id` is stable and safe to log (never the credential itself)."""

    subject: str
    method: Literal["api-key", "cognito", "none"]
    key_id: str
    claims: dict[str, Any] = field(default_factory=dict, repr=False)


ANONYMOUS = Principal(subject="anonymous", method="none", key_id="anonymous", claims={})


def _unauthenticated(message: str, headers: dict[str, str]) -> AppError:
    return AppError(ErrorCode.UNAUTHENTICATED, message, headers=headers)


def _principal_from_api_key(request: Request, settings: Settings, api_key: str | None) -> Principal:
    if api_key is None:
        raw = request.headers.get(API_KEY_HEADER)
        if raw is not None:
            raise _unauthenticated("The x-api-key header is empty.", _API_KEY_CHALLENGE)
        if request.headers.get("authorization"):
            raise _unauthenticated(
                "This service expects an API key in the x-api-key header; the Authorization header "
                "is not used (AUTH_MODE=api-key).",
                _API_KEY_CHALLENGE,
            )
        raise _unauthenticated("Missing x-api-key header.", _API_KEY_CHALLENGE)
    key_id = verify_api_key(api_key, settings.api_key)
    if key_id is None:
        raise _unauthenticated("The API key is not valid.", _API_KEY_CHALLENGE)
    return Principal(subject=f"api-key:{key_id}", method="api-key", key_id=key_id, claims={})


def _bearer_token(request: Request) -> str:
    """The token of `Authorization: Bearer <token>`; each way of getting it wrong has its own message
    (never echoing any of the header)."""
    raw = (request.headers.get("authorization") or "").strip()
    if not raw:
        if request.headers.get(API_KEY_HEADER) is not None:
            raise _unauthenticated(
                "This service expects a Cognito token in 'Authorization: Bearer <token>'; x-api-key is not "
                "accepted (AUTH_MODE=cognito).",
                bearer_challenge(),
            )
        raise _unauthenticated("Missing 'Authorization: Bearer <token>' header.", bearer_challenge())
    scheme, _, rest = raw.partition(" ")
    if scheme.lower() != "bearer":
        raise _unauthenticated(
            "The Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'.",
            bearer_challenge("invalid_request", "Authorization must use the Bearer scheme"),
        )
    if not rest.strip():
        raise _unauthenticated(
            "The Authorization header has the Bearer scheme but no token.",
            bearer_challenge("invalid_request", "Bearer token missing"),
        )
    return rest.strip()


async def authenticate(request: Request) -> Principal:
    """The request's principal per AUTH_MODE, from its headers alone (the body is never read): the request
    guard (app/http/guard.py) calls it before a body is accepted, the routes' dependency otherwise."""
    settings: Settings = request.app.state.settings
    mode = settings.auth_mode
    if mode == AuthMode.NONE:
        return ANONYMOUS
    if mode == AuthMode.API_KEY:
        return _principal_from_api_key(request, settings, request.headers.get(API_KEY_HEADER) or None)
    if mode == AuthMode.COGNITO:
        token = _bearer_token(request)
        cache = getattr(request.app.state, "jwks", None)
        claims = await verify_cognito_token(token, settings, cache)
        sub = str(claims["sub"])
        return Principal(subject=sub, method="cognito", key_id=sub, claims=claims)
    raise AppError(ErrorCode.INTERNAL, f"unknown AUTH_MODE {mode!r}")  # pragma: no cover - the enum is exhaustive


async def require_principal(
    request: Request,
    api_key: str | None = Security(api_key_scheme),
    bearer: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
) -> Principal:
    """Authenticate the request per AUTH_MODE; sets and returns `request.state.principal`. The two
    security parameters declare the schemes in OpenAPI; the check itself reads the headers
    (:func:`authenticate`), once per request: a principal the request guard found is reused."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        principal = await authenticate(request)
        request.state.principal = principal
    return principal
