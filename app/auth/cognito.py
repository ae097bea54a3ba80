"""Cognito JWT verification: a cached JWKS and the claim checks for ID and access tokens.

Verification rules (all must hold):
- the header's `alg` is RS256 (checked before any key lookup; `jwt.decode` always gets algorithms=["RS256"]);
- the header's `kid` is in the user pool's JWKS (refetched once on an unknown kid, rate limited);
- the RSA signature is valid;
- `iss` equals COGNITO_ISSUER; `exp` is present and not past (COGNITO_LEEWAY_S of clock skew allowed);
- `token_use` is "id" or "access"; an ID token's `aud`, or an access token's `client_id`, is one of
  COGNITO_AUDIENCE (python-jose only checks `aud` when the claim exists, so both are checked here);
- `sub` is a non-empty string.

Every failure is an AppError (401 invalid_token / token_expired, or 503 auth_unavailable when no keys could
ever be fetched). Messages say what is wrong and never contain the token or its claims.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from jose import jwk, jwt
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError

from app.core.config import AuthMode, Settings
from app.core.errors import AppError, ErrorCode

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
ACCEPTED_TOKEN_USES = frozenset({"id", "access"})
# While no key was ever loaded, retry the JWKS endpoint at most this often (or every cooldown, if shorter).
EMPTY_RETRY_S = 5.0
MAX_JWKS_BYTES = 1024 * 1024
MAX_TOKEN_CHARS = 16 * 1024


def bearer_challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    """`WWW-Authenticate` header for a Bearer 401 (RFC 6750 section 3)."""
    if error is None:
        return {"WWW-Authenticate": "Bearer"}
    value = f'Bearer error="{error}"'
    if description:
        safe = description.replace('"', "'").replace("\\", "/")
        value += f', error_description="{safe}"'
    return {"WWW-Authenticate": value}


def _invalid(message: str) -> AppError:
    return AppError(ErrorCode.INVALID_TOKEN, message, headers=bearer_challenge("invalid_token", message))


class JwksCache:
    """The user pool's signing keys, `{kid: constructed RSA key}`, fetched with one reused async client.

    - `start()` loads the keys once (a failure is logged, not raised: the service still starts).
    - `get_key(kid)` serves from memory. A refetch happens when the kid is unknown, when the keys are older
      than `ttl_s`, or when no key was ever loaded; request-triggered refetches happen at most once per
      `cooldown_s` (at most every min(cooldown_s, 5 s) while there are no keys), behind one asyncio.Lock, so
      a burst of tokens with random kids costs at most one fetch.
    - A failed refetch keeps the keys already held (stale keys beat an outage). A successful one replaces them
      all, so keys removed from the pool stop being accepted.
    - While a refresh of expired keys is in flight, other requests keep using the stale keys without waiting.

    `fetch_count` (HTTP fetches attempted) and `fetch_failures` are exposed for tests and diagnostics.
    """

    def __init__(
        self,
        url: str,
        ttl_s: float,
        cooldown_s: float,
        timeout_s: float = 5.0,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.ttl_s = ttl_s
        self.cooldown_s = cooldown_s
        self.timeout_s = timeout_s
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._loaded_at: float | None = None
        self._last_refetch: float | None = None
        self._lock = asyncio.Lock()
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            headers={"accept": "application/json"},
        )
        self.fetch_count = 0
        self.fetch_failures = 0
        self.last_error: str | None = None

    # --- public API ---
    async def start(self) -> bool:
        """First fetch. Returns whether keys were loaded; never raises for a fetch failure."""
        async with self._lock:
            ok = await self._fetch()
        if not ok:
            log.error(
                "JWKS could not be loaded at start-up from %s (%s); bearer tokens get 503 auth_unavailable "
                "until a fetch succeeds",
                self.url,
                self.last_error,
            )
        return ok

    async def get_key(self, kid: str) -> Any | None:
        """The constructed public key for `kid`, or None when it is not in the key set (after any refetch)."""
        key = self._keys.get(kid)
        now = self._clock()
        if key is not None and not self._is_stale(now):
            return key
        if key is not None and self._lock.locked():
            return key  # a refresh is already running: serve the stale key instead of queueing behind it
        if not self._may_refetch(now):
            return key
        async with self._lock:
            # Re-check: whoever held the lock before us may just have refreshed (or tried to).
            key = self._keys.get(kid)
            now = self._clock()
            if key is not None and not self._is_stale(now):
                return key
            if not self._may_refetch(now):
                return key
            self._last_refetch = now
            if not self._keys:
                reason = "no keys loaded"
            elif key is None:
                reason = "unknown kid"
            else:
                reason = "keys older than the TTL"
            log.info("refetching JWKS from %s (%s)", self.url, reason)
            await self._fetch()
            return self._keys.get(kid)

    @property
    def has_keys(self) -> bool:
        return bool(self._keys)

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    @property
    def loaded_at(self) -> float | None:
        """Clock time (monotonic) of the last successful fetch."""
        return self._loaded_at

    def retry_after_s(self) -> int:
        """Whole seconds until a request may trigger the next fetch (at least 1); for `Retry-After`."""
        if self._last_refetch is None:
            return 1
        wait = self._refetch_interval() - (self._clock() - self._last_refetch)
        return max(1, math.ceil(wait))

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> JwksCache:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- internals ---
    def _is_stale(self, now: float) -> bool:
        return self._loaded_at is None or now - self._loaded_at >= self.ttl_s

    def _refetch_interval(self) -> float:
        return self.cooldown_s if self._keys else min(self.cooldown_s, EMPTY_RETRY_S)

    def _may_refetch(self, now: float) -> bool:
        return self._last_refetch is None or now - self._last_refetch >= self._refetch_interval()

    async def _fetch(self) -> bool:
        self.fetch_count += 1
        started = time.perf_counter()
        try:
            resp = await self._client.get(self.url)
            resp.raise_for_status()
            if len(resp.content) > MAX_JWKS_BYTES:
                raise ValueError(f"JWKS document larger than {MAX_JWKS_BYTES} bytes")
            keys = parse_jwks(resp.json())
        except Exception as exc:  # any failure: keep what we have, never break a request
            self.fetch_failures += 1
            self.last_error = _describe_fetch_error(exc)
            log.warning(
                "JWKS fetch from %s failed: %s; keeping %d cached key(s)",
                self.url,
                self.last_error,
                len(self._keys),
            )
            return False
        self._keys = keys
        self._loaded_at = self._clock()
        self.last_error = None
        log.info(
            "JWKS loaded from %s: %d key(s) %s in %.1f ms",
            self.url,
            len(keys),
            sorted(keys),
            (time.perf_counter() - started) * 1000,
        )
        return True


def _describe_fetch_error(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {exc}"
    return f"invalid JWKS document: {exc}" if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"


def parse_jwks(document: object) -> dict[str, Any]:
    """`{kid: constructed key}` for every RSA signing key usable with RS256; ValueError if there is none."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("no 'keys' list")
    out: dict[str, Any] = {}
    for item in document["keys"]:
        if not isinstance(item, Mapping):
            continue
        kid = item.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        if item.get("kty") != "RSA" or item.get("use", "sig") != "sig" or item.get("alg", ALGORITHM) != ALGORITHM:
            continue
        # Only the public members: never build a private key from whatever the endpoint sends.
        public = {"kty": "RSA", "n": item.get("n"), "e": item.get("e")}
        try:
            out[kid] = jwk.construct(public, algorithm=ALGORITHM)
        except Exception as exc:  # malformed n/e: skip this key, keep the others
            log.warning("JWKS key %r skipped: %s", kid, exc)
    if not out:
        raise ValueError("no usable RSA signing key for RS256")
    return out


