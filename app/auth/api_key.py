"""API-key authentication: constant-time comparison against every configured key."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

KEY_ID_HEX_CHARS = 12


def api_key_id(key: str) -> str:
    """A stable, non-secret identifier for a key: the first 12 hex characters of its SHA-256.

    Safe to log and to use as a metrics / rate-limit label; it cannot be turned back into the key.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:KEY_ID_HEX_CHARS]


def verify_api_key(presented: str, keys: Sequence[str]) -> str | None:
    """Return the key id of the configured key equal to `presented`, or None.

    Timing does not depend on which key matched, or on how long the keys are:
    - both sides are hashed to fixed-length SHA-256 digests first, so `compare_digest` never sees
      inputs of different lengths (which would return early and reveal a key's length);
    - `secrets.compare_digest` runs against every configured key; there is no early exit on a match.
    An empty presented key never matches.
    """
    presented_digest = hashlib.sha256(presented.encode("utf-8")).digest()
    matched: str | None = None
    for key in keys:
        equal = secrets.compare_digest(presented_digest, hashlib.sha256(key.encode("utf-8")).digest())
        if equal and matched is None and key:
            matched = key
    if not presented or matched is None:
        return None
    return api_key_id(matched)
