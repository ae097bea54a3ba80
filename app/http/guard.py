"""The request guard: authenticate from the headers and bound the body before any of it is read.

FastAPI parses a multipart body before it runs a route's dependencies, so without this an anonymous
client could make the service read and spool a body of any size only to be told 401. This pure ASGI
middleware runs first for every request that carries a body (POST, PUT, PATCH):

1. credentials are checked from the headers alone (the same check as the routes' dependency, which
   then reuses the principal); a bad or missing credential is answered 401 at once, the body unread;
2. a declared ``Content-Length`` above the route's limit is answered 413 at once;
3. a body sent without a length (chunked) is counted as it is read, and refused with 413 the moment it
   passes the limit;
4. a body that pauses longer than ``BODY_READ_TIMEOUT_S`` between reads, or takes longer than
   ``BODY_TIMEOUT_S`` in all, is refused with 408 (and the connection closed).

The API and the model server each build one with their own credential check and limits.

Paths that take no credentials (``/health``, the web page, ``/docs``) carry no body and pass through.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.security import authenticate
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.http.errors import language_headers, language_of
from app.http.uploads import FORM_OVERHEAD

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def body_limit(settings: Settings, path: str) -> int:
    """The most bytes a request body to ``path`` may have: its files at their limits plus form overhead."""
    if path.rstrip("/") == "/jobs":
        return settings.jobs_max_upload_bytes * settings.jobs_max_files + FORM_OVERHEAD
    if path.rstrip("/") == "/ocr/batch":
        return settings.max_upload_bytes * settings.max_batch_files + FORM_OVERHEAD
    return settings.max_upload_bytes + FORM_OVERHEAD


def _too_large(size: int, limit: int, *, so_far: bool = False) -> AppError:
    return AppError(
        ErrorCode.FILE_TOO_LARGE,
        f"The request body is {'at least ' if so_far else ''}{size / 2**20:.1f} MB; the limit for this "
        f"endpoint is {limit / 2**20:.0f} MB (MAX_UPLOAD_MB per file).",
    )


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticate: Callable[[Request], Awaitable[Any]],
        body_limit: Callable[[str], int],
        read_timeout_s: float,
        total_timeout_s: float,
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.body_limit = body_limit
        self.read_timeout_s = read_timeout_s
        self.total_timeout_s = total_timeout_s

    @classmethod
    def for_api(cls, app: ASGIApp, settings: Settings) -> RequestGuard:
        return cls(
            app,
            authenticate=authenticate,
            body_limit=lambda path: body_limit(settings, path),
            read_timeout_s=settings.body_read_timeout_s,
            total_timeout_s=settings.body_timeout_s,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limit = self.body_limit(scope["path"])
        try:
            request.state.principal = await self.authenticate(request)
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise _too_large(int(declared), limit)
        except AppError as err:
            await _respond(scope, send, err)
            return

        seen = 0
        started = time.monotonic()

        async def guarded_receive() -> Message:
            nonlocal seen
            left = self.total_timeout_s - (time.monotonic() - started)
            try:
                async with asyncio.timeout(max(0.0, min(self.read_timeout_s, left))):
                    message = await receive()
            except TimeoutError:
                waited = "in all" if left <= self.read_timeout_s else "between reads"
                limit_s = self.total_timeout_s if left <= self.read_timeout_s else self.read_timeout_s
                # an HTTPException passes FastAPI's body parsing unchanged and is rendered as the envelope
                raise HTTPException(
                    408,
                    detail=f"The request body stalled: more than {limit_s:.0f} s {waited} "
                    f"({seen / 2**20:.1f} MB received).",
                    headers={"connection": "close"},
                ) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(
                        413, detail=_too_large(seen, limit, so_far=True).message, headers={"connection": "close"}
                    )
            return message

        await self.app(scope, guarded_receive, send)


async def _respond(scope: Scope, send: Send, err: AppError) -> None:
    rid = scope.get("state", {}).get("request_id")
    lang = language_of(Request(scope))
    body = json.dumps(err.body(rid, lang)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    extra = {**err.headers, **language_headers(lang)}
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    if rid:
        headers.append((b"x-request-id", str(rid).encode("latin-1")))
    # the body was never read: ask the client to close rather than send it on a kept-alive connection
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
