"""Authentication back-ends: API keys (constant-time) and Cognito JWTs (cached JWKS).

The FastAPI dependency that uses them is `app.auth.security.require_principal`.
"""

from app.auth.api_key import api_key_id, verify_api_key
from app.auth.cognito import JwksCache, create_jwks_cache, parse_jwks, verify_cognito_token

__all__ = [
    "JwksCache",
    "api_key_id",
    "create_jwks_cache",
    "parse_jwks",
    "verify_api_key",
    "verify_cognito_token",
]
