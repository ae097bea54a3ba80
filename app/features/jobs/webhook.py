"""Completion webhooks: a JSON POST to the job's `callback_url`, signed with HMAC-SHA256.

Headers sent:
    X-OCR-Event: job.completed
    X-OCR-Job-Id: <job id>
    X-OCR-Timestamp: <unix seconds>
    X-OCR-Signature: sha256=<hex HMAC-SHA256(JOB_WEBHOOK_SECRET, "<timestamp>.<raw body>")>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body bytes, compares in constant
time, and rejects timestamps older than a few minutes (replays). Delivery is retried with backoff
(JOB_WEBHOOK_ATTEMPTS); the outcome is recorded on the job.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.features.jobs.models import Job, iso

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-OCR-Signature"
TIMESTAMP_HEADER = "X-OCR-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_s: float = 300.0) -> bool:
    """What a receiver does (also used by the tests)."""
    try:
        ts = float(timestamp)
    except ValueError:
        return False
    if abs(time.time() - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified


def validate_callback_url(url: str | None, settings: Settings) -> str | None:
    """422 for a callback the service will not call; None when no callback was asked for."""
    if url is None or not url.strip():
        return None
    url = url.strip()
    if not settings.job_webhook_secret:
        raise AppError(
            ErrorCode.INVALID_PARAMETER,
            "callback_url is not available: the service has no JOB_WEBHOOK_SECRET to sign callbacks with.",
            details={"parameter": "callback_url"},
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2048:
        raise AppError(
            ErrorCode.INVALID_PARAMETER,
            "callback_url must be an absolute http(s) URL.",
            details={"parameter": "callback_url"},
        )
    if parts.username or parts.password:
        raise AppError(
            ErrorCode.INVALID_PARAMETER,
            "callback_url must not contain credentials.",
            details={"parameter": "callback_url"},
        )
    if not settings.job_webhook_allow_private:
        try:
            ip = ipaddress.ip_address(parts.hostname)
        except ValueError:
            ip = None
        if (ip is not None and _private(ip)) or parts.hostname.lower() in (
            "localhost",
            "localhost.localdomain",
        ):
            raise AppError(
                ErrorCode.INVALID_PARAMETER,
                "callback_url points to a private or loopback address (JOB_WEBHOOK_ALLOW_PRIVATE is off).",
                details={"parameter": "callback_url"},
            )
    return url


async def _resolves_public(host: str, port: int) -> bool:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return True  # let the request fail with a clear connection error
    for info in infos:
        addr = info[4][0]
        try:
            if _private(ipaddress.ip_address(str(addr).split("%")[0])):
                return False
        except ValueError:
            continue
    return True


def payload(job: Job) -> dict[str, Any]:
    return {
        "event": "job.completed",
        "job_id": job.id,
        "task": job.task,
        "status": job.status,
        "progress": {"done": job.done, "total": job.total},
        "error": job.error,
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
        "result_url": f"/jobs/{job.id}",
    }


async def deliver(job: Job, settings: Settings, client: httpx.AsyncClient | None = None) -> dict[str, Any]:
    """POST the signed completion event; returns the webhook state to record on the job."""
    assert job.callback_url is not None
    secret = settings.job_webhook_secret or ""
    body = json.dumps(payload(job), ensure_ascii=False, separators=(",", ":")).encode()
    parts = urlsplit(job.callback_url)
    attempts = int((job.webhook or {}).get("attempts", 0))
    last_error: str | None = None
    if not settings.job_webhook_allow_private and not await _resolves_public(
        parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    ):
        return {
            "status": "failed",
            "attempts": attempts,
            "last_error": "callback host resolves to a private address",
        }
    own_client = client is None
    http = client or httpx.AsyncClient(timeout=settings.job_webhook_timeout_s, follow_redirects=False)
    try:
        for n in range(settings.job_webhook_attempts):
            attempts += 1
            ts = str(int(time.time()))
            headers = {
                "content-type": "application/json",
                "user-agent": "ocr-service-webhook/1",
                "X-OCR-Event": "job.completed",
                "X-OCR-Job-Id": job.id,
                TIMESTAMP_HEADER: ts,
                SIGNATURE_HEADER: sign(secret, ts, body),
            }
            try:
                r = await http.post(job.callback_url, content=body, headers=headers)
                if 200 <= r.status_code < 300:
                    return {"status": "delivered", "attempts": attempts, "status_code": r.status_code}
                last_error = f"HTTP {r.status_code}"
                if 400 <= r.status_code < 500 and r.status_code not in (408, 429):
                    break  # the receiver refuses it; retrying will not help
            except httpx.HTTPError as exc:
                last_error = f"{type(exc).__name__}: {exc}"[:300]
            if n + 1 < settings.job_webhook_attempts:
                await asyncio.sleep(min(30.0, 0.5 * 4**n))
    finally:
        if own_client:
            await http.aclose()
    log.warning("webhook delivery failed", extra={"job_id": job.id, "error": last_error})
    return {"status": "failed", "attempts": attempts, "last_error": last_error}