_MISSING_CLAIM = re.compile(r'missing required key "([a-z_]+)"')
_CLAIM_MESSAGES = (
    ("invalid issuer", "The token was not issued by the configured Cognito user pool (iss mismatch)."),
    ("signature verification failed", "The token signature is invalid."),
    ("(nbf)", "The token is not valid yet, or its nbf claim is malformed."),
    ("(iat)", "The token's iat claim is malformed."),
    ("(exp)", "The token's exp claim is malformed."),
    ("subject", "The token's sub claim is malformed."),
    ("jwt id", "The token's jti claim is malformed."),
    ("payload", "The token payload is not a JSON object of claims."),
    ("padding", "The bearer token is not a well-formed JWT."),
    ("decoding", "The bearer token is not a well-formed JWT."),
)


def _claim_message(exc: JOSEError) -> str:
    """A fixed, token-free message for a python-jose failure."""
    text = str(exc).lower()
    missing = _MISSING_CLAIM.search(text)
    if missing:
        return f"The token has no {missing.group(1)} claim."
    for needle, message in _CLAIM_MESSAGES:
        if needle in text:
            return message
    return "The token could not be verified."


async def verify_cognito_token(token: str, settings: Settings, cache: JwksCache | None) -> dict[str, Any]:
    """Verify a Cognito ID or access token and return its claims; raise AppError otherwise."""
    if cache is None:
        raise AppError(ErrorCode.AUTH_UNAVAILABLE, "Cognito authentication is not initialised (no JWKS cache).")
    if not token:
        raise _invalid("The bearer token is empty.")
    if len(token) > MAX_TOKEN_CHARS:
        raise _invalid(f"The bearer token is longer than {MAX_TOKEN_CHARS} characters.")
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError:
        raise _invalid("The bearer token is not a well-formed JWT.") from None
    if not isinstance(header, Mapping):
        raise _invalid("The bearer token is not a well-formed JWT.")
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise _invalid("The token's signing algorithm is not allowed (only RS256 is accepted).")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _invalid("The token header has no key id (kid).")

    key = await cache.get_key(kid)
    if key is None:
        if not cache.has_keys:
            raise AppError(
                ErrorCode.AUTH_UNAVAILABLE,
                "The Cognito signing keys (JWKS) could not be fetched; retry later.",
                headers={"Retry-After": str(cache.retry_after_s())},
            )
        raise _invalid("The token's signing key id (kid) is not in the user pool's key set.")

    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=settings.cognito_issuer,
            options={
                "verify_aud": False,  # checked below, for ID (aud) and access (client_id) tokens alike
                "verify_at_hash": False,  # hosted-UI ID tokens carry at_hash; the access token is not here
                "require_exp": True,
                "require_iss": True,
                "leeway": settings.cognito_leeway_s,
            },
        )
    except ExpiredSignatureError:
        raise AppError(
            ErrorCode.TOKEN_EXPIRED,
            "The bearer token has expired; get a new one (or refresh it) and retry.",
            headers=bearer_challenge("invalid_token", "The token has expired"),
        ) from None
    except JWTClaimsError as exc:
        raise _invalid(_claim_message(exc)) from None
    except JOSEError as exc:  # base class: JWTError, JWSError, JWKError...: never a 500
        raise _invalid(_claim_message(exc)) from None

    token_use = claims.get("token_use")
    if token_use not in ACCEPTED_TOKEN_USES:
        raise _invalid("The token's token_use must be 'id' or 'access'.")
    allowed = set(settings.cognito_audience)
    if token_use == "id":  # noqa: S105 - a claim value, not a password
        aud = claims.get("aud")
        auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not any(isinstance(a, str) and a in allowed for a in auds):
            raise _invalid("The ID token's audience (aud) is not an accepted app client.")
    else:
        client_id = claims.get("client_id")
        if not isinstance(client_id, str) or client_id not in allowed:
            raise _invalid("The access token's client_id is not an accepted app client.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise _invalid("The token has no subject (sub claim).")
    return dict(claims)


def _looks_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in {"localhost", "127.0.0.1", "::1"} or host.endswith(".localhost")


async def create_jwks_cache(settings: Settings, *, timeout_s: float = 5.0) -> JwksCache | None:
    """For the app lifespan: a started JwksCache in AUTH_MODE=cognito, None otherwise.

    Safe to call in every mode (it also logs the AUTH_MODE=none warning). The caller owns the cache and must
    `await cache.aclose()` on shutdown.
    """
    if settings.auth_mode == AuthMode.NONE:
        log.warning("AUTH_MODE=none: authentication is DISABLED, every endpoint is open to anyone")
        return None
    if settings.auth_mode != AuthMode.COGNITO:
        return None
    url = settings.jwks_url
    if not url:  # unreachable with validated settings (COGNITO_ISSUER is required in cognito mode)
        raise AppError(ErrorCode.AUTH_UNAVAILABLE, "COGNITO_ISSUER / COGNITO_JWKS_URL is not set.")
    if urlsplit(url).scheme != "https" and not _looks_local(url):
        log.warning("COGNITO_JWKS_URL %s is not https: the signing keys could be tampered with in transit", url)
    if settings.cognito_jwks_url:
        log.info("JWKS from COGNITO_JWKS_URL=%s (issuer %s)", url, settings.cognito_issuer)
    cache = JwksCache(
        url,
        ttl_s=settings.cognito_jwks_ttl_s,
        cooldown_s=settings.cognito_jwks_refresh_cooldown_s,
        timeout_s=timeout_s,
    )
    await cache.start()
    return cache
