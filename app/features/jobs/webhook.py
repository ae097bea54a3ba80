"""Completion webhooks: a JSON POST to the job's `callback_url`, signed with HMAC-SHA256.

Headers sent:
    X-OCR-Event: job.completed
    X-OCR-Job-Id: <job id>
    X-OCR-Timestamp: <unix seconds>
    X-OCR-Signature: sha256=<hex HMAC-SHA256(JOB_WEBHOOK_SECRET, "<timestamp>.<raw body>")>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body bytes, compares in constant
time, and rejects timestamps older than a few minutes (replays). Delivery is retried with backoff
(JOB_WEBHOOK_ATTEMPTS); the outcome is recorded on the job.

Who may be called (unless JOB_WEBHOOK_ALLOW_PRIVATE): a callback host is resolved once per attempt,
every address it resolves to must be global (not private, loopback, link-local, shared 100.64.0.0/10,
reserved, ...), and the connection goes to the address that was checked (the Host header and TLS
name stay the callback's), so a name cannot resolve to a public address for the check and to an
internal one for the connection. A name that does not resolve is refused, not let through. The
receiver's answer is not read: its status line and headers decide, the body is discarded unread, and
each attempt has one total deadline (JOB_WEBHOOK_TIMEOUT_S). What is recorded as `last_error` says
what happened in words that do not describe the network behind the callback.
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


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not a public address: private, loopback, link-local, shared (100.64/10), reserved, multicast, …"""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


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
        if (ip is not None and _forbidden(ip)) or parts.hostname.lower() in (
            "localhost",
            "localhost.localdomain",
        ):
            raise AppError(
                ErrorCode.INVALID_PARAMETER,
                "callback_url points to a private, loopback or otherwise non-public address (JOB_WEBHOOK_ALLOW_PRIVATE is off).",
                details={"parameter": "callback_url"},
            )
    return url


class Refused(Exception):
    """The callback will not be called; the message is what the job records."""


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system resolver)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%")[0] for info in infos]


async def checked_address(host: str, port: int, *, allow_private: bool) -> str:
    """The one address to connect to for ``host``: every address it resolves to must be public."""
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        try:
            addresses = await resolve(host, port)
        except OSError:
            raise Refused("the callback host could not be resolved") from None
    if not addresses:
        raise Refused("the callback host could not be resolved")
    if not allow_private and any(_forbidden(ipaddress.ip_address(a)) for a in addresses):
        raise Refused("the callback host resolves to a non-public address")
    return addresses[0]


def _pinned(url: str, address: str) -> tuple[str, str]:
    """``url`` with its host replaced by ``address``; and the Host header it must carry."""
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    port = parts.port or default
    netloc = f"[{address}]" if ":" in address else address
    host_header = parts.hostname or ""
    if ":" in host_header:
        host_header = f"[{host_header}]"
    if port != default:
        host_header += f":{port}"
    return parts._replace(netloc=f"{netloc}:{port}").geturl(), host_header


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
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    attempts = int((job.webhook or {}).get("attempts", 0))
    last_error: str | None = None
    own_client = client is None
    http = client or httpx.AsyncClient(follow_redirects=False, trust_env=False)
    try:
        for n in range(settings.job_webhook_attempts):
            attempts += 1
            try:
                address = await checked_address(host, port, allow_private=settings.job_webhook_allow_private)
                status = await _post_once(http, job, address, body, secret, settings.job_webhook_timeout_s)
            except Refused as exc:
                last_error = str(exc)
                break  # the same name will be refused again
            except TimeoutError:
                last_error = f"no answer within {settings.job_webhook_timeout_s:g} s"
            except httpx.HTTPError:
                last_error = "could not deliver to the callback host"
            else:
                if 200 <= status < 300:
                    return {"status": "delivered", "attempts": attempts, "status_code": status}
                last_error = f"HTTP {status}"
                if 400 <= status < 500 and status not in (408, 429):
                    break  # the receiver refuses it; retrying will not help
            if n + 1 < settings.job_webhook_attempts:
                await asyncio.sleep(min(30.0, 0.5 * 4**n))
    finally:
        if own_client:
            await http.aclose()
    log.warning("webhook delivery failed", extra={"job_id": job.id, "error": last_error})
    return {"status": "failed", "attempts": attempts, "last_error": last_error}


async def _post_once(
    http: httpx.AsyncClient, job: Job, address: str, body: bytes, secret: str, timeout_s: float
) -> int:
    """One signed POST to the checked address; the receiver's status code. Its body is never read."""
    assert job.callback_url is not None
    url, host_header = _pinned(job.callback_url, address)
    ts = str(int(time.time()))
    headers = {
        "host": host_header,
        "content-type": "application/json",
        "user-agent": "ocr-service-webhook/1",
        "X-OCR-Event": "job.completed",
        "X-OCR-Job-Id": job.id,
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(secret, ts, body),
    }
    extensions = {"sni_hostname": urlsplit(job.callback_url).hostname or ""}
    async with asyncio.timeout(timeout_s):
        request = http.build_request("POST", url, content=body, headers=headers, extensions=extensions)
        response = await http.send(request, stream=True)
        await response.aclose()  # the body, however large, is discarded unread
        return response.status_code
