"""The request guard: authenticate from the headers and bound the body before any of it is read.

FastAPI parses a multipart body before it runs a route's dependencies, so without this an anonymous
client could make the service read and spool a body of any size only to be told 401. This pure ASGI
middleware runs first for every request that carries a body (POST, PUT, PATCH):

1. credentials are checked from the headers alone (the same check as the routes' dependency, which
   then reuses the principal); a bad or missing credential is answered 401 at once, the body unread;
2. a declared ``Content-Length`` above the route's limit is answered 413 at once;
3. a body sent without a length (chunked) is counted as it is read, and refused with 413 the moment it
   passes the limit.

Paths that take no credentials (``/health``, the web page, ``/docs``) carry no body and pass through.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.security import authenticate
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
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
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limit = body_limit(self.settings, scope["path"])
        try:
            request.state.principal = await authenticate(request)
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise _too_large(int(declared), limit)
        except AppError as err:
            await _respond(scope, send, err)
            return

        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # an HTTPException passes FastAPI's body parsing unchanged and is rendered as the envelope
                    raise HTTPException(413, detail=_too_large(seen, limit, so_far=True).message)
            return message

        await self.app(scope, counting_receive, send)


async def _respond(scope: Scope, send: Send, err: AppError) -> None:
    rid = scope.get("state", {}).get("request_id")
    body = json.dumps(err.body(rid)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in err.headers.items()]
    if rid:
        headers.append((b"x-request-id", str(rid).encode("latin-1")))
    # the body was never read: ask the client to close rather than send it on a kept-alive connection
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
