"""Upload limits: where they come from, the `pages` selection syntax, and the checks that raise AppError."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from app.core.errors import AppError, ErrorCode
from app.documents.types import Limits

if TYPE_CHECKING:
    from app.core.config import Settings

_MB = 1024 * 1024
UPLOAD_CHUNK = _MB
# Longest `pages` value we try to parse; anything longer is a mistake or an attack.
_MAX_SPEC_CHARS = 1000
# "7", "2-5", "3-" (to the end); "~" and the en dash are accepted as range separators too.
_PART = re.compile(r"(?P<start>[0-9]+)(?:\s*(?P<dash>[-~\u2013])\s*(?P<end>[0-9]*))?", re.ASCII)


def limits_from_settings(settings: Settings) -> Limits:
    """The decoder's limits from MAX_UPLOAD_MB, MAX_PIXELS, MAX_PAGES and PDF_DPI."""
    return Limits(
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_pixels,
        max_pages=settings.max_pages,
        pdf_dpi=settings.pdf_dpi,
    )


class AsyncReadable(Protocol):
    """An uploaded file (Starlette's UploadFile, or anything shaped like it)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


async def upload_chunks(upload: AsyncReadable, max_bytes: int, too_large: str) -> AsyncIterator[bytes]:
    """The upload in 1 MiB chunks, never more than ``max_bytes`` in all.

    FILE_TOO_LARGE (message ``too_large``) as soon as the limit is passed; EMPTY_FILE for an empty upload.
    """
    size = 0
    while chunk := await upload.read(UPLOAD_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise AppError(ErrorCode.FILE_TOO_LARGE, too_large, details={"limit_bytes": max_bytes})
        yield chunk
    if size == 0:
        name = f" {upload.filename!r}" if upload.filename else ""
        raise AppError(ErrorCode.EMPTY_FILE, f"The uploaded file{name} is empty.")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _mb(n: int) -> str:
    value = n / _MB
    return f"{value:.1f} MB" if value < 100 else f"{value:.0f} MB"


def check_size(size: int, limits: Limits) -> None:
    """EMPTY_FILE for 0 bytes, FILE_TOO_LARGE above limits.max_bytes."""
    if size <= 0:
        raise AppError(ErrorCode.EMPTY_FILE)
    if size > limits.max_bytes:
        limit = limits.max_bytes / _MB
        raise AppError(
            ErrorCode.FILE_TOO_LARGE,
            f"The file is {_mb(size)}; the limit is {limit:g} MB.",
            details={"size_bytes": size, "limit_bytes": limits.max_bytes},
        )


def check_pixels(width: int, height: int, limits: Limits, *, page: int, dpi: int | None = None) -> None:
    """TOO_MANY_PIXELS when one page (as it will be decoded) is over limits.max_pixels."""
    pixels = width * height
    if pixels <= limits.max_pixels:
        return
    at_dpi = f" when rendered at {dpi} dpi" if dpi else ""
    raise AppError(
        ErrorCode.TOO_MANY_PIXELS,
        f"Page {page} is {width} x {height} pixels{at_dpi} ({pixels / 1e6:.1f} megapixels); "
        f"the limit is {limits.max_pixels / 1e6:g} megapixels per page.",
        details={"page": page, "width": width, "height": height, "limit_pixels": limits.max_pixels},
    )


def _invalid_pages(message: str, total: int) -> AppError:
    return AppError(
        ErrorCode.INVALID_PARAMETER,
        f"Invalid `pages`: {message}. The document has {_plural(total, 'page')}; "
        "use page numbers and ranges such as `1-3,5`.",
        details={"parameter": "pages", "page_count": total},
    )


def parse_pages(spec: str | None, total: int, max_pages: int) -> list[int]:
    """1-based page numbers selected by `spec` ("1-3,5", "4-" = 4 to the end; None or "" = all).

    Raises INVALID_PARAMETER for bad syntax, page 0, reversed ranges and pages beyond `total`,
    and TOO_MANY_PAGES when more than `max_pages` pages end up selected. The result is sorted
    and has no duplicates.
    """
    text = (spec or "").strip()
    if not text:
        selected = list(range(1, total + 1))
    else:
        if len(text) > _MAX_SPEC_CHARS:
            raise _invalid_pages(f"the value is longer than {_MAX_SPEC_CHARS} characters", total)
        chosen: set[int] = set()
        for raw_part in text.split(","):
            part = raw_part.strip()
            if not part:
                raise _invalid_pages(f"empty entry in {text!r}", total)
            match = _PART.fullmatch(part)
            if match is None:
                raise _invalid_pages(f"{part!r} is not a page number or a range like `2-4`", total)
            start = int(match["start"])
            if match["dash"] is None:
                end = start
            elif match["end"]:
                end = int(match["end"])
            else:  # "4-": to the last page
                end = max(total, start)
            if start == 0 or end == 0:
                raise _invalid_pages(f"{part!r}: pages are numbered from 1", total)
            if end < start:
                raise _invalid_pages(f"{part!r} is a reversed range (write `{end}-{start}`)", total)
            if end > total:
                where = f"page {end}" if start == end else f"range {part!r}"
                raise _invalid_pages(f"{where} is past the end of the document", total)
            chosen.update(range(start, end + 1))
        selected = sorted(chosen)
    if len(selected) > max_pages:
        raise AppError(
            ErrorCode.TOO_MANY_PAGES,
            f"{_plural(len(selected), 'page')} selected but at most {max_pages} can be processed in one "
            f"request (the document has {_plural(total, 'page')}). Select fewer pages with the `pages` "
            f"field (for example `pages=1-{max_pages}`) or submit the whole document to /jobs.",
            details={"selected": len(selected), "limit": max_pages, "page_count": total},
        )
    return selected
