"""Reading uploaded files and guarding requests (deadline, client disconnect)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from fastapi import Request, UploadFile

from app.core.errors import AppError, ErrorCode
from app.documents.limits import upload_chunks

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.serving.service import Service

T = TypeVar("T")

FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and the small form fields next to the files

# What any request that uploads documents may be answered with (the routes add their own codes).
UPLOAD_ERRORS = (
    ErrorCode.MISSING_FILE,
    ErrorCode.EMPTY_FILE,
    ErrorCode.CORRUPT_DOCUMENT,
    ErrorCode.ENCRYPTED_DOCUMENT,
    ErrorCode.UNAUTHENTICATED,
    ErrorCode.FILE_TOO_LARGE,
    ErrorCode.TOO_MANY_PIXELS,
    ErrorCode.TOO_MANY_PAGES,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.INVALID_PARAMETER,
    ErrorCode.UNSUPPORTED_LANGUAGE,
    ErrorCode.LANGUAGE_NOT_ENABLED,
    ErrorCode.QUEUE_FULL,
    ErrorCode.NOT_READY,
)


def check_content_length(request: Request, max_bytes: int, files: int = 1) -> None:
    """Refuse an oversized body before parsing it (multipart overhead allowed)."""
    raw = request.headers.get("content-length")
    if raw and raw.isdigit() and int(raw) > max_bytes * files + FORM_OVERHEAD:
        raise AppError(
            ErrorCode.FILE_TOO_LARGE,
            f"The request body is {int(raw) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB per file.",
        )


async def read_upload(file: UploadFile | None, max_bytes: int) -> bytes:
    if file is None or (not isinstance(file, UploadFile) and not hasattr(file, "read")):
        raise AppError(ErrorCode.MISSING_FILE)
    too_large = f"The file is larger than the {max_bytes / 2**20:.0f} MB limit (MAX_UPLOAD_MB)."
    chunks = [chunk async for chunk in upload_chunks(file, max_bytes, too_large)]
    await file.close()
    return b"".join(chunks)


async def _watch_disconnect(request: Request) -> None:
    while not await request.is_disconnected():  # noqa: ASYNC110 (polling the ASGI receive channel)
        await asyncio.sleep(0.25)


class ClientGone(AppError):
    """The client closed the connection; its work was cancelled (logged as 499)."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.CLIENT_CLOSED_REQUEST)


async def guarded(request: Request, work: Awaitable[T], timeout_s: float) -> T:
    """Run `work` until it finishes, the deadline passes (504) or the client goes away (work cancelled)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_watch_disconnect(request))
    try:
        done, _ = await asyncio.wait({task, watcher}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    if watcher in done:
        raise ClientGone()
    raise AppError(ErrorCode.TIMEOUT, f"The request took longer than {timeout_s:g} s (REQUEST_TIMEOUT_S).")


def deadline_in(timeout_s: float) -> float:
    return time.monotonic() + timeout_s


async def run_document_request(
    request: Request,
    service: Service,
    settings: Settings,
    file: UploadFile,
    work: Callable[[bytes, float], Awaitable[T]],
) -> T:
    """The shared skeleton of every document route: read the upload (its declared size was checked by the
    request guard, app/http/guard.py), take an admission slot (429 when full), then run `work(data,
    deadline)` under the request deadline and disconnect watch."""
    data = await read_upload(file, settings.max_upload_bytes)
    async with service.admission.slot():
        deadline = deadline_in(settings.request_timeout_s)
        return await guarded(request, work(data, deadline), settings.request_timeout_s)
